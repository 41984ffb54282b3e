using System.Text;
using OpsConsole.Engine.Application.Outages;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Server.Tests;

/// <summary>Where the board says an outage is (name, feeder, address) and its search by meter id, over the small network.</summary>
public sealed class OutageLocationTests
{
    private static NetworkTopology Network(Func<string, string>? edit = null) =>
        NetworkTopology.Build(TopologyGeoJsonReader.Read(Encoding.UTF8.GetBytes((edit ?? (s => s))(SmallNetwork.GeoJson))).Features);

    [Fact]
    public void AnElementWithoutAnAddress_TakesTheNearestAddressedMeterBelowIt()
    {
        var places = new ElementPlaces(Network());

        // T1 (no address) has M1 "1 Main St" below it; M2 and M3 have none.
        Assert.Equal(new ElementPlace("Pole 1", "F1", "1 Main St", "M1"), places.Of("T1"));
        Assert.Equal(new ElementPlace("Fuse 2", "F1", "1 Main St", "M1"), places.Of("D2"));
    }

    [Fact]
    public void TheNearestOfSeveralAddressedMeters_IsChosen_AndAnElementsOwnAddressComesFirst()
    {
        // M1 loses its address; M2 (0.0002° from T1) and M3 (0.0003°) get one; D2 has an address of its own (not a
        // property the spec names for a device: kept with its other properties).
        var net = Network(s => s
            .Replace("\"critical\":true,\"address\":\"1 Main St\"", "\"critical\":true", StringComparison.Ordinal)
            .Replace("\"systemTitle\":\"4F50530000000003\"", "\"systemTitle\":\"4F50530000000003\",\"address\":\"3 Main St\"", StringComparison.Ordinal)
            .Replace("\"systemTitle\":\"4F50530000000002\"", "\"systemTitle\":\"4F50530000000002\",\"address\":\"2 Main St\"", StringComparison.Ordinal)
            .Replace("\"deviceType\":\"fuse\",", "\"deviceType\":\"fuse\",\"address\":\"Mill Rd pole 7\",", StringComparison.Ordinal));
        var places = new ElementPlaces(net);

        Assert.Equal(new ElementPlace("Pole 1", "F1", "2 Main St", "M2"), places.Of("T1"));
        Assert.Equal(new ElementPlace("Fuse 2", "F1", "Mill Rd pole 7", null), places.Of("D2"));
        Assert.Equal(new ElementPlace(null, "F1", "3 Main St", null), places.Of("M3"));
    }

    [Fact]
    public void NoAddressAnywhereBelow_OrAnUnknownElement_GivesNone()
    {
        var places = new ElementPlaces(Network());

        Assert.Equal(new ElementPlace(null, "F1", null, null), places.Of("T2")); // M4 has no address
        Assert.Equal(new ElementPlace(null, null, null, null), places.Of("M9")); // unmapped: no feeder
        Assert.Same(ElementPlace.None, places.Of("not-in-the-network"));
    }

    [Fact]
    public void APlace_IsWorkedOutOncePerNetwork()
    {
        var places = new ElementPlaces(Network());

        Assert.Same(places.Of("D1"), places.Of("D1"));
    }

    private static Outage Outage(string id, OutageLevel level, string device, OutageState state, params string[] reporting) =>
        new(id, level, device, state, 3, reporting.Length, 0, DateTimeOffset.UnixEpoch, null, null, 1, "test", null, [], reporting, [], reporting.Length);

    private static IReadOnlySet<string> Search(NetworkTopology net, OutageSnapshot snapshot, string query) =>
        OutageMeterSearch.WithMeters(snapshot, net, OutageMeterSearch.MetersMatching(net, query), query);

    [Fact]
    public void MeterSearch_FindsTheOutagesAMeterIsBehind_ReportingOrSilent_OpenOrClosed()
    {
        var net = Network();
        var snapshot = new OutageSnapshot([
            Outage("O-1", OutageLevel.Transformer, "T1", OutageState.Confirmed, "M1"),          // M2, M3 silent behind it
            Outage("O-2", OutageLevel.Device, "D2", OutageState.Restored, "M1", "M4"),          // closed; M1..M4 behind it
            Outage("O-3", OutageLevel.Transformer, "T2", OutageState.Suspected, "M4"),
            Outage("O-4", OutageLevel.Unknown, "M-NOT-MAPPED-77", OutageState.Confirmed, "M-NOT-MAPPED-77"),
        ]);

        Assert.Equal(["O-1", "O-2"], Search(net, snapshot, "m3").Order());          // silent behind T1, and behind D2
        Assert.Equal(["O-2", "O-3"], Search(net, snapshot, "M4").Order());
        Assert.Equal(["O-4"], Search(net, snapshot, "not-mapped").Order());         // a reporting meter the network lacks
        Assert.Empty(Search(net, snapshot, "M9"));                                    // in the network, behind no outage
        Assert.Empty(Search(net, snapshot, "zzz"));
    }
}
