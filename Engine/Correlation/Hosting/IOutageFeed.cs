namespace OpsConsole.Engine.Correlation.Hosting;

/// <summary>The correlation engine's output for readers: a snapshot to query and a stream of changes.</summary>
public interface IOutageFeed
{
    /// <summary>The outages as of the latest step; immutable, swapped atomically.</summary>
    OutageSnapshot Current { get; }

    /// <summary>
    /// Raised on the correlation loop after each step that changed outages, with those changes
    /// (the snapshot is already swapped). Handlers must be quick and must not block.
    /// </summary>
    event Action<IReadOnlyList<OutageChange>>? Changed;
}

/// <summary>An immutable view of every outage (merged ones left out) at one moment.</summary>
public sealed class OutageSnapshot
{
    public static readonly OutageSnapshot Empty = new([]);

    private readonly Dictionary<string, Outage> _byId;

    public OutageSnapshot(IReadOnlyList<Outage> all)
    {
        ArgumentNullException.ThrowIfNull(all);
        All = all;
        _byId = all.ToDictionary(o => o.Id, StringComparer.Ordinal);
        Active = [.. all.Where(o => o.IsActive).OrderByDescending(o => o.Priority).ThenBy(o => o.StartedAt).ThenBy(o => o.Id, StringComparer.Ordinal)];
    }

    /// <summary>Every outage, closed ones included, in creation order.</summary>
    public IReadOnlyList<Outage> All { get; }

    /// <summary>Open outages, highest priority first, then oldest first.</summary>
    public IReadOnlyList<Outage> Active { get; }

    public Outage? Find(string id) => _byId.GetValueOrDefault(id);

    /// <summary>Open outages per level.</summary>
    public IReadOnlyDictionary<OutageLevel, int> ActiveByLevel() =>
        Enum.GetValues<OutageLevel>().ToDictionary(l => l, l => Active.Count(o => o.Level == l));
}
