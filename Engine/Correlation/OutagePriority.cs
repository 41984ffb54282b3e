namespace OpsConsole.Engine.Correlation;

/// <summary>
/// The priority score active outages are sorted by (highest first):
/// <code>
/// priority = round((meters + 50 × criticalMeters) × (1 + min(ageHours, 4)))
/// </code>
/// where <c>meters</c> are the customers behind the failed element, <c>criticalMeters</c> those
/// flagged <c>critical: true</c> (life support, hospitals: one weighs as much as 50 homes), and
/// <c>ageHours</c> the time since <c>startedAt</c> in hours at the engine's current time, so an
/// outage's weight grows over its first four hours up to five times its initial score (an old
/// small outage overtakes a fresh slightly larger one). Closed outages (Restored, Cleared,
/// Momentary) score 0.
/// </summary>
public static class OutagePriority
{
    /// <summary>How many ordinary customers one critical customer weighs.</summary>
    public const int CriticalWeight = 50;

    /// <summary>The age after which the score stops growing.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(4);

    public static int Compute(int meters, int criticalMeters, TimeSpan age)
    {
        double hours = Math.Clamp(age.TotalHours, 0, MaxAge.TotalHours);
        double score = (meters + ((double)CriticalWeight * criticalMeters)) * (1 + hours);
        return (int)Math.Min(int.MaxValue, Math.Round(score, MidpointRounding.AwayFromZero));
    }
}
