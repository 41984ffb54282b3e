using OpsConsole.Engine.Correlation;

namespace OpsConsole.Engine.Storage;

/// <summary>
/// Outages as they change: each with its transitions, reporting meters and explanation, kept under its id
/// (<c>O-</c>n, the same on every replay). The correlation loop hands changes over; a writer stores them in batches.
/// </summary>
/// <remarks>
/// Readers get what was last saved: a few hundred milliseconds behind the live snapshot at most (the writer's batch).
/// An outage folded into another is kept with <see cref="StoredOutage.MergedIntoId"/> so links to it still resolve.
/// </remarks>
public interface IOutageStore
{
    /// <summary>Stores each outage under its id, replacing what was stored; all or nothing.</summary>
    void Save(IReadOnlyCollection<StoredOutage> outages);

    /// <summary>Forgets every stored outage, then stores these (after a full rebuild: an id may now name another outage).</summary>
    void ReplaceAll(IReadOnlyCollection<StoredOutage> outages);

    StoredOutage? Find(string id);

    /// <summary>Outages still going on (open states, not merged), in creation order.</summary>
    IReadOnlyList<StoredOutage> Open();

    /// <summary>Every stored outage, merged ones too, in creation order.</summary>
    IReadOnlyList<StoredOutage> All();

    long Count();
}

/// <summary>One stored outage: its snapshot as of its last change, and the outage it was merged into, if any.</summary>
public sealed record StoredOutage(Outage Outage, string? MergedIntoId)
{
    public string Id => Outage.Id;

    /// <summary>The creation sequence number in <c>O-</c>n: the order outages were made in.</summary>
    public int Sequence => int.Parse(Outage.Id.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture);

    public bool IsOpen => Outage.IsActive && MergedIntoId is null;
}
