namespace OpsConsole.Engine.Storage.Events;

/// <summary>What reading the journal found.</summary>
public sealed class JournalReadResult
{
    /// <summary>The intact records in append order (empty when read through a callback).</summary>
    public IReadOnlyList<RecordedEvent> Records { get; init; } = [];

    /// <summary>Intact records read.</summary>
    public long RecordCount { get; init; }

    public int SegmentCount { get; init; }

    /// <summary>
    /// Bytes cut off the end of the last segment: a record torn by a crash mid-append (never
    /// acknowledged). The file was truncated to its last intact record so appends continue cleanly.
    /// </summary>
    public long TornTailBytes { get; init; }

    /// <summary>Damage found before the end (see <see cref="JournalCorruption"/>); never silently skipped.</summary>
    public IReadOnlyList<JournalCorruption> Corruptions { get; init; } = [];

    public bool IsClean => TornTailBytes == 0 && Corruptions.Count == 0;
}
