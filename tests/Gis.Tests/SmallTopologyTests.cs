using OpsConsole.Gis.Topology;

namespace OpsConsole.Gis.Tests;

/// <summary>The snapshot of the hand-written network, where every answer is known by heart.</summary>
public class SmallTopologyTests
{
    private readonly NetworkTopology _topology;

    public SmallTopologyTests()
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Meter("M0", null, 100)));
        Assert.Empty(import.Findings);
        _topology = NetworkTopology.Build(import.Features);
    }

    private int E(string id)
    {
        Assert.True(_topology.TryGetElement(id, out var e), id);
        return e;
    }

    private string[] Ids(ReadOnlySpan<int> elements) => [.. elements.ToArray().Select(e => _topology[e].Id)];

    private string[] Up(string id)
    {
        var ids = new List<string>();
        foreach (var e in _topology.Upstream(E(id)))
        {
            ids.Add(_topology[e].Id);
        }

        return [.. ids];
    }

    [Fact]
    public void Counts_AreThoseOfTheFile()
    {
        Assert.Equal(4, _topology.MeterCount);
        Assert.Equal(2, _topology.CountOf(ElementKind.Device));
        Assert.Equal(2, _topology.CountOf(ElementKind.Transformer));
        Assert.Equal(1, _topology.CountOf(ElementKind.Line));
        Assert.Equal(10, _topology.ElementCount);
    }

    [Fact]
    public void Upstream_MeterUnderTheFuse_PassesEveryLevel()
    {
        Assert.Equal(["T1", "FU1", "B1", "F1", "S1"], Up("M1"));
        Assert.Equal(["T2", "F1", "S1"], Up("M3"));
        Assert.Empty(Up("S1"));
        Assert.Empty(Up("M0"));
    }

    [Fact]
    public void ChildrenOf_EachLevel_AreItsDirectChildrenOnly()
    {
        Assert.Equal(["F1"], Ids(_topology.ChildrenOf(E("S1"))));
        Assert.Equal(["B1", "T2"], Ids(_topology.ChildrenOf(E("F1"))).Order());
        Assert.Equal(["M1", "M2"], Ids(_topology.ChildrenOf(E("T1"))).Order());
        Assert.Empty(Ids(_topology.ChildrenOf(E("M0"))));
    }

    [Fact]
    public void MetersBelow_EachLevel_AreTheMetersUnderIt()
    {
        Assert.Equal(["M1", "M2", "M3"], Ids(_topology.MetersBelow(E("S1"))).Order());
        Assert.Equal(["M1", "M2"], Ids(_topology.MetersBelow(E("B1"))).Order());
        Assert.Equal(["M1", "M2"], Ids(_topology.MetersBelow(E("FU1"))).Order());
        Assert.Equal(["M3"], Ids(_topology.MetersBelow(E("T2"))));
        Assert.Equal(["M0"], Ids(_topology.MetersBelow(E("M0"))));
        Assert.Equal(2, _topology.MeterCountBelow(E("T1")));
    }

    [Fact]
    public void TransformerCountBelow_EachLevel()
    {
        Assert.Equal(2, _topology.TransformerCountBelow(E("S1")));
        Assert.Equal(2, _topology.TransformerCountBelow(E("F1")));
        Assert.Equal(1, _topology.TransformerCountBelow(E("FU1")));
        Assert.Equal(1, _topology.TransformerCountBelow(E("T2")));
        Assert.Equal(0, _topology.TransformerCountBelow(E("M1")));
    }

    [Fact]
    public void IsUnmapped_MeterWithNullParent_IsUnmappedAndOthersAreNot()
    {
        Assert.True(_topology.IsUnmapped(E("M0")));
        Assert.False(_topology.IsUnmapped(E("M1")));
        Assert.False(_topology.IsUnmapped(E("S1"))); // a root, but not a meter
    }

    [Fact]
    public void MeterProperties_AreParsed()
    {
        var m1 = _topology[E("M1")];
        var m2 = _topology[E("M2")];
        var m3 = _topology[E("M3")];

        Assert.True(m1.IsCritical);
        Assert.False(m2.IsCritical);
        Assert.Null(m3.Critical);
        Assert.Equal("1 Main St", m2.Address);
        Assert.Equal(Guid.Parse(Geo.GuidOf(2)), m2.Guid);
        Assert.Equal(0x4F50530000000002UL, m2.SystemTitle);
        Assert.Equal(25, _topology[E("T1")].Kva);
        Assert.Equal("ABC", _topology[E("T2")].Phase);
        Assert.Equal(DeviceType.Fuse, _topology[E("FU1")].DeviceType);
        Assert.Equal("F1", _topology.Find("L1")!.Feeder);
    }

    [Fact]
    public void TryGetMeter_ByEveryKey_FindsTheSameMeter()
    {
        var m2 = E("M2");

        Assert.True(_topology.TryGetMeter(Guid.Parse(Geo.GuidOf(2)), out var a));
        Assert.True(_topology.TryGetMeter("M2", out var b));
        Assert.True(_topology.TryGetMeter(Geo.GuidOf(2), out var c));
        Assert.True(_topology.TryGetMeterBySystemTitle(0x4F50530000000002UL, out var d));

        Assert.Equal([m2, m2, m2, m2], [a, b, c, d]);
        Assert.False(_topology.TryGetMeter("T1", out _));
        Assert.False(_topology.TryGetMeter("L1", out _));
    }

    [Fact]
    public void Build_NoFeatures_IsEmpty()
    {
        var empty = NetworkTopology.Empty;

        Assert.Equal(0, empty.ElementCount);
        Assert.Equal(0, empty.MeterCount);
        Assert.True(empty.Bounds.IsNull);
        Assert.Empty(empty.ElementsIn(new NetTopologySuite.Geometries.Envelope(-180, 180, -90, 90)));
        Assert.False(empty.TryGetMeter(Guid.Empty, out _));
    }
}
