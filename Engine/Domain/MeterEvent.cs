namespace OpsConsole.Engine.Domain;

/// <summary>
/// One decoded Data-Notification (wire-format.md §3): the notification header and the seven body elements.
/// </summary>
/// <param name="MeterId">Element 1: the meter GUID (RFC 4122, read in network byte order).</param>
/// <param name="EventCode">Element 2.</param>
/// <param name="EventId">Element 3: the per-meter event sequence number.</param>
/// <param name="Epoch">Element 4: the per-meter event-log epoch; (GUID, epoch, event id) identifies one event.</param>
/// <param name="SendTime">The APDU's date-time in UTC, or <see langword="null"/> when absent (<c>00</c>).</param>
/// <param name="EventTime">Element 5 in UTC: when the meter saw the event.</param>
/// <param name="CapacitorMillivolts">Element 6: super-capacitor voltage at transmit time (0 when not applicable).</param>
/// <param name="RssiDbm">Element 7: received signal strength at the meter's radio, dBm.</param>
/// <param name="InvokeIdAndPriority">The long-invoke-id-and-priority, as received.</param>
public readonly record struct MeterEvent(
    Guid MeterId,
    MeterEventCode EventCode,
    uint EventId,
    ushort Epoch,
    DateTimeOffset? SendTime,
    DateTimeOffset EventTime,
    ushort CapacitorMillivolts,
    sbyte RssiDbm,
    uint InvokeIdAndPriority)
{
    /// <summary>Bit 31 of long-invoke-id-and-priority: high priority.</summary>
    public bool IsHighPriority => (InvokeIdAndPriority & 0x8000_0000u) != 0;

    /// <summary>Bits 0–23 of long-invoke-id-and-priority.</summary>
    public uint InvokeId => InvokeIdAndPriority & 0x00FF_FFFFu;

    /// <summary>The time the §5 time-sync check uses: the send time, or the event time when the send time is absent.</summary>
    public DateTimeOffset EffectiveSendTime => SendTime ?? EventTime;
}
