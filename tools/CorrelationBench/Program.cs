using System.Diagnostics;
using System.Globalization;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;
using OpsConsole.Tools.TopologyBench;

// CorrelationBench: a storm of last gasps through OutageCorrelator in simulated time (see README.md).
int meters = 1_000_000, gasps = 300_000, seed = 1, repeats = 0;
double stormSeconds = 10;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--repeats": repeats = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--meters": meters = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--gasps": gasps = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--seconds": stormSeconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--seed": seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown option {args[i]}; options: --meters --gasps --seconds --seed --repeats"); return 2;
    }
}

Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}  cores: {Environment.ProcessorCount}  server GC: {System.Runtime.GCSettings.IsServerGC}");

// 1. The network: ckt24 replicated, without lines and extras (correlation needs neither), built lean.
var sw = Stopwatch.StartNew();
var import = await TopologyGeoJsonReader.ReadFileAsync(FindCkt24());
var source = import.Features.Where(f => f.Kind != ElementKind.Line).Select(f => f with { Extra = null }).ToList();
var replicator = new NetworkReplicator(source, meters);
var topology = NetworkTopology.Build(replicator.Materialize(), keepExtraProperties: false);
Console.WriteLine($"network: {topology.MeterCount:N0} meters, {topology.CountOf(ElementKind.Transformer):N0} transformers, {topology.ElementCount:N0} elements, built in {sw.Elapsed.TotalSeconds:0.0} s");

if (repeats > 0)
{
    return OpsConsole.Tools.CorrelationBench.RepeatedGasps.Run(topology, repeats, rounds: 7);
}

// 2. The storm: whole elements fail (substations, feeders, devices, transformers) at random
//    times over the storm; each of their meters gasps within 1.8 s of the failure; 5 % of gasps are lost.
var rng = new Random(seed);
var t0 = new DateTimeOffset(2026, 11, 24, 18, 0, 0, TimeSpan.Zero);
var events = new List<RecordedEvent>(gasps + 1000);
var down = new bool[topology.ElementCount];
var byKind = Enumerable.Range(0, topology.ElementCount).Where(e => topology.MeterCountBelow(e) > 0)
    .GroupBy(topology.KindOf).ToDictionary(g => g.Key, g => g.ToArray());
var mix = new[] { ElementKind.Substation, ElementKind.Feeder, ElementKind.Device, ElementKind.Device, ElementKind.Transformer, ElementKind.Transformer };
uint eventId = 1;
int failures = 0;
while (events.Count < gasps)
{
    var kind = mix[rng.Next(mix.Length)];
    int element = byKind[kind][rng.Next(byKind[kind].Length)];
    double start = rng.NextDouble() * Math.Max(0, (stormSeconds * 1000) - 1800);
    failures++;
    foreach (int m in topology.MetersBelow(element))
    {
        if (down[m] || rng.NextDouble() < 0.05 || events.Count >= gasps)
        {
            continue;
        }

        down[m] = true;
        var at = t0.AddMilliseconds(start + (rng.NextDouble() * 1800));
        events.Add(new RecordedEvent(new MeterEvent(topology[m].Guid, MeterEventCode.PowerDown, eventId, 1, at, at, 4000, -70, 0), 1, eventId++, at, "10.0.0.1:5683", EventFlags.None, null));
    }
}

events.Sort((a, b) => a.ReceivedAt.CompareTo(b.ReceivedAt));
Console.WriteLine($"storm: {events.Count:N0} last gasps from {failures:N0} failed elements over {stormSeconds} s");

// 3. The run: events in receive order; the host's timer is simulated by calling Advance at
//    NextDeadline before any later event, and draining the change feed after each call.
GC.Collect();
long buildPeak = ProcessMemory.PeakWorkingSet;
ProcessMemory.TryResetPeak();
sw.Restart();
var engine = new OutageCorrelator(topology, new CorrelationOptions());
double constructMs = sw.Elapsed.TotalMilliseconds;
var advanceMs = new List<double>();
long changes = 0;
double processMs = 0;
long runStart = Stopwatch.GetTimestamp();
foreach (var e in events)
{
    while (engine.NextDeadline is { } deadline && deadline <= e.ReceivedAt)
    {
        AdvanceTo(deadline);
    }

    long s = Stopwatch.GetTimestamp();
    engine.Process(e);
    processMs += Stopwatch.GetElapsedTime(s).TotalMilliseconds;
}

// The tail: the windows still open at the end of the storm (qualification deadlines, 30 s later, are not part of it).
var end = events[^1].ReceivedAt.AddMilliseconds(new CorrelationOptions().WindowMs);
while (engine.NextDeadline is { } last && last <= end)
{
    AdvanceTo(last);
}

double wallMs = Stopwatch.GetElapsedTime(runStart).TotalMilliseconds;
long managed = GC.GetTotalMemory(true);
var active = engine.ActiveOutages();
int affectedTx = events.Select(e => { topology.TryGetMeter(e.Event.MeterId, out int m); return topology.ParentOf(m); }).Distinct().Count();

advanceMs.Sort();
double P(double q) => advanceMs.Count == 0 ? 0 : advanceMs[Math.Min(advanceMs.Count - 1, (int)Math.Ceiling(q * advanceMs.Count) - 1)];
Console.WriteLine($"engine constructed in {constructMs:0} ms");
Console.WriteLine($"correlated: {events.Count / (wallMs / 1000):N0} events/s wall clock ({wallMs:0} ms for the storm, of which Process {processMs:0} ms, Advance+drain {advanceMs.Sum():0} ms)");
Console.WriteLine($"Process alone: {events.Count / (processMs / 1000):N0} events/s, {processMs * 1e6 / events.Count:0} ns/event");
Console.WriteLine($"window ends: {advanceMs.Count:N0} Advance calls for {affectedTx:N0} affected transformers: {advanceMs.Sum() * 1000 / affectedTx:0.0} µs of decision per transformer");
Console.WriteLine($"window end → change published (Advance + DrainChanges): p50 {P(0.50):0.000} ms, p99 {P(0.99):0.000} ms, max {P(1):0.000} ms (target p99 < 250 ms)");
Console.WriteLine($"changes published: {changes:N0}; open outages: {active.Count:N0} ({string.Join(", ", active.GroupBy(o => o.Level).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count():N0}"))})");
Console.WriteLine($"memory: managed {managed / 1048576.0:N0} MB after the storm (network + engine + events); peak working set: {buildPeak / 1048576.0:N0} MB while generating and building the network, {ProcessMemory.PeakWorkingSet / 1048576.0:N0} MB during the storm (target < 2048 MB)");
GC.KeepAlive(topology);
return 0;

void AdvanceTo(DateTimeOffset at)
{
    long s = Stopwatch.GetTimestamp();
    engine.Advance(at);
    changes += engine.DrainChanges().Count;
    advanceMs.Add(Stopwatch.GetElapsedTime(s).TotalMilliseconds);
}

static string FindCkt24()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, "networks", "ckt24.geojson");
        if (File.Exists(candidate))
        {
            return candidate;
        }
    }

    throw new FileNotFoundException("networks/ckt24.geojson not found above the tool");
}
