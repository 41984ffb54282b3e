namespace OpsConsole.Engine.Correlation;

/// <summary>
/// The lifecycle of an outage (api.md <c>state</c>): Suspected → Confirmed → Acknowledged →
/// Dispatched → Restored, plus the two other ends Cleared (a false positive, by an operator) and
/// Momentary (every reporting meter powered up before qualification; kept for MAIFI, never dispatched).
/// </summary>
public enum OutageState
{
    /// <summary>Its correlation window has closed; not yet older than <c>Correlation:QualifyMs</c>.</summary>
    Suspected,

    Confirmed,

    Acknowledged,

    Dispatched,

    Restored,

    Cleared,

    Momentary,
}

public static class OutageStateExtensions
{
    /// <summary>True for Suspected, Confirmed, Acknowledged and Dispatched: the outage is still going on.</summary>
    public static bool IsOpen(this OutageState state) => state <= OutageState.Dispatched;
}
