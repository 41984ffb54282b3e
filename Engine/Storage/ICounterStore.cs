namespace OpsConsole.Engine.Storage;

/// <summary>
/// Named running totals that outlive a restart or a restore (the ingest's counters since the first start).
/// Contract (CounterStoreContract): <see cref="Add"/> adds each delta to its counter (a name never added reads as
/// absent, not 0); the deltas of one call are applied together; calls from concurrent writers sum exactly.
/// </summary>
public interface ICounterStore
{
    /// <summary>Every counter with its total.</summary>
    IReadOnlyDictionary<string, long> Load();

    /// <summary>Adds <paramref name="deltas"/> to their counters in one transaction.</summary>
    void Add(IReadOnlyDictionary<string, long> deltas);
}
