namespace OpsConsole.Engine.Correlation;

/// <summary>What happened to an outage since the previous <see cref="OutageCorrelator.DrainChanges"/>.</summary>
[Flags]
public enum OutageChangeKinds
{
    None = 0,

    Created = 1,

    /// <summary>More meters reported it (<see cref="Outage.ReportingMeters"/> grew).</summary>
    Reported = 2,

    /// <summary>It moved to another element (a roll-up, a Meter outage becoming a Transformer outage, a remap).</summary>
    LevelChanged = 4,

    StateChanged = 8,

    Restored = 16,

    Cleared = 32,

    /// <summary>It was folded into another outage (<see cref="OutageChange.MergedIntoId"/>) and no longer exists on its own.</summary>
    Merged = 64,

    /// <summary>Its customer counts changed because a meter was remapped into or out of its element.</summary>
    CustomersChanged = 128,

    /// <summary>One of its reporting meters powered up (<see cref="Outage.MetersDown"/> fell) while it stays open: restoration under way.</summary>
    PoweredUp = 256,
}

/// <summary>
/// One outage that changed, with its snapshot as of the drain. Several changes to one outage
/// between two drains come as one entry with every kind set.
/// </summary>
/// <param name="Kinds">Everything that happened to it since the previous drain.</param>
/// <param name="Outage">The outage as it is now.</param>
/// <param name="MergedIntoId">For <see cref="OutageChangeKinds.Merged"/>: the outage that now holds its meters.</param>
public sealed record OutageChange(OutageChangeKinds Kinds, Outage Outage, string? MergedIntoId);
