using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Correlation.Hosting;

/// <summary>
/// Where the ingest hands events once they are durable (journaled and committed): one call per
/// journal batch, from the ingest's writer thread.
/// </summary>
public interface IAcceptedEventSink
{
    /// <summary>Takes a batch of durable events. May block when the consumer is behind; never drops them.</summary>
    void Accept(IReadOnlyList<RecordedEvent> events);
}
