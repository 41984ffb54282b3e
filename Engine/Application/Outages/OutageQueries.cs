using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Application.Outages;

/// <summary>
/// The read side of outages, written once for the REST API, the board, the map and the hub: board rows, one outage's
/// detail, the map overlay. Read-only (no audit: the front doors' read policy decides who reads). Rows and overlay are
/// built once per correlation snapshot and network, however many pages and clients ask, and only when one asks.
/// </summary>
public sealed class OutageQueries(IOutageFeed feed, CorrelationService correlation, TopologyState topology, EventStore events)
{
    private Built? _built;
    private ElementPlaces? _places;
    private MeterSearch? _search;

    /// <summary>The outages as of the latest correlation step.</summary>
    public OutageSnapshot Snapshot => feed.Current;

    /// <summary>Open outages, highest priority first (<see cref="OutageSnapshot.Active"/>), with their element's names.</summary>
    public IReadOnlyList<OutageRowView> Rows() => Current().Rows;

    /// <summary>Closed outages (restored, cleared, momentary; merged ones are not in the snapshot), most recent first.</summary>
    public IReadOnlyList<OutageRowView> ClosedRows() => Current().Closed.Value;

    /// <summary>The open outages as the map draws them, same moment as <see cref="Rows"/>.</summary>
    public IReadOnlyList<OutageOverlayView> MapOverlay() => Current().Overlay.Value;

    /// <summary>
    /// One outage with every customer behind its failed element (not only those that reported); null when there is no
    /// such outage. With <paramref name="lastEvents"/>, each customer's latest stored event too, read in one pass.
    /// </summary>
    public async Task<OutageDetailView?> DetailAsync(string id, bool lastEvents, CancellationToken cancellationToken = default)
    {
        if (feed.Current.Find(id) is not { } outage)
        {
            return null;
        }

        var behind = await correlation.QueryAsync(c => c.MetersOf(outage.Id), cancellationToken).ConfigureAwait(false);
        var net = topology.Current;
        var reported = outage.ReportingMeterIds.ToHashSet(StringComparer.Ordinal);
        var last = lastEvents ? events.LastByMeters(behind.Select(m => m.Guid)) : null;
        var meters = behind.Select(m => new OutageMeterView(
            m.MeterId,
            m.Guid,
            reported.Contains(m.MeterId),
            m.IsDown,
            net.TryGetElement(m.MeterId, out int e) && net[e].Critical == true,
            last is not null && last.TryGetValue(m.Guid, out var ev) ? ev : null,
            m.Mute)).ToArray();
        return new OutageDetailView(Row(outage, Places(net)), meters);
    }

    private Built Current()
    {
        var snapshot = feed.Current;
        var net = topology.Current;
        var built = Volatile.Read(ref _built);
        if (built is not null && ReferenceEquals(built.Snapshot, snapshot) && ReferenceEquals(built.Network, net))
        {
            return built;
        }

        // Two readers may build the same moment at once; either result is right, the last one stays.
        var places = Places(net);
        built = new Built(snapshot, net, [.. snapshot.Active.Select(o => Row(o, places))], new Lazy<IReadOnlyList<OutageOverlayView>>(() => Overlay(snapshot, net)),
            new Lazy<IReadOnlyList<OutageRowView>>(() => [.. snapshot.All.Where(o => !o.IsActive)
                .OrderByDescending(o => o.StartedAt).ThenBy(o => o.Id, StringComparer.Ordinal).Select(o => Row(o, places))]));
        Volatile.Write(ref _built, built);
        return built;
    }

    /// <summary>The element places of <paramref name="net"/>: kept while it is the network in force, each worked out once.</summary>
    private ElementPlaces Places(NetworkTopology net)
    {
        var places = Volatile.Read(ref _places);
        if (places is null || !ReferenceEquals(places.Network, net))
        {
            places = new ElementPlaces(net);
            Volatile.Write(ref _places, places);
        }

        return places;
    }

    private static OutageRowView Row(Outage o, ElementPlaces places)
    {
        var place = places.Of(o.DeviceId);
        return new OutageRowView(o, place.Name, place.Feeder, place.Address, place.AddressMeterId);
    }

    /// <summary>
    /// Ids of the outages, open and closed, with a meter whose id contains <paramref name="query"/> (case-insensitive):
    /// one of its reporting meters, or any meter below its failed element in the network (a silent customer calling in
    /// is behind it too). The network's meters are read once per network and query, however often the board redraws.
    /// </summary>
    public IReadOnlySet<string> OutagesWithMeter(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query = query.Trim();
        if (query.Length == 0)
        {
            return new HashSet<string>();
        }

        var snapshot = feed.Current;
        var net = topology.Current;
        var last = Volatile.Read(ref _search);
        bool sameMeters = last is not null && ReferenceEquals(last.Network, net) && last.Query == query;
        if (sameMeters && ReferenceEquals(last!.Snapshot, snapshot))
        {
            return last.Outages;
        }

        int[] meters = sameMeters ? last!.Meters : OutageMeterSearch.MetersMatching(net, query);
        var search = new MeterSearch(net, query, meters, snapshot, OutageMeterSearch.WithMeters(snapshot, net, meters, query));
        Volatile.Write(ref _search, search);
        return search.Outages;
    }

    /// <summary>
    /// Per open outage, the transformers at or below the failed element and its silent meters, from the network in
    /// force (a meter remapped since start is drawn at its network place until the network is re-imported).
    /// </summary>
    private static OutageOverlayView[] Overlay(OutageSnapshot outages, NetworkTopology net) =>
        [.. outages.Active.Select(o =>
        {
            var reporting = o.ReportingMeterIds.ToHashSet(StringComparer.Ordinal);
            var transformers = new List<string>();
            var silent = new List<string>();
            if (o.Level is not (OutageLevel.Meter or OutageLevel.Unknown) && net.TryGetElement(o.DeviceId, out int element))
            {
                if (net.KindOf(element) == ElementKind.Transformer)
                {
                    transformers.Add(o.DeviceId);
                }

                foreach (int meter in net.MetersBelow(element))
                {
                    string id = net[meter].Id;
                    if (!reporting.Contains(id))
                    {
                        silent.Add(id);
                    }

                    int t = net.ParentOf(meter);
                    if (t >= 0 && (transformers.Count == 0 || transformers[^1] != net[t].Id))
                    {
                        transformers.Add(net[t].Id);
                    }
                }
            }

            return new OutageOverlayView(o, [.. transformers.Distinct(StringComparer.Ordinal)], silent);
        })];

    private sealed record MeterSearch(NetworkTopology Network, string Query, int[] Meters, OutageSnapshot Snapshot, IReadOnlySet<string> Outages);

    private sealed record Built(OutageSnapshot Snapshot, NetworkTopology Network, IReadOnlyList<OutageRowView> Rows, Lazy<IReadOnlyList<OutageOverlayView>> Overlay,
        Lazy<IReadOnlyList<OutageRowView>> Closed);
}
