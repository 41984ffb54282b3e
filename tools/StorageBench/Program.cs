using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Protocols.Dlms;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Storage.LiteDb;

namespace OpsConsole.Tools.StorageBench;

/// <summary>
/// Storage over a simulated year (or more) of a co-op: the embedded store (LiteDB) fed day by day with the events,
/// operator actions and audit rows such a network produces, the daily retention job applied, and the database's
/// size printed at the end of every month. See README.md.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var o = Options.Parse(args);
        string folder = o.Folder ?? Path.Combine(Path.GetTempPath(), "opsconsole-storagebench", Guid.NewGuid().ToString("N"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"StorageBench: {o.Meters:N0} meters, {o.Days} days, retention events {o.EventDays} d / actions {o.ActionDays} d / audit {o.AuditDays} d, seed {o.Seed}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model: {o.CyclePercent:0.#} % of meters power-cycle per day (1 event per batch), {o.OutagesPerWeek} outages a week, {o.StormsPerYear} storms a year of {o.StormMinPercent}-{o.StormMaxPercent} % of meters with 1-3 last gasps each"));
        Console.WriteLine($"folder: {folder}");
        try
        {
            return Run(o, folder);
        }
        finally
        {
            if (o.Folder is null)
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static int Run(Options o, string folder)
    {
        var clock = new SettableClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var start = clock.GetUtcNow();
        var net = new Network(o.Meters, o.Seed);
        var wall = Stopwatch.StartNew();
        using var lite = new LiteStore(folder);
        var events = new LiteEventStore(lite);
        var actions = new LiteOperatorActionStore(lite);
        var audit = new LiteAuditStore(lite);
        var retention = new StorageRetention(events, actions,
            Microsoft.Extensions.Options.Options.Create(new RetentionOptions { EventDays = o.EventDays, ActionDays = o.ActionDays }), clock, NullLogger<StorageRetention>.Instance);
        var random = new Random(o.Seed);
        var stormDays = new HashSet<int>(); // each year's storms on random days of that year (a day past --days never comes)
        for (int year = 0; year * 365 < o.Days; year++)
        {
            for (int s = 0; s < o.StormsPerYear; s++)
            {
                stormDays.Add((year * 365) + random.Next(365));
            }
        }


        long added = 0, batches = 0, deletedEvents = 0, deletedActions = 0, deletedAudit = 0, outages = 0, storms = 0, actionCount = 0, auditCount = 0;
        var monthly = new List<(string Label, double MiB, long Stored, long Added)>();
        var purgeMs = new List<double>();
        Console.WriteLine();
        Console.WriteLine("| month | DB size (MiB) | events stored | events added so far | batches | outages / storms so far | wall (s) |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
        for (int day = 0; day < o.Days; day++)
        {
            var midnight = start.AddDays(day);
            clock.Set(midnight);
            var purge = Stopwatch.StartNew();
            var r = retention.PurgeNow(); // the daily job (at start and once a day)
            if (r.Events > 0)
            {
                purgeMs.Add(purge.Elapsed.TotalMilliseconds);
            }

            deletedEvents += r.Events;
            deletedActions += r.Actions;
            deletedAudit += audit.DeleteBefore(midnight.UtcDateTime.AddDays(-o.AuditDays));

            // Quiet traffic: power cycles spread over the day, the indexer finding one event waiting at a time.
            int cycles = (int)(o.Meters * o.CyclePercent / 100);
            for (int i = 0; i < cycles; i++)
            {
                int m = random.Next(o.Meters);
                var at = midnight.AddSeconds(random.Next(86_400));
                added += events.Add([net.Event(m, MeterEventCode.PowerDown, at)]);
                added += events.Add([net.Event(m, MeterEventCode.PowerUp, at.AddSeconds(2 + random.Next(20)))]);
                batches += 2;
            }

            // Outages: a few a week, mostly a transformer, sometimes a fuse, rarely a feeder.
            int todays = Poisson(random, o.OutagesPerWeek / 7.0);
            for (int k = 0; k < todays; k++)
            {
                double p = random.NextDouble();
                int size = p < 0.6 ? random.Next(5, 16) : p < 0.9 ? random.Next(50, 301) : random.Next(1000, 3001);
                var at = midnight.AddSeconds(random.Next(86_400));
                (added, batches) = Outage(net, events, random, size, 1, at, added, batches);
                outages++;
                actionCount += Operate(actions, audit, at, $"O-{outages}", random);
                auditCount += 3;
            }

            // Storms: a share of the network down at once, reboot loops (1-3 last gasps each), restored over hours.
            if (stormDays.Contains(day))
            {
                int size = o.Meters * random.Next(o.StormMinPercent, o.StormMaxPercent + 1) / 100;
                var at = midnight.AddHours(14 + random.Next(6));
                (added, batches) = Outage(net, events, random, size, 3, at, added, batches);
                storms++;
                for (int a = 0; a < 40; a++) // the storm's many outages, each acknowledged, dispatched, restored
                {
                    actionCount += Operate(actions, audit, at.AddMinutes(a), $"S-{storms}-{a}", random);
                    auditCount += 3;
                }
            }

            // Sign-ins and other audited work of a control room: a few dozen rows a day.
            for (int i = 0; i < 30; i++)
            {
                audit.Add(new AuditRecord(midnight.AddMinutes(i * 47).UtcDateTime, $"user{i % 12}", i % 10 == 0 ? "sign-in-failed" : "sign-in", "10.1.0.5", null));
                auditCount++;
            }

            var tomorrow = midnight.AddDays(1);
            if (tomorrow.Day == 1 || day == o.Days - 1)
            {
                lite.Checkpoint(); // the log file's committed pages into the file: the size a backup copies
                double mib = lite.SizeBytes() / 1048576.0;
                string label = midnight.ToString("yyyy-MM", CultureInfo.InvariantCulture);
                monthly.Add((label, mib, events.Count(), added));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {label} | {mib:F1} | {events.Count():N0} | {added:N0} | {batches:N0} | {outages} / {storms} | {wall.Elapsed.TotalSeconds:F0} |"));
            }
        }

        var state = events.RecoveryState();
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"final: {monthly[^1].MiB:F1} MiB after {o.Days} days; {events.Count():N0} events stored ({added:N0} added, {deletedEvents:N0} deleted by retention); "
            + $"{actionCount:N0} operator actions ({deletedActions:N0} deleted); {auditCount:N0} audit rows ({deletedAudit:N0} deleted)"));
        if (monthly.Count >= 12)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"after 12 months: {monthly[11].MiB:F1} MiB, {monthly[11].Stored:N0} events"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seen-key state: {state.SeenKeys.MeterCount:N0} meters, {state.SeenKeys.RangeCount:N0} ranges (at most {state.SeenKeys.MaxRangesOfAnyMeter} for one meter; bound {SeenEventKeys.MaxRangesPerMeter})"));
        if (purgeMs.Count > 0)
        {
            purgeMs.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"daily retention purge (days that deleted events): median {purgeMs[purgeMs.Count / 2]:F0} ms, worst {purgeMs[^1]:F0} ms over {purgeMs.Count} days"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wall time: {wall.Elapsed.TotalSeconds:F0} s"));
        return 0;
    }

    /// <summary>An outage of <paramref name="size"/> meters: last gasps within a second (big batches), restorations over the next hours.</summary>
    private static (long Added, long Batches) Outage(Network net, LiteEventStore events, Random random, int size, int maxGasps, DateTimeOffset at, long added, long batches)
    {
        int first = random.Next(net.Meters);
        var gasps = new List<RecordedEvent>(size * maxGasps);
        for (int round = 0; round < maxGasps; round++)
        {
            for (int i = 0; i < size; i++)
            {
                if (round == 0 || random.Next(2) == 0) // reboot loops: about half the meters gasp again each round
                {
                    gasps.Add(net.Event((first + i) % net.Meters, round == 0 ? MeterEventCode.PowerDown : (round % 2 == 1 ? MeterEventCode.PowerUp : MeterEventCode.PowerDown),
                        at.AddSeconds(round * 30).AddMilliseconds(random.Next(1000))));
                }
            }
        }

        foreach (var chunk in gasps.Chunk(4096)) // the indexer's largest batch in a storm
        {
            added += events.Add(chunk);
            batches++;
        }

        // Restoration: crews restore sections over 1-8 hours; the power-ups of a section arrive together.
        var restored = new List<RecordedEvent>(size);
        var back = at.AddHours(1 + random.Next(8));
        for (int i = 0; i < size; i++)
        {
            restored.Add(net.Event((first + i) % net.Meters, MeterEventCode.PowerUp, back.AddMinutes(i / 500 * 7)));
        }

        foreach (var chunk in restored.Chunk(500))
        {
            added += events.Add(chunk);
            batches++;
        }

        return (added, batches);
    }

    private static int Operate(LiteOperatorActionStore actions, LiteAuditStore audit, DateTimeOffset at, string outage, Random random)
    {
        string[] kinds = [OperatorAction.AcknowledgeKind, OperatorAction.DispatchKind, OperatorAction.RestoreKind];
        for (int i = 0; i < kinds.Length; i++)
        {
            var when = at.AddMinutes(5 + (i * 40) + random.Next(10));
            actions.Add(new OperatorAction
            {
                Kind = kinds[i],
                AtTicks = when.UtcTicks,
                Actor = "dispatcher" + random.Next(6),
                OutageId = outage,
                Crew = kinds[i] == OperatorAction.DispatchKind ? "crew " + random.Next(20) : null,
                Note = kinds[i] == OperatorAction.RestoreKind ? "fuse replaced" : null,
                AfterEvent = new byte[EventKey.Size],
            });
            audit.Add(new AuditRecord(when.UtcDateTime, "dispatcher" + random.Next(6), "outage-action", "10.1.0.7", $"{kinds[i]} {outage}"));
        }

        return kinds.Length;
    }

    private static int Poisson(Random random, double mean)
    {
        double l = Math.Exp(-mean), p = 1;
        int k = 0;
        do
        {
            k++;
            p *= random.NextDouble();
        }
        while (p > l);
        return k - 1;
    }

    private sealed class SettableClock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public void Set(DateTimeOffset now) => _now = now;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}

