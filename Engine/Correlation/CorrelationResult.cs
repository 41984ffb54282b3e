namespace OpsConsole.Engine.Correlation;

/// <summary>
/// The answer to an operator operation: success with the outage as it is now, or a failure
/// with a message that can be shown as it is. Misuse (unknown id, a transition the lifecycle
/// does not allow) is a failure, not an exception.
/// </summary>
public sealed record CorrelationResult(bool Succeeded, string? Error, Outage? Outage)
{
    public static CorrelationResult Ok(Outage? outage) => new(true, null, outage);

    public static CorrelationResult Fail(string error) => new(false, error, null);
}

/// <summary>What <see cref="OutageCorrelator.Process"/> did with one event.</summary>
public enum EventDisposition
{
    /// <summary>A power-down or power-up that took part in correlation.</summary>
    Correlated,

    /// <summary>A test power-down (231), kept as a test result only.</summary>
    TestRecorded,

    /// <summary>The same (GUID, epoch, event id) was processed before.</summary>
    Duplicate,

    /// <summary>Flagged <c>0x092</c> (time sync): takes no part.</summary>
    ExcludedTimeSync,

    /// <summary>Another event code, or a power-up from a meter the engine has never seen.</summary>
    Ignored,

    /// <summary>A last gasp of a muted meter (<see cref="OutageCorrelator.Mute"/>): seen, but no part of any outage.</summary>
    Muted,
}
