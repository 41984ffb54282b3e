using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Protocols.Dlms;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Storage.LiteDb;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

// RestartBench (see README.md):
//   prepare --folder DIR [--events 10000000] [--seed 1]
//       a year of storms on ckt24 through the store API (journal + event store) and the correlation service
//       (checkpoints, outage store), ended by a clean stop: the folder a server that ran a year leaves behind.
//   loop --folder DIR [--events 1000000]
//       the cost of storing outages for the correlation loop: a storm of last gasps and power-ups through the
//       correlation service without stores, then with the outage store (written off the loop), twice each; and what
//       one checkpoint of the resulting state costs the loop.
//   measure --folder DIR --server PATH/OpsConsole.Console.Server.dll [--runs 3] [--full-replay]
//       starts the real server on the folder from this separate process, times process start → /healthz 200,
//       stops it (SIGTERM), and prints each start, the median and the worst. --full-replay deletes the checkpoint
//       and the event store summary before each start: the old path, every stored event decoded and replayed.
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: prepare --folder DIR [--events N] [--seed S] | measure --folder DIR --server DLL [--runs N] [--full-replay]");
    return 2;
}

string mode = args[0];
string? folder = null, server = null;
long events = 10_000_000;
int seed = 1, runs = 3;
bool fullReplay = false;
for (int i = 1; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--folder": folder = Path.GetFullPath(args[++i]); break;
        case "--server": server = Path.GetFullPath(args[++i]); break;
        case "--events": events = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--full-replay": fullReplay = true; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}

if (folder is null)
{
    Console.Error.WriteLine("--folder is required");
    return 2;
}

Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}  cores: {Environment.ProcessorCount}");
return mode switch
{
    "prepare" => await Prepare.RunAsync(folder, events, seed),
    "loop" => await LoopCost.RunAsync(folder, events, seed),
    "measure" when server is not null => await Measure.RunAsync(folder, server, runs, fullReplay),
    _ => Fail(),
};

static int Fail()
{
    Console.Error.WriteLine("unknown mode, or measure without --server");
    return 2;
}

/// <summary>Builds the folder: events through <see cref="EventStore.StoreBatch"/>, correlated live, checkpointed at a clean stop.</summary>
internal static class Prepare
{
    public static async Task<int> RunAsync(string folder, long target, int seed)
    {
        var sw = Stopwatch.StartNew();
        var import = await TopologyGeoJsonReader.ReadFileAsync(FindCkt24());
        var topology = NetworkTopology.Build(import.Features);
        var clock = new EventClock(DateTimeOffset.UtcNow.AddDays(-365));
        using var lite = new LiteStore(folder);
        using var journal = new EventJournal(EventJournal.FolderUnder(folder));
        var store = new EventStore(new LiteEventStore(lite), journal);
        store.Recover();
        if (store.Count() > 0)
        {
            Console.Error.WriteLine($"{folder} holds events already: prepare wants an empty folder");
            return 2;
        }

        var state = new TopologyState();
        state.Replace(topology);
        var options = new CorrelationOptions { WarmupMs = 0, CheckpointSeconds = 60 };
        var service = new CorrelationService(store, new LiteOperatorActionStore(lite), state, Options.Create(options), clock,
            NullLogger<CorrelationService>.Instance, new LiteDbCheckpointStore(lite), new LiteDbOutageStore(lite));
        await service.StartAsync(CancellationToken.None);

        // Storms: a random device or feeder with at least 200 meters fails, each of its meters gasps within 1.8 s, powers up
        // together 10 to 120 minutes later; storms follow each other so the year is filled with the events asked for.
        var rng = new Random(seed);
        var elements = Enumerable.Range(0, topology.ElementCount)
            .Where(e => topology.KindOf(e) is ElementKind.Device or ElementKind.Feeder && topology.MeterCountBelow(e) >= 200).ToArray();
        var eventIds = new Dictionary<Guid, uint>();
        long written = 0, storms = 0;
        var batch = new List<RecordedEvent>(EventStoreBatch);
        var year = TimeSpan.FromDays(365);
        double meanMetersPerStorm = elements.Average(e => (double)topology.MeterCountBelow(e));
        var gap = TimeSpan.FromTicks((long)(year.Ticks / (target / (2 * meanMetersPerStorm))));
        var at = clock.GetUtcNow();
        while (written < target)
        {
            int element = elements[rng.Next(elements.Length)];
            var meters = topology.MetersBelow(element).ToArray();
            var ups = new List<(DateTimeOffset At, int Meter)>(meters.Length);
            var restored = at.AddMinutes(rng.Next(10, 120));
            foreach (int m in meters)
            {
                Add(m, MeterEventCode.PowerDown, at.AddMilliseconds(rng.Next(0, 1800)));
                ups.Add((restored.AddMilliseconds(rng.Next(0, 30_000)), m)); // within the nested grace: one outage a storm
            }

            foreach (var (upAt, m) in ups.OrderBy(u => u.At))
            {
                Add(m, MeterEventCode.PowerUp, upAt);
            }

            storms++;
            at = ups.Max(u => u.At) + gap;
            if (storms % 200 == 0)
            {
                Console.WriteLine($"  {written:N0} events, {storms:N0} storms, {sw.Elapsed.TotalSeconds:0} s");
            }
        }

        Flush();
        clock.Set(at.AddHours(1));
        await service.QueryAsync(_ => 0);
        var outages = service.Current.All.Count;
        await service.StopAsync(CancellationToken.None); // the clean stop's checkpoint; covered segments deleted
        await service.DisposeAsync();
        var (rounds, writeTime) = service.OutageWrites;
        Console.WriteLine($"prepared {folder}: {written:N0} events ({store.Count():N0} stored), {storms:N0} storms, {outages:N0} outages, in {sw.Elapsed.TotalSeconds:0} s");
        Console.WriteLine($"outage store: {rounds:N0} write rounds, {writeTime.TotalMilliseconds / Math.Max(1, rounds):0.0} ms each on average (off the correlation loop)");
        Console.WriteLine($"database {new FileInfo(lite.FilePath).Length / 1e6:0} MB; journal left: {journal.SegmentPaths().Count} segment(s), " +
            $"{journal.SegmentPaths().Sum(p => new FileInfo(p).Length) / 1e6:0} MB");
        return 0;

        void Add(int m, MeterEventCode code, DateTimeOffset time)
        {
            var f = topology[m];
            uint id = eventIds.TryGetValue(f.Guid, out var last) ? last + 1 : 1;
            eventIds[f.Guid] = id;
            batch.Add(new RecordedEvent(new MeterEvent(f.Guid, code, id, 1, time, time, 4200, -70, 0), f.SystemTitle, id, time, "10.0.0.1:5683", EventFlags.None, f.Id));
            if (batch.Count == EventStoreBatch)
            {
                Flush();
            }
        }

        void Flush()
        {
            if (batch.Count == 0)
            {
                return;
            }

            RecordedEvent[] events = [.. batch];
            batch.Clear();
            store.StoreBatch(events);
            clock.Set(events[^1].ReceivedAt);
            service.Accept(events);
            written += events.Length;
        }
    }

