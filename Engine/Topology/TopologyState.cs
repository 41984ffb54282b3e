using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Topology;

/// <summary>
/// The network in force. Readers take <see cref="Current"/> once and work on that immutable
/// snapshot; a new import swaps the reference atomically and raises <see cref="Changed"/>.
/// </summary>
public sealed class TopologyState
{
    private NetworkTopology _current = NetworkTopology.Empty;

    public NetworkTopology Current => Volatile.Read(ref _current);

    /// <summary>True once a network has been loaded at start.</summary>
    public bool IsLoaded { get; private set; }

    /// <summary>Raised after every swap, with the new snapshot.</summary>
    public event Action<NetworkTopology>? Changed;

    public void Replace(NetworkTopology topology)
    {
        Volatile.Write(ref _current, topology);
        IsLoaded = true;
        Changed?.Invoke(topology);
    }
}
