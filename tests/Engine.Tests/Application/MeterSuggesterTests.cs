using OpsConsole.Engine.Application.Meters;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Tests.Application;

/// <summary>
/// The unmapped-meter suggestions on a small placed network: S1 → F1 → FU1 → T1 (M1–M3, phase A, 40 m from U) and
/// T2 (M4, M5, phase B, 10 m from U); T3 (phase A, no meters, 300 m away); U unmapped (phase A).
/// </summary>
public class MeterSuggesterTests
{
    internal static readonly DateTimeOffset T0 = new(2026, 11, 20, 6, 0, 0, TimeSpan.Zero);
    private static readonly long Window = TimeSpan.FromSeconds(2).Ticks;
    private static readonly Dictionary<string, string> NoRemaps = [];

    private readonly NetworkTopology _net = Network();
    private readonly SettableTime _time = new(T0.AddDays(1));
    private readonly LastGaspIndex _index;
    private uint _eventId = 1;

    public MeterSuggesterTests() => _index = new LastGaspIndex(_time, TimeSpan.FromDays(30));

    private static NetworkTopology Network()
    {
        // 0.0001° of latitude is about 11 m.
        return NetworkTopology.Build(
        [
            Point(ElementKind.Substation, "S1", null, 0, 0),
            Point(ElementKind.Feeder, "F1", "S1", 0, 0),
            Point(ElementKind.Device, "FU1", "F1", 0, 0),
            Point(ElementKind.Transformer, "T1", "FU1", 0.00036, 0) with { Phase = "A" },
            Point(ElementKind.Transformer, "T2", "FU1", 0.00009, 0) with { Phase = "B" },
            Point(ElementKind.Transformer, "T3", "FU1", -0.0027, 0) with { Phase = "A" },
            Meter(1, "T1", 0.00037), Meter(2, "T1", 0.00038), Meter(3, "T1", 0.00039),
            Meter(4, "T2", 0.0001), Meter(5, "T2", 0.00011),
            Meter(9, null, 0) with { Id = "U", Phase = "A" },
        ]);
    }

    private static TopologyFeature Point(ElementKind kind, string id, string? parent, double dLat, double dLon) => new()
    {
        Kind = kind,
        Id = id,
        Parent = parent,
        Geometry = TopologyGeoJsonReader.Factory.CreatePoint(new NetTopologySuite.Geometries.Coordinate(-89 + dLon, 40 + dLat)),
    };

    private static TopologyFeature Meter(int n, string? parent, double dLat) => Point(ElementKind.Meter, "M" + n, parent, dLat, 0) with { Guid = GuidOf(n), SystemTitle = 0x4F50_5300_0000_0000UL + (ulong)n };

    private static Guid GuidOf(int n) => new($"7a1c2a3b-0000-4000-8000-{n:x12}");

    private void Gasp(int n, double seconds, MeterEventCode code = MeterEventCode.PowerDown, EventFlags flags = EventFlags.None)
    {
        var at = T0.AddSeconds(seconds);
        uint id = _eventId++;
        _index.Add(new RecordedEvent(new MeterEvent(GuidOf(n), code, id, 1, at, at, 4000, -70, 0), 1, id, at, "10.0.0.1:5683", flags, null));
    }

    private IReadOnlyList<MeterSuggestion> Suggest(IReadOnlyDictionary<string, string>? remaps = null)
    {
        Assert.True(_net.TryGetMeter("U", out int u));
        return MeterSuggester.Suggest(_net, u, GuidOf(9), remaps ?? NoRemaps, _index, Window);
    }

    [Fact]
    public void NoLastGasps_RankedByPlace_AndAPhaseThatDoesNotFitCountsAgainst()
    {
        var s = Suggest();

        // T2 is nearest (10 m) but carries phase B only; T1 (40 m) carries the meter's A; T3 is 300 m away.
        Assert.Equal(["T1", "T2", "T3"], s.Select(x => x.Transformer));
        Assert.All(s, x => Assert.Equal(0, x.CoTimedMeters));
        Assert.InRange(s[1].DistanceM!.Value, 9, 11);
        Assert.Equal("no recorded last gasp of this meter to compare: T2 is ranked by place; 10 m away; phase A not on B", s[1].Reason);
        Assert.True(s[0].Score > s[1].Score && s[1].Score > s[2].Score);
        Assert.Equal(1.0, s.Sum(x => x.Score), 3);
    }