/// <summary>The meters: GUID, system title, topology id, and each one's event id and invocation counter so far.</summary>
internal sealed class Network(int meters, int seed)
{
    private readonly uint[] _eventIds = new uint[meters];
    private readonly Guid[] _guids = [.. Enumerable.Range(0, meters).Select(i => new Guid($"{seed:x8}-5a5a-4000-8000-{i:x12}"))];

    public int Meters => meters;

    public RecordedEvent Event(int meter, MeterEventCode code, DateTimeOffset at)
    {
        uint id = ++_eventIds[meter];
        return new RecordedEvent(
            new MeterEvent(_guids[meter], code, id, 1, at.AddMilliseconds(-120), at.AddMilliseconds(-150), code == MeterEventCode.PowerDown ? (ushort)4100 : (ushort)0, -71, 0x8000_0000u | id),
            0x4F50_5300_0000_0000UL + (ulong)meter,
            id,
            at,
            $"10.20.{meter / 250 % 250}.{meter % 250}:5683",
            EventFlags.None,
            $"M{meter}");
    }
}

internal sealed record Options(int Meters, int Days, int EventDays, int ActionDays, int AuditDays, double CyclePercent, double OutagesPerWeek,
    int StormsPerYear, int StormMinPercent, int StormMaxPercent, int Seed, string? Folder)
{
    public static Options Parse(string[] args)
    {
        var o = new Options(50_000, 365, 400, 400, 730, 3, 3, 8, 10, 40, 12, null);
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--meters" => o with { Meters = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--days" => o with { Days = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--event-days" => o with { EventDays = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--action-days" => o with { ActionDays = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--audit-days" => o with { AuditDays = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--cycle-percent" => o with { CyclePercent = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--outages-per-week" => o with { OutagesPerWeek = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--storms" => o with { StormsPerYear = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--seed" => o with { Seed = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--folder" => o with { Folder = Next() },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return o;
    }
}
