using System.Text;
using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Gis.Tests;

/// <summary>Import → export → import loses nothing (docs/topology-file.md: "a round trip loses nothing").</summary>
[Collection(Ckt24Collection.Name)]
public class RoundTripTests(Ckt24Fixture ckt24)
{
    private static async Task<byte[]> ExportAsync(IEnumerable<TopologyFeature> features)
    {
        using var stream = new MemoryStream();
        await TopologyGeoJsonWriter.WriteAsync(stream, features);
        return stream.ToArray();
    }

    private static JsonArray FeaturesOf(byte[] utf8) => JsonNode.Parse(utf8)!["features"]!.AsArray();

    private static void AssertSameFeature(TopologyFeature expected, TopologyFeature actual)
    {
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Parent, actual.Parent);
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Guid, actual.Guid);
        Assert.Equal(expected.SystemTitle, actual.SystemTitle);
        Assert.Equal(expected.Critical, actual.Critical);
        Assert.Equal(expected.Address, actual.Address);
        Assert.Equal(expected.DeviceType, actual.DeviceType);
        Assert.Equal(expected.Kva, actual.Kva);
        Assert.Equal(expected.Phase, actual.Phase);
        Assert.Equal(expected.Feeder, actual.Feeder);
        Assert.Equal(expected.Geometry.GeometryType, actual.Geometry.GeometryType);
        var a = expected.Geometry.Coordinates;
        var b = actual.Geometry.Coordinates;
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i].X, b[i].X);
            Assert.Equal(a[i].Y, b[i].Y);
            Assert.Equal(a[i].Z, b[i].Z);
        }
    }

    [Fact]
    public async Task Ckt24_ImportExportImport_LosesNothing()
    {
        var original = await File.ReadAllBytesAsync(TestData.Ckt24);
        var first = ckt24.Import;
        Assert.Empty(first.Findings);

        var exported = await ExportAsync(first.Features);
        var second = await TopologyGeoJsonReader.ReadAsync(new MemoryStream(exported));

        Assert.Empty(second.Findings);
        Assert.Equal(first.Features.Count, second.Features.Count);
        for (int i = 0; i < first.Features.Count; i++)
        {
            AssertSameFeature(first.Features[i], second.Features[i]);
        }

        // Properties (the extras included) and geometry, compared as JSON against the file itself.
        var inFile = FeaturesOf(original);
        var inExport = FeaturesOf(exported);
        Assert.Equal(inFile.Count, inExport.Count);
        for (int i = 0; i < inFile.Count; i++)
        {
            var id = (string?)inFile[i]!["properties"]!["id"];
            Assert.True(JsonNode.DeepEquals(inFile[i]!["properties"], inExport[i]!["properties"]), $"properties of {id} differ after export");
            Assert.True(JsonNode.DeepEquals(inFile[i]!["geometry"], inExport[i]!["geometry"]), $"geometry of {id} differs after export");
        }
    }

    [Fact]
    public async Task Ckt24_Export_IsStableWhenExportedAgain()
    {
        var exported = await ExportAsync(ckt24.Import.Features);

        var again = await ExportAsync(TopologyGeoJsonReader.Read(exported).Features);

        Assert.Equal(exported, again);
    }

    [Fact]
    public void Export_UnusualExtras_AreWrittenBackJsonEqual()
    {
        var file = Geo.NetworkWith(
            Geo.Point("""
                {"kind":"transformer","id":"T9","parent":"F1","kva":37.5,"phase":"BC","name":"odd one",
                 "nested":{"a":{"b":{"c":[1,{"d":null}]}},"empty":{}},
                 "list":[1,"two",3.0,null,true,false,[],[[]],{"x":-0.0}],
                 "nothing":null,
                 "big":12345678901234567890123,
                 "tiny":1.5e-300,
                 "exp":2E+3,
                 "negzero":-0,
                 "precise":0.1000000000000000055511151231257827,
                 "text":"caf\u00e9 \"quoted\" <b>&amp;</b> \ud83d\ude00 tab\there",
                 "":"empty name",
                 "guid":"not interpreted on a transformer",
                 "critical":"neither is this",
                 "feeder":42}
                """),
            Geo.Point($$"""
                {"kind":"meter","id":"M9","parent":"T9","guid":"{{Geo.GuidOf(9)}}","systemTitle":"{{Geo.TitleOf(9)}}","critical":true,
                 "address":"9 Odd St","kva":"not interpreted on a meter","phase":["A"],"deviceType":{"x":1},"from":null}
                """),
            Geo.Point("""{"kind":"device","id":"D9","parent":"FU1","deviceType":"sectionalizer","Id":"case matters","KIND":1}"""),
            Geo.Line("""{"kind":"line","id":"L9","feeder":"F1","from":"b1","to":"b2","phases":3,"parent":"not interpreted"}""", (-89, 40), (-89.1, 40.1)));
        var import = Geo.Read(file);
        Assert.Empty(import.Findings);

        var exported = TopologyGeoJsonWriter.ToUtf8(import.Features);

        var inFile = FeaturesOf(Encoding.UTF8.GetBytes(file));
        var inExport = FeaturesOf(exported);
        Assert.Equal(inFile.Count, inExport.Count);
        for (int i = 0; i < inFile.Count; i++)
        {
            Assert.True(JsonNode.DeepEquals(inFile[i]!["properties"], inExport[i]!["properties"]),
                $"feature {i}:\n{inFile[i]!["properties"]!.ToJsonString()}\n{inExport[i]!["properties"]!.ToJsonString()}");
            Assert.True(JsonNode.DeepEquals(inFile[i]!["geometry"], inExport[i]!["geometry"]), $"geometry of feature {i}");
        }

        var reimported = TopologyGeoJsonReader.Read(exported);
        Assert.Empty(reimported.Findings);
        for (int i = 0; i < import.Features.Count; i++)
        {
            AssertSameFeature(import.Features[i], reimported.Features[i]);
        }
    }

    [Fact]
    public void Export_ExtraNumbers_KeepTheirExactText()
    {
        // Numbers beyond double precision survive because extras are copied, not converted.
        var import = Geo.Read(Geo.NetworkWith(Geo.Point("""{"kind":"transformer","id":"T9","parent":"F1","big":12345678901234567890123,"precise":0.1000000000000000055511151231257827}""")));

        var text = Encoding.UTF8.GetString(TopologyGeoJsonWriter.ToUtf8(import.Features));

        Assert.Contains("\"big\":12345678901234567890123", text, StringComparison.Ordinal);
        Assert.Contains("\"precise\":0.1000000000000000055511151231257827", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_Altitude_IsWrittenBack()
    {
        var file = Geo.NetworkWith(
            Geo.Feature("""{"type":"Point","coordinates":[-89.5,40.5,212.25]}""", """{"kind":"transformer","id":"T9","parent":"F1"}"""),
            Geo.Feature("""{"type":"LineString","coordinates":[[-89.5,40.5,1.5],[-89.6,40.6,-2]]}""", """{"kind":"line","id":"L9","feeder":"F1"}"""));
        var import = Geo.Read(file);
        Assert.Empty(import.Findings);

        var exported = TopologyGeoJsonWriter.ToUtf8(import.Features);

        var inFile = FeaturesOf(Encoding.UTF8.GetBytes(file));
        var inExport = FeaturesOf(exported);
        for (int i = 0; i < inFile.Count; i++)
        {
            Assert.True(JsonNode.DeepEquals(inFile[i]!["geometry"], inExport[i]!["geometry"]),
                $"{inFile[i]!["geometry"]!.ToJsonString()} became {inExport[i]!["geometry"]!.ToJsonString()}");
        }

        Assert.Equal(212.25, import.Features.Single(f => f.Id == "T9").Location.Z);
    }

    [Fact]
    public void Export_UnmappedMeter_KeepsItsNullParent()
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Meter("M9", null, 9)));

        var reimported = TopologyGeoJsonReader.Read(TopologyGeoJsonWriter.ToUtf8(import.Features));

        Assert.Empty(reimported.Findings);
        var m9 = reimported.Features.Single(f => f.Id == "M9");
        Assert.Null(m9.Parent);
        Assert.Equal(Guid.Parse(Geo.GuidOf(9)), m9.Guid);
    }

    [Fact]
    public void Export_FeatureWithoutExtras_WritesOnlyTheContractProperties()
    {
        var import = Geo.Read(Geo.File(Geo.Network));
        var m2 = import.Features.Single(f => f.Id == "M2");
        Assert.Null(m2.Extra);

        var properties = FeaturesOf(TopologyGeoJsonWriter.ToUtf8([m2]))[0]!["properties"]!.AsObject();

        Assert.Equal(["kind", "id", "parent", "guid", "systemTitle", "critical", "address"], properties.Select(p => p.Key));
        Assert.Equal("4F50530000000002", (string?)properties["systemTitle"]);
    }

    [Fact]
    public void Export_SmallNetwork_IsAValidFeatureCollectionWithTheSameCounts()
    {
        var import = Geo.Read(Geo.File(Geo.Network));

        var root = JsonNode.Parse(TopologyGeoJsonWriter.ToUtf8(import.Features))!;

        Assert.Equal("FeatureCollection", (string?)root["type"]);
        Assert.Equal(10, root["features"]!.AsArray().Count);
        Assert.All(root["features"]!.AsArray(), f =>
        {
            Assert.Equal("Feature", (string?)f!["type"]);
            Assert.Equal((string?)f["properties"]!["id"], (string?)f["id"]);
        });
        var line = (LineString)TopologyGeoJsonReader.Read(TopologyGeoJsonWriter.ToUtf8(import.Features)).Features.Single(f => f.Id == "L1").Geometry;
        Assert.Equal(3, line.NumPoints);
    }
}
