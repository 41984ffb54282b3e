using OpsConsole.Engine.Domain;

namespace OpsConsole.Engine.Storage.Events;

/// <summary>
/// One accepted event as recorded: the decoded notification plus where and when it arrived.
/// Times are kept as UTC instants (the journal stores UTC ticks; any offset is not kept).
/// </summary>
/// <param name="Event">The decoded Data-Notification.</param>
/// <param name="SystemTitle">The sender's DLMS system title.</param>
/// <param name="InvocationCounter">The frame's invocation counter (strictly increasing per system title).</param>
/// <param name="ReceivedAt">When the head-end received the frame, UTC.</param>
/// <param name="Source">The sender's address, <c>ip:port</c>.</param>
/// <param name="Flags">The §5 flags raised on the event.</param>
/// <param name="TopologyId">The meter's id in the topology, when known.</param>
public sealed record RecordedEvent(
    MeterEvent Event,
    ulong SystemTitle,
    uint InvocationCounter,
    DateTimeOffset ReceivedAt,
    string Source,
    EventFlags Flags,
    string? TopologyId)
{
    public EventKey Key => new(Event.MeterId, Event.Epoch, Event.EventId);
}
