using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Gis.Tests;

public class RealNetworkImportTests
{
    [Fact]
    public async Task Ckt24_ImportsWithZeroFindings_AndCountsMatchItsReadme()
    {
        var import = await TopologyGeoJsonReader.ReadFileAsync(TestData.Ckt24);

        Assert.Empty(import.Findings);
        var topology = NetworkTopology.Build(import.Features);
        Assert.Equal(1, topology.CountOf(ElementKind.Substation));
        Assert.Equal(1, topology.CountOf(ElementKind.Feeder));
        Assert.Equal(98, topology.CountOf(ElementKind.Device));
        Assert.Equal(818, topology.CountOf(ElementKind.Transformer));
        Assert.Equal(3890, topology.MeterCount);
        Assert.Equal(5220, topology.CountOf(ElementKind.Line));
    }

    [Fact]
    public async Task Ieee8500_ImportsWithZeroFindings_AndCountsMatchItsReadme()
    {
        var import = await TopologyGeoJsonReader.ReadFileAsync(TestData.Ieee8500);

        Assert.Empty(import.Findings);
        var topology = NetworkTopology.Build(import.Features);
        Assert.Equal(1, topology.CountOf(ElementKind.Substation));
        Assert.Equal(1, topology.CountOf(ElementKind.Feeder));
        Assert.Equal(74, topology.CountOf(ElementKind.Device));
        Assert.Equal(1177, topology.CountOf(ElementKind.Transformer));
        Assert.Equal(1177, topology.MeterCount);
    }
}
