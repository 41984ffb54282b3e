using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Tests.Correlation;

/// <summary>
/// A hand-made network where every count is known (metered transformers in brackets):
/// <code>
/// S1 [11] ─┬─ F1 [9] ─┬─ R1 recloser [6] ─┬─ FU1 fuse [3] ─┬─ T1: M1 (critical), M2, M3, M4
///          │          │                   │                ├─ T2: M5, M6
///          │          │                   │                └─ T3: M7, M8
///          │          │                   ├─ FU2 fuse [2] ─┬─ T4: M9, M10
///          │          │                   │                ├─ T10: M17, M18
///          │          │                   │                └─ T6 (no meters)
///          │          │                   └─ FU3 fuse [1] ─── T12: M16
///          │          ├─ T5: M11   ├─ T7: M13   └─ T8: M19
///          └─ F2 [2] ─┬─ T11: M14, M15
///                     └─ T13: M20
/// M12: unmapped
/// </code>
/// Meter <c>Mn</c> has GUID <see cref="GuidOf"/>(n).
/// </summary>
internal static class CorrelationNetwork
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 24, 18, 3, 11, TimeSpan.Zero);

    public static NetworkTopology Build()
    {
        var features = new List<TopologyFeature>
        {
            Element(ElementKind.Substation, "S1", null),
            Element(ElementKind.Feeder, "F1", "S1"),
            Element(ElementKind.Feeder, "F2", "S1"),
            Element(ElementKind.Device, "R1", "F1", DeviceType.Recloser),
            Element(ElementKind.Device, "FU1", "R1", DeviceType.Fuse),
            Element(ElementKind.Device, "FU2", "R1", DeviceType.Fuse),
            Element(ElementKind.Device, "FU3", "R1", DeviceType.Fuse),
        };
        foreach (var (t, parent) in new[] { ("T1", "FU1"), ("T2", "FU1"), ("T3", "FU1"), ("T4", "FU2"), ("T10", "FU2"), ("T6", "FU2"),
                     ("T12", "FU3"), ("T5", "F1"), ("T7", "F1"), ("T8", "F1"), ("T11", "F2"), ("T13", "F2") })
        {
            features.Add(Element(ElementKind.Transformer, t, parent));
        }

        foreach (var (n, parent) in new[] { (1, "T1"), (2, "T1"), (3, "T1"), (4, "T1"), (5, "T2"), (6, "T2"), (7, "T3"), (8, "T3"),
                     (9, "T4"), (10, "T4"), (17, "T10"), (18, "T10"), (16, "T12"), (11, "T5"), (13, "T7"), (19, "T8"),
                     (14, "T11"), (15, "T11"), (20, "T13"), (12, null) })
        {
            features.Add(Meter(n, parent, critical: n == 1));
        }

        return NetworkTopology.Build(features);
    }

    public static TopologyFeature Element(ElementKind kind, string id, string? parent, DeviceType type = DeviceType.Unspecified) => new()
    {
        Kind = kind,
        Id = id,
        Parent = parent,
        DeviceType = type,
        Geometry = TopologyGeoJsonReader.Factory.CreatePoint(new NetTopologySuite.Geometries.Coordinate(-89, 40)),
    };

    public static TopologyFeature Meter(int n, string? parent, bool critical = false) => Element(ElementKind.Meter, "M" + n, parent) with
    {
        Guid = GuidOf(n),
        SystemTitle = 0x4F50_5300_0000_0000UL + (ulong)n,
        Critical = critical,
    };

    public static Guid GuidOf(int n) => new($"6f1c2a3b-0000-4000-8000-{n:x12}");

    public static CorrelationOptions Options() => new();
}

/// <summary>Feeds a correlator events with explicit times (milliseconds after <see cref="CorrelationNetwork.T0"/>).</summary>
internal sealed class Feed(OutageCorrelator engine)
{
    private uint _eventId = 1;

    public OutageCorrelator Engine { get; } = engine;

    public static DateTimeOffset At(double ms) => CorrelationNetwork.T0.AddMilliseconds(ms);

    public EventDisposition Send(Guid meter, MeterEventCode code, double ms, EventFlags flags = EventFlags.None, uint? eventId = null) =>
        Engine.Process(Event(meter, code, At(ms), eventId ?? _eventId++, flags));

    public EventDisposition Gasp(int n, double ms) => Send(CorrelationNetwork.GuidOf(n), MeterEventCode.PowerDown, ms);

    public EventDisposition Up(int n, double ms) => Send(CorrelationNetwork.GuidOf(n), MeterEventCode.PowerUp, ms);

    public void Advance(double ms) => Engine.Advance(At(ms));

    public static RecordedEvent Event(Guid meter, MeterEventCode code, DateTimeOffset at, uint eventId, EventFlags flags = EventFlags.None) => new(
        new MeterEvent(meter, code, eventId, 1, at, at, 4000, -70, 0x8000_0000u),
        0x4F50_5300_0000_0000UL,
        eventId,
        at,
        "10.0.0.1:5683",
        flags,
        null);
}
