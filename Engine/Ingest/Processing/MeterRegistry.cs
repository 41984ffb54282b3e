using OpsConsole.Engine.Protocols.Dlms;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Ingest.Processing;

/// <summary>
/// The meter registry of wire-format.md §4 as the ingest path sees it: system title → registered
/// GUID and suite-0 keys, plus the meter's topology id for the event-processor log.
/// </summary>
/// <remarks>
/// Thread-safe and lock-free: every call reads <see cref="TopologyState.Current"/> once (snapshots
/// are immutable and swapped atomically, so a topology import takes effect on the next datagram)
/// and takes the keys from the shared <see cref="MeterKeyCache"/>. Keys are derived only for a GUID
/// registered against a known system title, never for what an unauthenticated frame claims.
/// </remarks>
public sealed class MeterRegistry : IMeterKeyLookup
{
    private readonly TopologyState _topology;
    private readonly MeterKeyCache _keys;

    public MeterRegistry(TopologyState topology, MeterKeyCache keys)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(keys);
        _topology = topology;
        _keys = keys;
    }

    /// <inheritdoc/>
    public bool TryGetMeter(ulong systemTitle, out MeterCredentials credentials)
    {
        if (TryGetFeature(systemTitle, out TopologyFeature? meter))
        {
            credentials = new MeterCredentials(meter.Guid, _keys.GetKeys(meter.Guid));
            return true;
        }

        credentials = default;
        return false;
    }

    /// <summary>The topology id (e.g. <c>ckt24-M-100350100</c>) of the meter with this system title, or null when none is registered.</summary>
    public string? GetTopologyId(ulong systemTitle) =>
        TryGetFeature(systemTitle, out TopologyFeature? meter) ? meter.Id : null;

    /// <summary>
    /// How a meter is named in the event-processor log: its topology id when registered, else its
    /// system title as 16 hex digits, else null (the log writes <c>-</c>).
    /// </summary>
    public string? Describe(ulong? systemTitle) =>
        systemTitle is not { } title ? null : GetTopologyId(title) ?? TopologyFeature.FormatSystemTitle(title);

    private bool TryGetFeature(ulong systemTitle, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TopologyFeature? meter)
    {
        NetworkTopology snapshot = _topology.Current;
        if (snapshot.TryGetMeterBySystemTitle(systemTitle, out int element))
        {
            meter = snapshot[element];
            if (meter.Guid != Guid.Empty)
            {
                return true;
            }
        }

        meter = null;
        return false;
    }
}
