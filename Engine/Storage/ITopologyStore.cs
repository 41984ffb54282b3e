using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Storage;

/// <summary>What is known of a stored network without loading it.</summary>
public sealed record StoredNetworkInfo(string Source, int Features, DateTime SavedAt);

/// <summary>
/// The network in force loaded for use: from the compact snapshot saved with it, or, when that is missing, of an older
/// format or damaged (<see cref="SnapshotProblem"/> says which), rebuilt from the stored GeoJSON (<see cref="Import"/>,
/// whose findings apply; <see cref="Topology"/> is null when it is invalid).
/// </summary>
public sealed record StoredNetwork(NetworkTopology? Topology, TopologyImport? Import, string? SnapshotProblem)
{
    /// <summary>Time spent reading the stored bytes (snapshot or GeoJSON), for the start-up log.</summary>
    public TimeSpan ReadTime { get; init; }

    /// <summary>Time spent decoding them and building the network's index, for the start-up log.</summary>
    public TimeSpan BuildTime { get; init; }

    /// <summary>The file the snapshot was read from, when a store keeps a file copy and it was used; null otherwise.</summary>
    public string? SnapshotFile { get; init; }
}

/// <summary>
/// The network in force and the one before it. Contract (TopologyStoreContract): <see cref="Save"/> replaces the
/// network atomically (a reader sees the old one or the new one, never a mix) and keeps the one it replaced as
/// <see cref="Previous"/>; <see cref="RollBack"/> swaps them; features load back in the order saved.
/// </summary>
public interface ITopologyStore
{
    bool HasTopology { get; }

    /// <summary>The network in force before the last save or roll-back, when one is kept.</summary>
    StoredNetworkInfo? Previous { get; }

    /// <summary>The network in force as stored, or null when none was saved.</summary>
    StoredNetworkInfo? Current { get; }

    /// <summary>Replaces the stored network with <paramref name="features"/> atomically; the one it replaces is kept as <see cref="Previous"/>.</summary>
    void Save(IReadOnlyList<TopologyFeature> features, string source);

    /// <summary>Puts the previous network back in force (the one rolled back from becomes the previous one); false when there is none.</summary>
    bool RollBack();

    /// <summary>The stored network, or null when none was saved; invalid stored data reports its findings.</summary>
    Task<TopologyImport?> LoadAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The network in force as a lean <see cref="NetworkTopology"/> (no extras), read from the compact snapshot
    /// (<see cref="Gis.Snapshot.NetworkSnapshot"/>) saved with it; when the snapshot is missing, old or damaged, rebuilt
    /// from the stored GeoJSON and the snapshot written again. Null when no network was saved.
    /// </summary>
    Task<StoredNetwork?> LoadNetworkAsync(CancellationToken cancellationToken = default);

    /// <summary>The previous network (<see cref="Previous"/>), or null when none is kept.</summary>
    Task<TopologyImport?> LoadPreviousAsync(CancellationToken cancellationToken = default);

    /// <summary>Every stored feature of the network in force as (id, kind, GeoJSON text), in file order.</summary>
    IEnumerable<(string Id, ElementKind Kind, string Json)> StoredFeatures();

    /// <summary>The stored GeoJSON of one feature, extras included.</summary>
    string? FeatureJson(string id);

    string? StoredSource();
}
