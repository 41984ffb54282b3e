using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Gis.Tests;

/// <summary>The server's snapshot: an index without extra properties, answering exactly like the full one.</summary>
public class LeanSnapshotTests
{
    [Fact]
    public async Task LeanBuild_DropsExtras_SharesParentIdStrings_AndAnswersLikeTheFullBuild()
    {
        var import = await TopologyGeoJsonReader.ReadFileAsync(TestData.Ckt24);
        var full = NetworkTopology.Build(import.Features);
        var lean = NetworkTopology.Build(import.Features, keepExtraProperties: false);

        Assert.All(lean.Features, f => Assert.Null(f.Extra));
        Assert.Contains(full.Features, f => f.Extra is not null);
        Assert.Equal(full.ElementCount, lean.ElementCount);
        for (int e = 0; e < lean.ElementCount; e++)
        {
            Assert.Equal(full[e].Id, lean[e].Id);
            Assert.Equal(full.ParentOf(e), lean.ParentOf(e));
            Assert.Equal(full.MeterCountBelow(e), lean.MeterCountBelow(e));
            int p = lean.ParentOf(e);
            if (p >= 0)
            {
                Assert.Same(lean[p].Id, lean[e].Parent); // one string per id, not one per reference
            }
        }

        Assert.Equal(full.Bounds, lean.Bounds);
        Assert.Same(lean[0], lean.Features.First(f => f.Kind != ElementKind.Line)); // file-order list holds the lean copies
    }

    [Fact]
    public async Task Build_BoundsFromCoordinates_EqualTheGeometriesEnvelope()
    {
        var import = await TopologyGeoJsonReader.ReadFileAsync(TestData.Ckt24);
        var expected = new NetTopologySuite.Geometries.Envelope();
        foreach (var f in import.Features)
        {
            expected.ExpandToInclude(f.Geometry.EnvelopeInternal);
        }

        Assert.Equal(expected, NetworkTopology.Build(import.Features).Bounds);
    }
}
