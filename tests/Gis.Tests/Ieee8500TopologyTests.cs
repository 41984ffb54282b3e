using OpsConsole.Gis.Topology;

namespace OpsConsole.Gis.Tests;

/// <summary>The IEEE 8500-node feeder: the counts are in RealNetworkImportTests; here, the tree.</summary>
public class Ieee8500TopologyTests(Ieee8500Fixture ieee) : IClassFixture<Ieee8500Fixture>
{
    private NetworkTopology Topology => ieee.Topology;

    private string Substation => Assert.Single(ieee.OfKind("substation")).Id;

    [Fact]
    public void Import_HasZeroFindings()
    {
        Assert.Empty(ieee.Import.Findings);
    }

    [Fact]
    public void Upstream_EveryMeter_ReachesTheSubstationThroughItsTransformerAndFeeder()
    {
        var feeder = Assert.Single(ieee.OfKind("feeder")).Id;
        int meters = 0;
        foreach (var m in ieee.OfKind("meter"))
        {
            var chain = ieee.ChainInTopology(m.Id);

            Assert.Equal(ieee.ChainInFile(m.Id), chain);
            Assert.Equal(m.Parent, chain[0]);
            Assert.Equal(ElementKind.Transformer, Topology.KindOf(ieee.Element(chain[0])));
            Assert.Equal([feeder, Substation], chain[^2..]);
            Assert.False(Topology.IsUnmapped(ieee.Element(m.Id)));
            meters++;
        }

        Assert.Equal(1177, meters);
    }

    [Fact]
    public void Upstream_EveryElement_EqualsTheChainInTheFile()
    {
        foreach (var r in ieee.Raw.Where(r => r.Kind != "line"))
        {
            Assert.Equal(ieee.ChainInFile(r.Id), ieee.ChainInTopology(r.Id));
        }
    }

    [Fact]
    public void MeterCountBelow_SubstationAndEveryTransformer_MatchTheReadme()
    {
        Assert.Equal(1177, Topology.MeterCountBelow(ieee.Element(Substation)));
        Assert.Equal(1177, Topology.TransformerCountBelow(ieee.Element(Substation)));
        foreach (var t in ieee.OfKind("transformer"))
        {
            var e = ieee.Element(t.Id);
            Assert.Equal(1, Topology.MeterCountBelow(e)); // one meter per transformer
            Assert.Equal(t.Id, ieee.RawById[Topology[Topology.MetersBelow(e)[0]].Id].Parent);
        }
    }

    [Fact]
    public void MeterCountBelow_EveryDevice_IsTheMetersWhoseChainPassesThroughIt()
    {
        var through = ieee.OfKind("device").ToDictionary(d => d.Id, _ => 0, StringComparer.Ordinal);
        foreach (var m in ieee.OfKind("meter"))
        {
            foreach (var up in ieee.ChainInFile(m.Id).Where(through.ContainsKey))
            {
                through[up]++;
            }
        }

        foreach (var (device, count) in through)
        {
            Assert.Equal(count, Topology.MeterCountBelow(ieee.Element(device)));
        }

        Assert.Equal(74, through.Count);
    }

    [Fact]
    public void TryGetMeter_EveryMeterByGuidAndSystemTitle_FindsThatMeter()
    {
        foreach (var m in ieee.OfKind("meter"))
        {
            var e = ieee.Element(m.Id);
            Assert.True(Topology.TryGetMeter(Guid.Parse(m.Guid!), out var byGuid));
            Assert.Equal(e, byGuid);
            Assert.True(Topology.TryGetMeterBySystemTitle(m.SystemTitleValue, out var byTitle));
            Assert.Equal(e, byTitle);
        }
    }
}