    [Fact]
    public void CoTimedLastGasps_OutrankTheNearerTransformer_AndExplainThemselves()
    {
        // Two outages of T1 with U in them (one of M3's gasps lost), one of T2 alone.
        Gasp(1, 100); Gasp(2, 100.3); Gasp(3, 100.5); Gasp(9, 100.8);
        Gasp(1, 5000); Gasp(2, 5000.2); Gasp(9, 5000.4);
        Gasp(4, 9000); Gasp(5, 9000.1);

        var s = Suggest();

        Assert.Equal("T1", s[0].Transformer);
        Assert.Equal(3, s[0].CoTimedMeters);
        Assert.Equal("3 of 3 meters of T1 went down within 0.8 s of this meter (2 of its 2 recorded last gasps); 40 m away; phase A on A", s[0].Reason);
        Assert.Equal("T2", s[1].Transformer);
        Assert.Equal(0, s[1].CoTimedMeters);
        Assert.StartsWith("none of the 2 meters of T2 went down with this meter", s[1].Reason, StringComparison.Ordinal);
        Assert.True(s[0].Score > s[1].Score);
        Assert.InRange(s[0].Score, 0, 1);
    }

    [Fact]
    public void ATransformerThatAlsoWentDownAlone_RanksBelowOneThatWentDownOnlyWithTheMeter()
    {
        // A fuse outage takes T1, T2 and U together; T2 also failed alone twice, T1 never without U.
        Gasp(1, 100); Gasp(2, 100.1); Gasp(3, 100.2); Gasp(4, 100.3); Gasp(5, 100.4); Gasp(9, 100.5);
        Gasp(4, 3000); Gasp(5, 3000.1);
        Gasp(4, 6000); Gasp(5, 6000.1);

        var s = Suggest();

        Assert.Equal("T1", s[0].Transformer);
        Assert.Equal("T2", s[1].Transformer);
        Assert.Equal(2, s[1].CoTimedMeters);
    }

    [Fact]
    public void TestPowerDownsDriftFlaggedAndRepeatedEvents_AreNoEvidence()
    {
        Gasp(9, 100);
        Gasp(4, 100.2, MeterEventCode.TestPowerDown);
        Gasp(5, 100.2, flags: EventFlags.TimeSync);
        var at = T0.AddSeconds(100.1);
        var repeated = new RecordedEvent(new MeterEvent(GuidOf(1), MeterEventCode.PowerDown, 77, 1, at, at, 4000, -70, 0), 1, 77, at, "10.0.0.1:5683", EventFlags.None, null);
        _index.Add(repeated);
        _index.Add(repeated);

        Assert.Empty(_index.GaspsOf(GuidOf(4)));
        Assert.Empty(_index.GaspsOf(GuidOf(5)));
        Assert.Single(_index.GaspsOf(GuidOf(1)));
        var s = Suggest();
        Assert.Equal(0, s.Single(x => x.Transformer == "T2").CoTimedMeters);
        Assert.Equal(1, s.Single(x => x.Transformer == "T1").CoTimedMeters);
    }

    [Fact]
    public void Index_KeepsTheNewestGaspsPerMeter_AndForgetsThoseBeyondTheHistory()
    {
        for (int i = 0; i < LastGaspIndex.PerMeter + 4; i++)
        {
            Gasp(1, i * 100);
        }

        var kept = _index.GaspsOf(GuidOf(1));
        Assert.Equal(LastGaspIndex.PerMeter, kept.Length);
        Assert.Equal(T0.AddSeconds(400).UtcTicks, kept[0]);
        Assert.Equal(kept.Order(), kept);

        _time.Now = T0.AddDays(30).AddSeconds(1000);
        Assert.Equal(T0.AddSeconds(1000).UtcTicks, _index.GaspsOf(GuidOf(1))[0]);
        Gasp(2, 0); // older than the history: not taken
        Assert.Empty(_index.GaspsOf(GuidOf(2)));

        var near = new HashSet<Guid>();
        _index.MetersNear(T0.AddSeconds(1500).UtcTicks, Window, near);
        Assert.Equal([GuidOf(1)], near);
        near.Clear();
        _index.MetersNear(T0.AddSeconds(1550).UtcTicks, Window, near);
        Assert.Empty(near);
    }

    [Fact]
    public void RemapsInForce_AreTheTransformersMeters()
    {
        // M4 remapped to T1 in the console: T1's evidence counts it, T2's no longer does.
        Gasp(4, 100); Gasp(9, 100.3);
        var s = Suggest(new Dictionary<string, string> { ["M4"] = "T1" });

        var t1 = s.Single(x => x.Transformer == "T1");
        Assert.Equal(1, t1.CoTimedMeters);
        Assert.StartsWith("1 of 4 meters of T1", t1.Reason, StringComparison.Ordinal);
        Assert.StartsWith("none of the 1 meter of T2", s.Single(x => x.Transformer == "T2").Reason, StringComparison.Ordinal);
    }

    internal sealed class SettableTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
