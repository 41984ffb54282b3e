using OpsConsole.Gis.Topology;

namespace OpsConsole.Gis.Tests;

[CollectionDefinition(Name)]
public sealed class Ckt24Collection : ICollectionFixture<Ckt24Fixture>
{
    public const string Name = "ckt24";
}

/// <summary>
/// The snapshot of ckt24 against what its file says: every expectation is computed here from
/// the file's own parent links (read with JsonDocument), not from the snapshot.
/// </summary>
[Collection(Ckt24Collection.Name)]
public class Ckt24TopologyTests(Ckt24Fixture ckt24)
{
    private const string Substation = "ckt24-S-SubXFMR";
    private const string Feeder = "ckt24-F-fdr_05410";
    private const string Breaker = "ckt24-P-breaker-FDR-fdr_05410";
    private const string KnownMeter = "ckt24-M-100350100";
    private const string KnownTransformer = "ckt24-T-05410_G2100DL9800";

    private NetworkTopology Topology => ckt24.Topology;

    /// <summary>For every element id: the meter ids whose file chain passes through it.</summary>
    private Dictionary<string, HashSet<string>> MetersThroughInFile()
    {
        var through = ckt24.Raw.Where(r => r.Kind != "line").ToDictionary(r => r.Id, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var m in ckt24.OfKind("meter"))
        {
            through[m.Id].Add(m.Id);
            foreach (var up in ckt24.ChainInFile(m.Id))
            {
                through[up].Add(m.Id);
            }
        }

        return through;
    }

    [Fact]
    public void Upstream_KnownMeter_FollowsTheFilesParentLinksToTheSubstation()
    {
        Assert.Equal(KnownTransformer, ckt24.RawById[KnownMeter].Parent);
        var expected = ckt24.ChainInFile(KnownMeter);

        var actual = ckt24.ChainInTopology(KnownMeter);

        Assert.Equal(expected, actual);
        Assert.Equal(KnownTransformer, actual[0]);
        Assert.Equal([Feeder, Substation], actual[^2..]);
        Assert.Contains(Breaker, actual);
    }

    [Fact]
    public void Upstream_EveryElement_EqualsTheChainInTheFile()
    {
        foreach (var r in ckt24.Raw.Where(r => r.Kind != "line"))
        {
            Assert.Equal(ckt24.ChainInFile(r.Id), ckt24.ChainInTopology(r.Id));
        }
    }

    [Fact]
    public void Upstream_EveryMeter_EndsAtTheSubstation()
    {
        int meters = 0;
        foreach (var m in ckt24.OfKind("meter"))
        {
            Assert.Equal(Substation, ckt24.ChainInTopology(m.Id)[^1]);
            meters++;
        }

        Assert.Equal(3890, meters);
    }

    [Fact]
    public void Upstream_Substation_IsEmpty()
    {
        Assert.Empty(ckt24.ChainInTopology(Substation));
        Assert.Equal(-1, Topology.ParentOf(ckt24.Element(Substation)));
    }

    [Fact]
    public void MeterCountBelow_Substation_IsEveryMeter()
    {
        Assert.Equal(3890, Topology.MeterCountBelow(ckt24.Element(Substation)));
        Assert.Equal(3890, Topology.MeterCountBelow(ckt24.Element(Feeder)));
    }

    [Fact]
    public void MeterCountBelow_FeederBreaker_IsEveryMappedMeter()
    {
        var mapped = ckt24.OfKind("meter").Count(m => m.Parent is not null && ckt24.RawById.TryGetValue(m.Parent, out var p) && p.Kind == "transformer");

        Assert.Equal(mapped, Topology.MeterCountBelow(ckt24.Element(Breaker)));
        Assert.Equal(DeviceType.Breaker, Topology[ckt24.Element(Breaker)].DeviceType);
    }

    [Fact]
    public void MeterCountBelow_EveryTransformer_IsTheNumberOfMetersNamingIt()
    {
        var metersOf = ckt24.OfKind("meter").GroupBy(m => m.Parent!).ToDictionary(g => g.Key, g => g.Select(m => m.Id).ToHashSet());
        int transformers = 0;
        foreach (var t in ckt24.OfKind("transformer"))
        {
            var expected = metersOf.GetValueOrDefault(t.Id) ?? [];
            var e = ckt24.Element(t.Id);

            Assert.Equal(expected.Count, Topology.MeterCountBelow(e));
            Assert.Equal(expected, ckt24.Ids(Topology.MetersBelow(e)).ToHashSet());
            transformers++;
        }

        Assert.Equal(818, transformers);
        Assert.Contains(ckt24.OfKind("transformer"), t => !metersOf.ContainsKey(t.Id)); // the README's "0–71": some have none
        Assert.Equal(71, metersOf.Values.Max(s => s.Count));
    }

