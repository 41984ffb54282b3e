namespace OpsConsole.Engine.Ingest;

/// <summary>
/// The listener's journal writer, for tests and tuning (register one in the service collection; the
/// default is <see cref="Default"/>): how many accepted events may wait for the journal before new ones
/// are refused ERR_OVERLOAD, and a hook that runs on the writer's thread before every journal append.
/// </summary>
public sealed class JournalWriterOptions
{
    /// <summary>The production settings: 65,536 waiting events, no hook.</summary>
    public static readonly JournalWriterOptions Default = new();

    /// <summary>Events waiting for the journal at most; one more is refused ERR_OVERLOAD without an answer.</summary>
    public int QueueCapacity { get; init; } = 65_536;

    /// <summary>
    /// Runs on the writer's thread before each append with the batch's size; while it does not return the
    /// writer is blocked, as behind a stalled disk (a test holds it on an explicit signal).
    /// </summary>
    public Action<int>? BeforeAppend { get; init; }
}
