namespace OpsConsole.Engine.Storage.Events;

/// <summary>
/// Bytes of a journal segment that hold no intact record although intact records follow them
/// (or they end a segment that is not the last): damage, not a crash mid-append. The records
/// in them are lost from the journal; reading carries on at the next intact record.
/// </summary>
/// <param name="Segment">The segment's file name.</param>
/// <param name="Offset">Where the damaged bytes start.</param>
/// <param name="Length">How many bytes were skipped.</param>
/// <param name="Reason">What was wrong with the first damaged record.</param>
public sealed record JournalCorruption(string Segment, long Offset, long Length, string Reason);