    private const int EventStoreBatch = 4096; // what the ingest's indexer stores in one document at most

    public static string FindCkt24()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string path = Path.Combine(dir.FullName, "networks", "ckt24.geojson");
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException("networks/ckt24.geojson not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Storms through the correlation service with and without the stores: what storing outages costs the loop.</summary>
internal static class LoopCost
{
    public static async Task<int> RunAsync(string folder, long count, int seed)
    {
        var topology = NetworkTopology.Build((await TopologyGeoJsonReader.ReadFileAsync(Prepare.FindCkt24())).Features);
        var rng = new Random(seed);
        var start = DateTimeOffset.UtcNow;
        var ids = new Dictionary<Guid, uint>();
        var events = new List<RecordedEvent>();
        var meters = Enumerable.Range(0, topology.ElementCount).Where(e => topology.KindOf(e) == ElementKind.Meter).ToArray();
        var elements = Enumerable.Range(0, topology.ElementCount).Where(e => topology.KindOf(e) is ElementKind.Device or ElementKind.Transformer && topology.MeterCountBelow(e) > 0).ToArray();
        var at = start;
        while (events.Count < count)
        {
            // A storm: 30 elements fail within 10 s; their meters gasp, and power up together 5 minutes later.
            var failed = Enumerable.Range(0, 30).Select(_ => elements[rng.Next(elements.Length)]).Distinct().ToList();
            var downs = failed.SelectMany(e => topology.MetersBelow(e).ToArray()).Distinct().ToList();
            foreach (int m in downs)
            {
                Add(m, MeterEventCode.PowerDown, at.AddMilliseconds(rng.Next(0, 10_000)));
            }

            foreach (int m in downs)
            {
                Add(m, MeterEventCode.PowerUp, at.AddMinutes(5).AddMilliseconds(rng.Next(0, 10_000)));
            }

            at = at.AddMinutes(10);
        }

        events.Sort((a, b) => a.ReceivedAt.CompareTo(b.ReceivedAt));
        foreach (bool withStores in new[] { false, true, false, true })
        {
            string dir = Path.Combine(folder, withStores ? "with" : "without");
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }

            using var lite = new LiteStore(dir);
            using var journal = new EventJournal(EventJournal.FolderUnder(dir));
            var store = new EventStore(new LiteEventStore(lite), journal);
            var clock = new EventClock(start);
            var state = new TopologyState();
            state.Replace(topology);
            var service = new CorrelationService(store, new LiteOperatorActionStore(lite), state,
                Options.Create(new CorrelationOptions { WarmupMs = 0, CheckpointSeconds = 60 }), clock, NullLogger<CorrelationService>.Instance,
                null, withStores ? new LiteDbOutageStore(lite) : null); // checkpoints apart: every 60 s of event time would be every few ms here
            await service.StartAsync(CancellationToken.None);
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < events.Count; i += 1024)
            {
                var batch = events.GetRange(i, Math.Min(1024, events.Count - i));
                clock.Set(batch[^1].ReceivedAt);
                service.Accept(batch);
            }

            await service.QueryAsync(_ => 0);
            var loop = sw.Elapsed;
            await service.FlushAsync();
            var written = sw.Elapsed;
            var (rounds, time) = service.OutageWrites;
            Console.WriteLine($"{(withStores ? "with stores   " : "without stores")}: {events.Count:N0} events through the loop in {loop.TotalSeconds:0.00} s " +
                $"({events.Count / loop.TotalSeconds:N0}/s); {service.Current.All.Count:N0} outages; " +
                (withStores ? $"stored {written.TotalSeconds - loop.TotalSeconds:0.00} s after the loop was done, {rounds:N0} write rounds of {time.TotalMilliseconds / Math.Max(1, rounds):0.0} ms on average" : "nothing stored"));
            if (withStores)
            {
                // What a checkpoint costs the loop (state serialised, seen keys copied); the save is off the loop.
                var cost = await service.QueryAsync(c =>
                {
                    var w = Stopwatch.StartNew();
                    int bytes = c.WriteCheckpoint().Length;
                    _ = c.SeenKeys();
                    return (w.Elapsed, bytes);
                });
                Console.WriteLine($"                a checkpoint of this state: {cost.Elapsed.TotalMilliseconds:0} ms on the loop, {cost.bytes / 1e6:0.0} MB");
            }

            await service.StopAsync(CancellationToken.None);
            await service.DisposeAsync();
        }

        return 0;

        void Add(int m, MeterEventCode code, DateTimeOffset time)
        {
            var f = topology[m];
            uint id = ids.TryGetValue(f.Guid, out var last) ? last + 1 : 1;
            ids[f.Guid] = id;
            events.Add(new RecordedEvent(new MeterEvent(f.Guid, code, id, 1, time, time, 4200, -70, 0), f.SystemTitle, id, time, "10.0.0.1:5683", EventFlags.None, f.Id));
        }
    }
}