    [Fact]
    public void MetersBelow_EveryFuse_IsExactlyTheMetersWhoseChainPassesThroughIt()
    {
        var through = MetersThroughInFile();
        var fuses = ckt24.OfKind("device").Where(d => d.DeviceType == "fuse").ToList();
        Assert.Equal(97, fuses.Count);

        foreach (var fuse in fuses)
        {
            var below = ckt24.Ids(Topology.MetersBelow(ckt24.Element(fuse.Id)));

            Assert.Equal(below.Length, below.Distinct().Count());
            Assert.Equal(through[fuse.Id], below.ToHashSet());
        }
    }

    [Fact]
    public void MetersBelow_EveryElement_IsExactlyTheMetersWhoseChainPassesThroughIt()
    {
        var through = MetersThroughInFile();

        foreach (var (id, expected) in through)
        {
            var e = ckt24.Element(id);
            Assert.Equal(expected.Count, Topology.MeterCountBelow(e));
            Assert.Equal(expected, ckt24.Ids(Topology.MetersBelow(e)).ToHashSet());
        }
    }

    [Fact]
    public void MetersBelow_KnownMeter_IsItself()
    {
        var m = ckt24.Element(KnownMeter);

        Assert.Equal([m], Topology.MetersBelow(m).ToArray());
        Assert.Equal(0, Topology.TransformerCountBelow(m));
        Assert.Empty(Topology.ChildrenOf(m).ToArray());
    }

    [Fact]
    public void ChildrenOf_EveryElement_IsTheElementsNamingItAsParent()
    {
        var childrenInFile = ckt24.Raw.Where(r => r.Kind != "line" && r.Parent is not null)
            .GroupBy(r => r.Parent!).ToDictionary(g => g.Key, g => g.Select(r => r.Id).ToHashSet());

        foreach (var r in ckt24.Raw.Where(r => r.Kind != "line"))
        {
            var expected = childrenInFile.GetValueOrDefault(r.Id) ?? [];
            var actual = ckt24.Ids(Topology.ChildrenOf(ckt24.Element(r.Id)));

            Assert.Equal(expected.Count, actual.Length);
            Assert.Equal(expected, actual.ToHashSet());
        }

        Assert.Equal([Feeder], ckt24.Ids(Topology.ChildrenOf(ckt24.Element(Substation))));
    }

    [Fact]
    public void TransformerCountBelow_EveryElement_IsTheTransformersWhoseChainPassesThroughIt()
    {
        var expected = ckt24.Raw.Where(r => r.Kind != "line").ToDictionary(r => r.Id, _ => 0, StringComparer.Ordinal);
        foreach (var t in ckt24.OfKind("transformer"))
        {
            expected[t.Id]++;
            foreach (var up in ckt24.ChainInFile(t.Id))
            {
                expected[up]++;
            }
        }

        foreach (var (id, count) in expected)
        {
            Assert.Equal(count, Topology.TransformerCountBelow(ckt24.Element(id)));
        }

        Assert.Equal(818, Topology.TransformerCountBelow(ckt24.Element(Substation)));
    }

    [Fact]
    public void TryGetMeter_EveryMeterByGuidByIdAndByGuidString_FindsThatMeter()
    {
        foreach (var m in ckt24.OfKind("meter"))
        {
            var e = ckt24.Element(m.Id);

            Assert.True(Topology.TryGetMeter(Guid.Parse(m.Guid!), out var byGuid));
            Assert.Equal(e, byGuid);
            Assert.True(Topology.TryGetMeter(m.Id, out var byId));
            Assert.Equal(e, byId);
            Assert.True(Topology.TryGetMeter(m.Guid!, out var byGuidString));
            Assert.Equal(e, byGuidString);
            Assert.True(Topology.TryGetMeterBySystemTitle(m.SystemTitleValue, out var byTitle));
            Assert.Equal(e, byTitle);
        }
    }

    [Fact]
    public void TryGetMeter_KnownMeter_HasTheFilesIdentity()
    {
        var raw = ckt24.RawById[KnownMeter];

        Assert.True(Topology.TryGetMeter(Guid.Parse(raw.Guid!), out var m));

        Assert.Equal(KnownMeter, Topology[m].Id);
        Assert.Equal("4faa59a2-e276-509b-bdc4-9d6ddc1abe43", raw.Guid);
        Assert.Equal(0x4F5053180C33E0B5UL, Topology[m].SystemTitle);
        Assert.Equal("4F5053180C33E0B5", TopologyFeature.FormatSystemTitle(Topology[m].SystemTitle));
        Assert.False(Topology[m].IsCritical);
    }

    [Fact]
    public void TryGetMeter_UnknownOrNotAMeter_ReturnsFalseAndMinusOne()
    {
        Assert.False(Topology.TryGetMeter(Guid.NewGuid(), out var a));
        Assert.Equal(-1, a);
        Assert.False(Topology.TryGetMeter(KnownTransformer, out var b));
        Assert.Equal(-1, b);
        Assert.False(Topology.TryGetMeter("ckt24-M-nope", out var c));
        Assert.Equal(-1, c);
        Assert.False(Topology.TryGetMeterBySystemTitle(0x4F50530000000000UL, out var d));
        Assert.Equal(-1, d);
        Assert.False(Topology.TryGetMeter(Guid.Empty, out _));
    }

