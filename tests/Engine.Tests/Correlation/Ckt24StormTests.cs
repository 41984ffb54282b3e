using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Tests.Correlation;

/// <summary>ckt24, imported once for every storm test.</summary>
public sealed class Ckt24Network : IAsyncLifetime
{
    public NetworkTopology Topology { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var import = await TopologyGeoJsonReader.ReadFileAsync(Path.Combine(RepoRoot(), "networks", "ckt24.geojson"));
        Assert.True(import.IsValid);
        Topology = NetworkTopology.Build(import.Features);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OpsConsole.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("OpsConsole.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>
/// Seeded random storms on ckt24: failed devices and transformers at staggered times, stragglers,
/// lone meters, test power-downs and clock-drift flagged last gasps.
/// </summary>
public class Ckt24StormTests(Ckt24Network network) : IClassFixture<Ckt24Network>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 18, 0, 0, TimeSpan.Zero);

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 20)];

    private sealed record Storm(List<RecordedEvent> Events, HashSet<int> Genuine, HashSet<int> Excluded);

    /// <summary>Every event in receive-time order.</summary>
    private Storm MakeStorm(int seed)
    {
        var topo = network.Topology;
        var rng = new Random(seed);
        var events = new List<RecordedEvent>();
        var genuine = new HashSet<int>();
        var candidates = Enumerable.Range(0, topo.ElementCount)
            .Where(e => topo.KindOf(e) is ElementKind.Device or ElementKind.Transformer && topo.MeterCountBelow(e) > 0).ToArray();
        uint id = 1;
        int failures = rng.Next(2, 8);
        for (int f = 0; f < failures; f++)
        {
            int element = candidates[rng.Next(candidates.Length)];
            double start = rng.Next(0, 20_000);
            foreach (int m in topo.MetersBelow(element))
            {
                double roll = rng.NextDouble();
                if (roll < 0.08 || !genuine.Add(m))
                {
                    continue; // its last gasp got lost (or it is already down)
                }

                double at = roll < 0.13 ? start + rng.Next(3_000, 25_000) : start + rng.Next(0, 1_800); // stragglers
                events.Add(Event(topo[m].Guid, MeterEventCode.PowerDown, at, id++, EventFlags.None));
            }
        }

        var meters = Enumerable.Range(0, topo.ElementCount).Where(e => topo.KindOf(e) == ElementKind.Meter).ToArray();
        for (int i = 0; i < 15; i++) // lone meters
        {
            int m = meters[rng.Next(meters.Length)];
            if (genuine.Add(m))
            {
                events.Add(Event(topo[m].Guid, MeterEventCode.PowerDown, rng.Next(0, 30_000), id++, EventFlags.None));
            }
        }

        var excluded = new HashSet<int>();
        for (int i = 0; i < 40; i++) // test power-downs and drift-flagged last gasps, from meters that are not down
        {
            int m = meters[rng.Next(meters.Length)];
            if (!genuine.Contains(m) && excluded.Add(m))
            {
                events.Add(i % 2 == 0
                    ? Event(topo[m].Guid, MeterEventCode.TestPowerDown, rng.Next(0, 30_000), id++, EventFlags.None)
                    : Event(topo[m].Guid, MeterEventCode.PowerDown, rng.Next(0, 30_000), id++, EventFlags.TimeSync | EventFlags.SignalLow));
            }
        }

        events.Sort((a, b) => a.ReceivedAt.CompareTo(b.ReceivedAt));
        return new Storm(events, genuine, excluded);
    }

    private static RecordedEvent Event(Guid meter, MeterEventCode code, double ms, uint eventId, EventFlags flags)
    {
        var at = T0.AddMilliseconds(ms);
        return new RecordedEvent(new MeterEvent(meter, code, eventId, 1, at, at, 4000, -70, 0), 1, eventId, at, "10.0.0.1:5683", flags, null);
    }

    private OutageCorrelator Run(IEnumerable<RecordedEvent> events)
    {
        var engine = new OutageCorrelator(network.Topology, new CorrelationOptions());
        foreach (var e in events)
        {
            engine.Process(e);
        }

        engine.Advance(T0.AddMinutes(1)); // every window closed (and every outage confirmed)
        return engine;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Storm_EveryGenuineLastGasp_EndsInExactlyOneOpenOutage(int seed)
    {
        var storm = MakeStorm(seed);
        var engine = Run(storm.Events);
        var topo = network.Topology;

        var active = engine.ActiveOutages();
        var inOutages = active.SelectMany(o => o.ReportingMeterIds).ToList();
        Assert.Equal(inOutages.Count, inOutages.Distinct().Count());
        Assert.Equal(storm.Genuine.Select(m => topo[m].Id).Order(), inOutages.Order());
        foreach (int m in storm.Genuine)
        {
            var status = engine.MeterStatusOf(topo[m].Id)!;
            Assert.True(status.IsDown);
            Assert.Contains(active, o => o.Id == status.OutageId && o.ReportingMeterIds.Contains(topo[m].Id));
        }

        Assert.All(active, o => Assert.Equal(OutageState.Confirmed, o.State));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Storm_TestAndDriftFlaggedMeters_AreInNoOutage(int seed)
    {
        var storm = MakeStorm(seed);
        var engine = Run(storm.Events);
        var excludedIds = storm.Excluded.Select(m => network.Topology[m].Id).ToHashSet();

        Assert.All(engine.AllOutages(), o => Assert.DoesNotContain(o.ReportingMeterIds, excludedIds.Contains));
        Assert.All(storm.Excluded, m => Assert.False(engine.MeterStatusOf(network.Topology[m].Id)!.IsDown));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Storm_CustomerCounts_AreThoseOfTheTopology_AndNoOpenOutageIsInsideAnother(int seed)
    {
        var engine = Run(MakeStorm(seed).Events);
        var topo = network.Topology;
        var elements = new HashSet<int>();

        foreach (var o in engine.ActiveOutages())
        {
            Assert.True(topo.TryGetElement(o.DeviceId, out int e), o.DeviceId);
            Assert.Equal(topo.MeterCountBelow(e), o.Meters);
            int critical = 0;
            foreach (int m in topo.MetersBelow(e))
            {
                critical += topo[m].IsCritical ? 1 : 0;
            }

            Assert.Equal(critical, o.CriticalMeters);
            Assert.Equal(o.Level switch
            {
                OutageLevel.Meter => ElementKind.Meter,
                OutageLevel.Transformer => ElementKind.Transformer,
                OutageLevel.Device => ElementKind.Device,
                OutageLevel.Feeder => ElementKind.Feeder,
                _ => ElementKind.Substation,
            }, topo.KindOf(e));
            Assert.True(elements.Add(e), $"two open outages at {o.DeviceId}");
        }

        foreach (int e in elements)
        {
            foreach (int a in topo.Upstream(e))
            {
                Assert.DoesNotContain(a, elements);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Storm_ReplayedWithDuplicatesAndShuffledArrival_GivesTheSameOutages(int seed)
    {
        var storm = MakeStorm(seed);
        var rng = new Random(seed * 7919);

        // Arrival order perturbed by up to 400 ms (receive times unchanged), and a tenth of the events sent twice.
        var shuffled = storm.Events
            .SelectMany(e => rng.NextDouble() < 0.1 ? new[] { e, e } : new[] { e })
            .Select(e => (Event: e, Arrival: e.ReceivedAt.AddMilliseconds(rng.Next(0, 400))))
            .OrderBy(x => x.Arrival)
            .Select(x => x.Event)
            .ToList();

        var expected = Summary(Run(storm.Events));
        var actual = Summary(Run(shuffled));

        Assert.Equal(expected, actual);
    }

    /// <summary>What an outage is, without its id and history (creation order may differ).</summary>
    private static string[] Summary(OutageCorrelator engine) =>
        [.. engine.ActiveOutages()
            .Select(o => $"{o.Level} {o.DeviceId} {o.State} meters={o.Meters} critical={o.CriticalMeters} started={o.StartedAt:O} [{string.Join(",", o.ReportingMeterIds.Order(StringComparer.Ordinal))}]")
            .Order(StringComparer.Ordinal)];
}
