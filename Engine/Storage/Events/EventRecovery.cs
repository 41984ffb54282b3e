namespace OpsConsole.Engine.Storage.Events;

/// <summary>What <see cref="EventStore.Recover"/> hands to the ingest at start.</summary>
public sealed class EventRecovery
{
    /// <summary>Highest invocation counter accepted per system title (replay protection across restarts).</summary>
    public required Dictionary<ulong, uint> HighestInvocationCounters { get; init; }

    /// <summary>Each meter's latest event keys (de-duplication across restarts).</summary>
    public required SeenEventKeys SeenKeys { get; init; }

    /// <summary>Journal records that were missing from LiteDB and were inserted again.</summary>
    public long Reinserted { get; init; }

    /// <summary>What reading the journal found (torn tail, damage); <see cref="JournalReadResult.Records"/> is empty.</summary>
    public required JournalReadResult Journal { get; init; }
}