    [Fact]
    public void TryGetMeter_GuidStringInUpperCase_StillFindsTheMeter()
    {
        // Lookups are lenient; only the file format insists on lower case.
        var raw = ckt24.RawById[KnownMeter];

        Assert.True(Topology.TryGetMeter(raw.Guid!.ToUpperInvariant(), out var m));

        Assert.Equal(KnownMeter, Topology[m].Id);
    }

    [Fact]
    public void AncestorOfKind_KnownMeter_FindsEachLevelAndItself()
    {
        var m = ckt24.Element(KnownMeter);

        Assert.Equal(m, Topology.AncestorOfKind(m, ElementKind.Meter));
        Assert.Equal(ckt24.Element(KnownTransformer), Topology.AncestorOfKind(m, ElementKind.Transformer));
        Assert.Equal(ckt24.Element(Feeder), Topology.AncestorOfKind(m, ElementKind.Feeder));
        Assert.Equal(ckt24.Element(Substation), Topology.AncestorOfKind(m, ElementKind.Substation));
        var device = Topology.AncestorOfKind(m, ElementKind.Device);
        Assert.Equal(ckt24.ChainInFile(KnownMeter).First(id => ckt24.RawById[id].Kind == "device"), Topology[device].Id);
        Assert.Equal(-1, Topology.AncestorOfKind(ckt24.Element(Substation), ElementKind.Device));
        Assert.Equal(-1, Topology.AncestorOfKind(m, ElementKind.Line));
    }

    [Fact]
    public void AncestorOfKind_EveryMeter_TransformerIsItsParentInTheFile()
    {
        foreach (var m in ckt24.OfKind("meter"))
        {
            var t = Topology.AncestorOfKind(ckt24.Element(m.Id), ElementKind.Transformer);
            Assert.Equal(m.Parent, Topology[t].Id);
        }
    }

    [Fact]
    public void IsUnmapped_EveryCkt24Meter_IsMapped()
    {
        foreach (var m in ckt24.OfKind("meter"))
        {
            Assert.False(Topology.IsUnmapped(ckt24.Element(m.Id)));
        }

        Assert.False(Topology.IsUnmapped(ckt24.Element(KnownTransformer))); // not a meter at all
    }

    [Fact]
    public void IsUnmapped_MeterWhoseParentIsNull_IsUnmappedAndNotCountedBelowTheSubstation()
    {
        var features = ckt24.Import.Features.Select(f => f.Id == KnownMeter ? f with { Parent = null } : f).ToList();

        var topology = NetworkTopology.Build(features);

        Assert.True(topology.TryGetElement(KnownMeter, out var m));
        Assert.True(topology.IsUnmapped(m));
        Assert.Equal(-1, topology.ParentOf(m));
        Assert.Equal(-1, topology.AncestorOfKind(m, ElementKind.Transformer));
        Assert.True(topology.TryGetElement(Substation, out var s));
        Assert.Equal(3889, topology.MeterCountBelow(s));
        Assert.True(topology.TryGetElement(KnownTransformer, out var t));
        Assert.Equal(ckt24.Topology.MeterCountBelow(ckt24.Element(KnownTransformer)) - 1, topology.MeterCountBelow(t));
        Assert.DoesNotContain(m, topology.MetersBelow(t).ToArray());
        Assert.Equal(3890, topology.MeterCount);
        Assert.True(topology.TryGetMeter(Guid.Parse(ckt24.RawById[KnownMeter].Guid!), out var byGuid));
        Assert.Equal(m, byGuid);
    }

    [Fact]
    public void Find_LineById_ReturnsTheLineButTryGetElementDoesNot()
    {
        var line = ckt24.OfKind("line").First();

        Assert.Equal(ElementKind.Line, Topology.Find(line.Id)!.Kind);
        Assert.False(Topology.TryGetElement(line.Id, out var e));
        Assert.Equal(-1, e);
        Assert.Null(Topology.Find("no-such-id"));
        Assert.Equal(5220, Topology.Lines.Count);
        Assert.Equal(ckt24.Raw.Count, Topology.Features.Count);
        Assert.Equal(ckt24.Raw.Count - 5220, Topology.ElementCount);
    }

    [Fact]
    public void KindOf_EveryElement_IsTheKindInTheFile()
    {
        foreach (var r in ckt24.Raw.Where(r => r.Kind != "line"))
        {
            var e = ckt24.Element(r.Id);
            Assert.Equal(r.Kind, Topology.KindOf(e).ToWire());
            Assert.Equal(r.Id, Topology[e].Id);
        }
    }
}
