using System.Diagnostics;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Tools.CorrelationBench;

/// <summary>
/// <c>--repeats</c>: what a repeated last gasp of a meter already inside an open outage costs the correlator (reboot loops,
/// retries through several gateways: the common case in a storm), for outages of very different sizes. For each size an
/// element fails, its outage is confirmed, and then its meters gasp again and again (new event ids, each meter in
/// turn); the time of <see cref="OutageCorrelator.Process"/> per repeated gasp is measured over several rounds, and the
/// bench checks that nothing changed (still one outage, no change published).
/// </summary>
internal static class RepeatedGasps
{
    public static int Run(NetworkTopology topology, int repeats, int rounds)
    {
        var sizes = new List<(string What, int Element)>();
        foreach (var kind in new[] { ElementKind.Transformer, ElementKind.Device, ElementKind.Feeder, ElementKind.Substation })
        {
            // The largest element of each kind: the outage's size is what varies.
            int best = -1;
            for (int e = 0; e < topology.ElementCount; e++)
            {
                if (topology.KindOf(e) == kind && (best < 0 || topology.MeterCountBelow(e) > topology.MeterCountBelow(best)))
                {
                    best = e;
                }
            }

            if (best >= 0)
            {
                sizes.Add((kind.ToString(), best));
            }
        }

        Console.WriteLine($"repeated last gasps inside an open outage: {repeats:N0} per round, {rounds} rounds, median and worst round");
        Console.WriteLine($"{"outage",-12} {"meters",8} {"ns/gasp median",15} {"worst",8}  check");
        var t0 = new DateTimeOffset(2026, 11, 24, 18, 0, 0, TimeSpan.Zero);
        var options = new CorrelationOptions();
        foreach (var (what, element) in sizes)
        {
            var meters = topology.MetersBelow(element).ToArray();
            var engine = new OutageCorrelator(topology, options);
            uint eventId = 1;
            var at = t0;
            foreach (int m in meters)
            {
                at = at.AddTicks(TimeSpan.TicksPerMillisecond / 4);
                engine.Process(Gasp(topology, m, eventId++, at));
            }

            // Past the window and the qualification: the outage is open and confirmed.
            var settled = at.AddMilliseconds(options.WindowMs + options.QualifyMs + 1000);
            while (engine.NextDeadline is { } d && d <= settled)
            {
                engine.Advance(d);
            }

            engine.Advance(settled);
            engine.DrainChanges();
            int outages = engine.ActiveOutages().Count;

            var perRound = new List<double>();
            long changes = 0;
            at = settled;
            for (int round = 0; round < rounds; round++)
            {
                var batch = new RecordedEvent[repeats];
                for (int i = 0; i < repeats; i++)
                {
                    at = at.AddTicks(10); // 1 µs apart: no deadline falls inside a round
                    batch[i] = Gasp(topology, meters[i % meters.Length], eventId++, at);
                }

                long s = Stopwatch.GetTimestamp();
                foreach (var e in batch)
                {
                    engine.Process(e);
                }

                perRound.Add(Stopwatch.GetElapsedTime(s).TotalNanoseconds / repeats);
                changes += engine.DrainChanges().Count;
            }

            perRound.Sort();
            string check = outages == 1 && engine.ActiveOutages().Count == 1 && changes == 0
                ? "1 outage before and after, no change published"
                : $"UNEXPECTED: {outages} outages before, {engine.ActiveOutages().Count} after, {changes} changes";
            Console.WriteLine($"{what,-12} {meters.Length,8:N0} {perRound[perRound.Count / 2],15:N0} {perRound[^1],8:N0}  {check}");
        }

        return 0;
    }

    private static RecordedEvent Gasp(NetworkTopology topology, int meter, uint eventId, DateTimeOffset at) =>
        new(new MeterEvent(topology[meter].Guid, MeterEventCode.PowerDown, eventId, 1, at, at, 4000, -70, 0), 1, eventId, at, "10.0.0.1:5683", EventFlags.None, null);
}
