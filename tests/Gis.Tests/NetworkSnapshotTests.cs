using NetTopologySuite.Geometries;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Snapshot;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Gis.Tests;

/// <summary>The compact network snapshot: a round trip gives the network the GeoJSON builds; anything damaged is refused saying why.</summary>
public class NetworkSnapshotTests
{
    [Theory]
    [InlineData("ckt24")]
    [InlineData("ieee8500")]
    public async Task RoundTrip_GivesTheLeanNetworkTheGeoJsonBuilds(string name)
    {
        var import = await TopologyGeoJsonReader.ReadFileAsync(name == "ckt24" ? TestData.Ckt24 : TestData.Ieee8500);
        var built = NetworkTopology.Build(import.Features, keepExtraProperties: false);

        var loaded = NetworkSnapshot.ReadNetwork(NetworkSnapshot.Write(import.Features));

        Assert.Equal(built.Features.Count, loaded.Features.Count);
        for (int k = 0; k < built.Features.Count; k++)
        {
            var (a, b) = (built.Features[k], loaded.Features[k]);
            Assert.Equal(a with { Geometry = b.Geometry }, b); // every property but the geometry object itself
            Assert.True(a.Geometry.EqualsExact(b.Geometry), a.Id);
            Assert.Equal(a.Geometry.GetType(), b.Geometry.GetType());
            Assert.Equal(a.Geometry.SRID, b.Geometry.SRID);
        }

        Assert.Equal(built.ElementCount, loaded.ElementCount);
        for (int e = 0; e < built.ElementCount; e++)
        {
            Assert.Equal(built.ParentOf(e), loaded.ParentOf(e));
            Assert.Equal(built.MeterCountBelow(e), loaded.MeterCountBelow(e));
            Assert.Equal(built.TransformerCountBelow(e), loaded.TransformerCountBelow(e));
        }

        Assert.Equal(built.Bounds, loaded.Bounds);
        Assert.Equal(built.ElementsIn(built.Bounds).Order(), loaded.ElementsIn(loaded.Bounds).Order());
        var c = built.Bounds.Centre;
        Assert.Equal(built.NearestTransformers(c.X, c.Y, 5), loaded.NearestTransformers(c.X, c.Y, 5));
    }

    [Fact]
    public void RoundTrip_KeepsOptionalPropertiesAndTheirAbsence()
    {
        var factory = TopologyGeoJsonReader.Factory;
        TopologyFeature[] features =
        [
            new() { Kind = ElementKind.Transformer, Id = "T", Geometry = factory.CreatePoint(new Coordinate(1, 2)), Kva = 25, Phase = "A", Name = "tx" },
            new()
            {
                Kind = ElementKind.Meter, Id = "M", Parent = "T", Geometry = factory.CreatePoint(new Coordinate(1.5, 2.5)), Guid = Guid.NewGuid(),
                SystemTitle = 0x4D4D4D0000BC614E, Critical = false, Address = "1 Main St — Ünit 2",
            },
            new() { Kind = ElementKind.Meter, Id = "N", Geometry = factory.CreatePoint(new Coordinate(-1, -2)), Critical = true },
            new() { Kind = ElementKind.Device, Id = "D", Geometry = factory.CreatePoint(new Coordinate(0, 0)), DeviceType = DeviceType.Recloser },
            new() { Kind = ElementKind.Line, Id = "L", Feeder = "F", Geometry = factory.CreateLineString([new(0, 0), new(1, 1), new(2, 0)]) },
        ];

        var read = NetworkSnapshot.Read(NetworkSnapshot.Write(features));

        for (int k = 0; k < features.Length; k++)
        {
            Assert.Equal(features[k] with { Geometry = read[k].Geometry }, read[k]);
            Assert.True(features[k].Geometry.EqualsExact(read[k].Geometry));
        }
    }

    [Fact]
    public void Read_ReferencesShareTheReferencedIdString_AndKeepDanglingOnes()
    {
        var factory = TopologyGeoJsonReader.Factory;
        TopologyFeature[] features =
        [
            new() { Kind = ElementKind.Meter, Id = "M1", Parent = "T", Geometry = factory.CreatePoint(new Coordinate(1, 2)), Phase = "B" },
            new() { Kind = ElementKind.Transformer, Id = "T", Geometry = factory.CreatePoint(new Coordinate(1, 2)), Phase = "B" },
            new() { Kind = ElementKind.Meter, Id = "M2", Parent = "T-gone", Geometry = factory.CreatePoint(new Coordinate(1, 2)), Phase = "C" },
        ];

        var read = NetworkSnapshot.Read(NetworkSnapshot.Write(features));

        Assert.Equal("T", read[0].Parent);
        Assert.Same(read[1].Id, read[0].Parent); // a parent written before its transformer still shares its id
        Assert.Same(read[0].Phase, read[1].Phase);
        Assert.Equal("T-gone", read[2].Parent);
        Assert.Equal("C", read[2].Phase);
    }

