using NetTopologySuite.Geometries;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Gis.Tests;

/// <summary>Spatial queries on ckt24 against brute force over every element.</summary>
[Collection(Ckt24Collection.Name)]
public class Ckt24SpatialTests(Ckt24Fixture ckt24)
{
    private NetworkTopology Topology => ckt24.Topology;

    /// <summary>The projection the contract of NearestTransformers names: x = lon · cos(centre latitude of Bounds).</summary>
    private double LonScale => Math.Cos(Topology.Bounds.Centre.Y * Math.PI / 180);

    private double Distance2(int element, double lon, double lat)
    {
        var c = Topology[element].Location;
        double dx = (c.X * LonScale) - (lon * LonScale), dy = c.Y - lat;
        return (dx * dx) + (dy * dy);
    }

    private List<int> Transformers() =>
        [.. Enumerable.Range(0, Topology.ElementCount).Where(e => Topology.KindOf(e) == ElementKind.Transformer)];

    /// <summary>Query points: inside, on a transformer, on the edge and well outside the network.</summary>
    public static TheoryData<double, double> Probes()
    {
        var data = new TheoryData<double, double>
        {
            { -89.0, 40.0 },                 // the substation
            { -88.9972996, 40.0200473 },     // a line end
            { -89.2, 40.3 },                 // far outside, north-west
            { -88.0, 39.0 },                 // far outside, south-east
        };
        var random = new Random(8500);
        for (int i = 0; i < 8; i++)
        {
            data.Add(-89.03 + (random.NextDouble() * 0.08), 39.99 + (random.NextDouble() * 0.06));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Probes))]
    public void NearestTransformers_AnyPoint_EqualsBruteForce(double lon, double lat)
    {
        var all = Transformers();
        foreach (var k in new[] { 1, 2, 5, 17, 100 })
        {
            var bruteForce = all.OrderBy(t => Distance2(t, lon, lat)).ThenBy(t => t).Take(k).ToList();

            var nearest = Topology.NearestTransformers(lon, lat, k);

            Assert.Equal(k, nearest.Count);
            Assert.All(nearest, t => Assert.Equal(ElementKind.Transformer, Topology.KindOf(t)));
            Assert.Equal(k, nearest.Distinct().Count());
            // Nearest first, and the same distances as brute force (ties may swap equal ids).
            Assert.Equal(bruteForce.Select(t => Distance2(t, lon, lat)), nearest.Select(t => Distance2(t, lon, lat)));
            double kth = Distance2(bruteForce[^1], lon, lat);
            var strictlyCloser = bruteForce.Where(t => Distance2(t, lon, lat) < kth).ToHashSet();
            Assert.Subset(nearest.ToHashSet(), strictlyCloser);
        }
    }

    [Fact]
    public void NearestTransformers_AtATransformer_ReturnsThatTransformerFirst()
    {
        foreach (var t in Transformers().Where((_, i) => i % 37 == 0))
        {
            var c = Topology[t].Location;

            var nearest = Topology.NearestTransformers(c.X, c.Y, 3);

            Assert.Equal(0, Distance2(nearest[0], c.X, c.Y));
            Assert.Equal(c, Topology[nearest[0]].Location);
        }
    }

    [Fact]
    public void NearestTransformers_MoreThanThereAre_ReturnsEveryTransformerInDistanceOrder()
    {
        var nearest = Topology.NearestTransformers(-89.0, 40.0, 5000);

        Assert.Equal(818, nearest.Count);
        Assert.Equal(Transformers().ToHashSet(), nearest.ToHashSet());
        var distances = nearest.Select(t => Distance2(t, -89.0, 40.0)).ToList();
        Assert.Equal(distances.Order(), distances);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void NearestTransformers_CountNotPositive_IsEmpty(int count)
    {
        Assert.Empty(Topology.NearestTransformers(-89.0, 40.0, count));
    }

    [Fact]
    public void NearestTransformers_LongitudeIsScaledByTheCentreLatitude()
    {
        // At 40° N a degree of longitude is ~0.77 of a degree of latitude: a point 0.0010° east
        // is nearer than one 0.0009° north. Unscaled distances would pick the other one.
        var small = NetworkTopology.Build(Geo.Read(Geo.File(
            Geo.Point("""{"kind":"substation","id":"S"}""", -89.0, 40.0),
            Geo.Point("""{"kind":"feeder","id":"F","parent":"S"}""", -89.0, 40.0),
            Geo.Point("""{"kind":"transformer","id":"EAST","parent":"F"}""", -88.9990, 40.0),
            Geo.Point("""{"kind":"transformer","id":"NORTH","parent":"F"}""", -89.0, 40.0009))).Features);

        var nearest = small.NearestTransformers(-89.0, 40.0, 2);

        Assert.Equal(["EAST", "NORTH"], nearest.Select(t => small[t].Id));
    }

    [Fact]
    public void NearestTransformers_NetworkWithoutTransformers_IsEmpty()
    {
        Assert.Empty(NetworkTopology.Empty.NearestTransformers(-89.0, 40.0, 3));
    }

    public static TheoryData<double, double, double, double> Boxes() => new()
    {
        { -89.01, -88.99, 39.99, 40.01 },
        { -89.005, -88.995, 40.015, 40.025 },
        { -89.0, -89.0, 40.0, 40.0 },        // a degenerate box on the substation
        { -90.0, -88.0, 39.0, 41.0 },        // everything
        { -10.0, -9.0, 10.0, 11.0 },         // nothing
        { -89.03, -88.97, 40.02, 40.021 },   // a thin strip
    };

    [Theory]
    [MemberData(nameof(Boxes))]
    public void ElementsIn_Box_EqualsBruteForceFilter(double minLon, double maxLon, double minLat, double maxLat)
    {
        var box = new Envelope(minLon, maxLon, minLat, maxLat);
        var bruteForce = Enumerable.Range(0, Topology.ElementCount).Where(e => box.Contains(Topology[e].Location)).ToHashSet();

        var found = Topology.ElementsIn(box);

        Assert.Equal(found.Count, found.Distinct().Count());
        Assert.Equal(bruteForce, found.ToHashSet());
    }

    [Fact]
    public void ElementsIn_Bounds_IsEveryElementAndNoLine()
    {
        var found = Topology.ElementsIn(Topology.Bounds);

        Assert.Equal(Topology.ElementCount, found.Count);
        Assert.DoesNotContain(found, e => Topology.KindOf(e) == ElementKind.Line);
    }

    [Fact]
    public void ElementsIn_BoxAroundTheKnownTransformer_ContainsItAndItsMetersRing()
    {
        // ckt24 meters sit on a small ring around their transformer.
        var t = ckt24.Element("ckt24-T-05410_G2100DL9800");
        var c = Topology[t].Location;
        var meters = Topology.MetersBelow(t).ToArray();
        var ring = new Envelope(c);
        foreach (var m in meters)
        {
            ring.ExpandToInclude(Topology[m].Location);
        }

        var found = Topology.ElementsIn(ring);

        Assert.Contains(t, found);
        Assert.Subset(found.ToHashSet(), meters.ToHashSet());
    }

    [Fact]
    public void Bounds_CoverEveryFeatureIncludingLines()
    {
        var bounds = Topology.Bounds;

        Assert.All(Topology.Features, f => Assert.True(bounds.Contains(f.Geometry.EnvelopeInternal), f.Id));
        Assert.InRange(bounds.Centre.Y, 39.9, 40.1);
        Assert.InRange(bounds.Centre.X, -89.1, -88.9);
    }
}