/// <summary>Engine time follows the events fed (they are a year old); timers are those of the system.</summary>
internal sealed class EventClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public void Set(DateTimeOffset at) => Interlocked.Exchange(ref _ticks, Math.Max(Interlocked.Read(ref _ticks), at.UtcTicks));

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
}

/// <summary>Times real server starts on the prepared folder, from this process.</summary>
internal static partial class Measure
{
    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex Listening();

    public static async Task<int> RunAsync(string folder, string server, int runs, bool fullReplay)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var times = new List<double>();
        for (int run = 1; run <= runs; run++)
        {
            if (fullReplay)
            {
                using var lite = new LiteStore(folder);
                new LiteDbCheckpointStore(lite).Delete();
                lite.Database.GetCollection(LiteEventStore.SummaryCollectionName).DeleteAll(); // as before: every stored batch decoded
            }

            var start = new ProcessStartInfo("dotnet", [server, "--urls", "http://127.0.0.1:0", "--Storage:Path=" + folder, "--Hes:Port=0",
                "--Security:MasterKeyFile=" + Path.Combine(folder, "keys", "master.key")])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = folder,
            };
            var sw = Stopwatch.StartNew();
            using var process = Process.Start(start)!;
            var address = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var notes = new List<string>();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }

                if (Listening().Match(e.Data) is { Success: true } m)
                {
                    address.TrySetResult(m.Groups[1].Value);
                }

                if (e.Data.Contains("Correlation resumed", StringComparison.Ordinal) || e.Data.Contains("Correlation rebuilt", StringComparison.Ordinal)
                    || e.Data.Contains("cannot be used", StringComparison.Ordinal) || e.Data.Contains("CoAP listener", StringComparison.Ordinal))
                {
                    lock (notes)
                    {
                        notes.Add(e.Data.Trim());
                    }
                }
            };
            process.ErrorDataReceived += (_, e) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            string url = await address.Task.WaitAsync(TimeSpan.FromMinutes(30));
            while (true)
            {
                try
                {
                    using var response = await http.GetAsync(url + "/healthz");
                    if (response.IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                }

                await Task.Delay(10);
            }

            double seconds = sw.Elapsed.TotalSeconds;
            times.Add(seconds);
            Console.WriteLine($"start {run}: healthy after {seconds:0.00} s");
            lock (notes)
            {
                notes.ForEach(n => Console.WriteLine("    " + n));
            }

            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            await process.WaitForExitAsync();
        }

        times.Sort();
        Console.WriteLine($"{(fullReplay ? "full replay" : "checkpoint")}: median {times[times.Count / 2]:0.00} s, worst {times[^1]:0.00} s over {times.Count} starts");
        return 0;
    }
}