    [Fact]
    public void RoundTrip_ANetworkOfSeveralParts_DecodedSideBySide_KeepsOrderAndReferences()
    {
        var factory = TopologyGeoJsonReader.Factory;
        const int meters = 150_000; // three parts of 65,536 features
        var features = new List<TopologyFeature> { new() { Kind = ElementKind.Transformer, Id = "T", Geometry = factory.CreatePoint(new Coordinate(1, 2)) } };
        for (int i = 0; i < meters; i++)
        {
            // Every 1,000th meter's parent comes later in the file, in another part.
            string parent = i % 1000 == 0 ? $"T{meters - 1}" : "T";
            features.Add(new() { Kind = ElementKind.Meter, Id = $"M{i}", Parent = parent, Geometry = factory.CreatePoint(new Coordinate(i, -i)), Address = $"{i} Main St" });
        }

        features.Add(new() { Kind = ElementKind.Transformer, Id = $"T{meters - 1}", Geometry = factory.CreatePoint(new Coordinate(3, 4)) });

        var read = NetworkSnapshot.Read(NetworkSnapshot.Write(features));

        Assert.Equal(features.Count, read.Length);
        Assert.Equal(features, read); // same order, same values, geometry included
        Assert.Same(read[^1].Id, read[1].Parent);
        Assert.Same(read[0].Id, read[70_000].Parent);
    }

    [Fact]
    public void Read_AnyFlippedByte_IsAClearError()
    {
        var bytes = NetworkSnapshot.Write(SmallNetwork());
        foreach (int at in new[] { 0, 9, 13, 20, NetworkSnapshot.HeaderBytes, bytes.Length / 2, bytes.Length - 1 })
        {
            var damaged = (byte[])bytes.Clone();
            damaged[at] ^= 0x5A;
            Assert.Throws<InvalidDataException>(() => NetworkSnapshot.Read(damaged));
        }
    }

    [Fact]
    public void Read_TruncatedOrOfAnotherVersion_SaysSo()
    {
        var bytes = NetworkSnapshot.Write(SmallNetwork());

        var truncated = Assert.Throws<InvalidDataException>(() => NetworkSnapshot.Read(bytes.AsMemory(0, bytes.Length - 3)));
        Assert.Contains("truncated", truncated.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => NetworkSnapshot.Read(bytes.AsMemory(0, 10)));
        Assert.Throws<InvalidDataException>(() => NetworkSnapshot.Read(Array.Empty<byte>()));

        var other = (byte[])bytes.Clone();
        other[8] = NetworkSnapshot.Version + 1;
        var version = Assert.Throws<InvalidDataException>(() => NetworkSnapshot.Read(other));
        Assert.Contains($"format {NetworkSnapshot.Version + 1}", version.Message, StringComparison.Ordinal);
    }

    private static TopologyFeature[] SmallNetwork()
    {
        var factory = TopologyGeoJsonReader.Factory;
        return
        [
            new() { Kind = ElementKind.Transformer, Id = "T", Geometry = factory.CreatePoint(new Coordinate(1, 2)) },
            new() { Kind = ElementKind.Meter, Id = "M", Parent = "T", Geometry = factory.CreatePoint(new Coordinate(1, 2)), Guid = Guid.NewGuid(), SystemTitle = 7 },
        ];
    }
}

/// <summary>Features keep plain 2-D points and lines as coordinates: the same values, the same geometry, compared by value.</summary>
public class CompactGeometryTests
{
    private static readonly GeometryFactory Factory = TopologyGeoJsonReader.Factory;

    [Fact]
    public void PointsAndLines_GiveBackTheGeometryTheyWereGiven()
    {
        var point = new TopologyFeature { Kind = ElementKind.Meter, Id = "M", Geometry = Factory.CreatePoint(new Coordinate(-89.5, 40.25)) };
        var line = new TopologyFeature { Kind = ElementKind.Line, Id = "L", Geometry = Factory.CreateLineString([new(0, 0), new(1, 1.5), new(2, 0)]) };

        Assert.True(point.TryGetPoint(out double x, out double y));
        Assert.Equal((-89.5, 40.25), (x, y));
        Assert.IsType<Point>(point.Geometry);
        Assert.Equal(4326, point.Geometry.SRID);
        Assert.False(line.TryGetPoint(out _, out _));
        Assert.Equal([0, 0, 1, 1.5, 2, 0], line.LineCoordinates.ToArray());
        Assert.True(line.Geometry.EqualsExact(Factory.CreateLineString([new(0, 0), new(1, 1.5), new(2, 0)])));
        Assert.True(point.LineCoordinates.IsEmpty);
    }

    [Fact]
    public void FeaturesWithTheSameCoordinates_AreEqual_AndDifferentOnesAreNot()
    {
        TopologyFeature Line(double end) => new() { Kind = ElementKind.Line, Id = "L", Geometry = Factory.CreateLineString([new(0, 0), new(end, 1)]) };

        Assert.Equal(Line(1), Line(1));
        Assert.Equal(Line(1).GetHashCode(), Line(1).GetHashCode());
        Assert.NotEqual(Line(1), Line(2));
    }

    [Fact]
    public void AltitudeAndOtherGeometries_AreKeptAsGiven()
    {
        var high = new TopologyFeature { Kind = ElementKind.Transformer, Id = "T", Geometry = Factory.CreatePoint(new CoordinateZ(1, 2, 212.25)) };
        var polygon = Factory.CreatePolygon([new(0, 0), new(1, 0), new(1, 1), new(0, 0)]);
        var odd = new TopologyFeature { Kind = ElementKind.Transformer, Id = "P", Geometry = polygon };

        Assert.Equal(212.25, high.Location.Z);
        Assert.Same(polygon, odd.Geometry);
        Assert.False(odd.TryGetPoint(out _, out _));
    }
}
