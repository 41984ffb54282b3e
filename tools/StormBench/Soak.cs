using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Protocols.Coap;

namespace OpsConsole.Tools.StormBench;

/// <summary>
/// --duration S: one server, a flood for S seconds; frames are built just before sending with fresh
/// invocation counters and event ids (one round = one event per meter), memory printed every 10 s.
/// </summary>
internal static class Soak
{
    public static async Task<int> RunAsync(BenchOptions o, string topology, List<(Guid Guid, ulong Title)> meters)
    {
        using var folder = new TempFolder();
        await using var host = await Host.StartAsync(folder.Path, topology, o.TransitAllowanceMs);
        var master = await File.ReadAllBytesAsync(host.KeyFile);
        using var factory = new FrameFactory(meters, master);
        int conEvery = o.NonsOnly ? 0 : Math.Max(o.ConEvery, 1000);
        const int maxProbes = 65_536;
        using var listener = new ProbeListener(host.Target, maxProbes);
        Thread.Sleep(1500);
        Proc.ResetPeakRss();
        long rcvbufBefore = Proc.RcvbufErrors();
        var duration = TimeSpan.FromSeconds(o.DurationSeconds);
        long sent = 0, errors = 0, probes = 0;
        long first = Stopwatch.GetTimestamp();
        var sender = new Thread(() =>
        {
            // Each meter sends through one of 256 gateway sockets, always the same (its frames stay in
            // order on one endpoint, as in the field); 256 keep every socket under 65,536 Message IDs
            // a minute at 100,000/s (RFC 7252 §4.5). Probe meters send all their frames as CONs.
            const int gateways = 256;
            var sockets = Enumerable.Range(0, gateways).Select(_ => Storm.Connect(host.Target)).ToArray();
            var onSocket = new int[gateways];
            long start = Stopwatch.GetTimestamp();
            double ticksPer = o.Rate > 0 ? Stopwatch.Frequency / o.Rate : 0;
            long n = 0;
            long end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            for (uint round = 1; Stopwatch.GetTimestamp() < end; round++)
            {
                var now = DateTimeOffset.UtcNow;
                for (int m = 0; m < factory.Count; m++, n++)
                {
                    bool con = conEvery > 0 && m % conEvery == conEvery - 1 && probes < maxProbes;
                    var socket = sockets[m % gateways];
                    ushort mid = con ? (ushort)probes : (ushort)onSocket[m % gateways];
                    var frame = factory.LastGasp(m, round, round, con ? CoapType.Confirmable : CoapType.NonConfirmable, mid, now);
                    if (ticksPer > 0)
                    {
                        long wait = start + (long)(n * ticksPer) - Stopwatch.GetTimestamp();
                        if (wait > Stopwatch.Frequency / 1000)
                        {
                            Thread.Sleep((int)(wait * 1000 / Stopwatch.Frequency)); // not spinning: see Storm.Send
                        }
                    }

                    try
                    {
                        if (con)
                        {
                            listener.SendTicks[probes] = Stopwatch.GetTimestamp();
                            listener.Socket.Send(frame);
                            probes++;
                        }
                        else
                        {
                            socket.Send(frame);
                            onSocket[m % gateways]++;
                        }

                        Interlocked.Increment(ref sent);
                    }
                    catch (SocketException)
                    {
                        errors++;
                    }
                }
            }

            Array.ForEach(sockets, s => s.Dispose());
        })
        { IsBackground = true, Name = "soak-sender", Priority = ThreadPriority.AboveNormal };
        sender.Start();

        System.Console.WriteLine();
        System.Console.WriteLine($"=== soak: {o.DurationSeconds} s flood, {(o.Rate > 0 ? o.Rate.ToString("N0", CultureInfo.InvariantCulture) + "/s paced" : "as fast as possible")}, frames built just before sending (fresh counters) ===");
        System.Console.WriteLine($"{"t (s)",6}{"sent",12}{"accepted",12}{"acc/s (10 s)",14}{"in flight/lost",16}{"drops",10}{"VmRSS MB",10}{"VmHWM MB",10}{"GC heap MB",12}{"GC committed MB",17}{"journal q",11}{"index q (batches)",19}");
        long lastAccepted = 0;
        var clock = Stopwatch.StartNew();
        var nextTick = TimeSpan.FromSeconds(10);
        bool finalLine = false;
        while (true)
        {
            Thread.Sleep(50);
            bool done = !sender.IsAlive;
            if (clock.Elapsed >= nextTick || (done && !finalLine))
            {
                var s = host.Stats.Snapshot();
                long sentNow = Interlocked.Read(ref sent);
                var gc = GC.GetGCMemoryInfo();
                double window = clock.Elapsed.TotalSeconds - (nextTick.TotalSeconds - 10);
                System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{clock.Elapsed.TotalSeconds,6:F0}{sentNow,12:N0}{s.Accepted,12:N0}{(s.Accepted - lastAccepted) / Math.Max(window, 0.001),14:N0}{sentNow - s.Accepted - s.Duplicates - s.RejectedTotal,16:N0}" +
                    $"{(KernelDrops.Read(host.Target.Port) ?? -1),10:N0}{Proc.StatusKb("VmRSS") / 1024.0,10:F0}{Proc.StatusKb("VmHWM") / 1024.0,10:F0}{GC.GetTotalMemory(false) / 1048576.0,12:F0}{gc.TotalCommittedBytes / 1048576.0,17:F0}{host.JournalQueue,11:N0}{host.IndexQueue,19:N0}"));
                lastAccepted = s.Accepted;
                nextTick += TimeSpan.FromSeconds(10);
                if (done)
                {
                    finalLine = true;
                }
            }

            if (done && finalLine)
            {
                break;
            }
        }

        // drain
        long quietSince = Stopwatch.GetTimestamp(), lastSeen = -1, lastGrowth = Stopwatch.GetTimestamp();
        while (Stopwatch.GetTimestamp() - quietSince < Stopwatch.Frequency * 2)
        {
            Thread.Sleep(5);
            var s = host.Stats.Snapshot();
            if (s.Received + s.Accepted != lastSeen)
            {
                lastSeen = s.Received + s.Accepted;
                quietSince = Stopwatch.GetTimestamp();
                lastGrowth = quietSince;
            }
        }

        var f = host.Stats.Snapshot();
        var (rtt, missing) = listener.RoundTrips((int)probes);
        double seconds = (lastGrowth - first) / (double)Stopwatch.Frequency;
        System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak total: sent {sent:N0} (errors {errors}), accepted {f.Accepted:N0} = {f.Accepted / seconds:N0}/s, dup {f.Duplicates:N0}, rejected {f.RejectedTotal:N0}, " +
            $"LOSS {sent - f.Accepted - f.Duplicates - f.RejectedTotal:N0}, product socket drops {(KernelDrops.Read(host.Target.Port) ?? -1):N0}, RcvbufErrors delta {Proc.RcvbufErrors() - rcvbufBefore:N0}"));
        System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"send->ACK (after fsync): p50 {Report.Percentile(rtt, 0.5):F1} ms, p99 {Report.Percentile(rtt, 0.99):F1} ms, {missing}/{probes} unanswered; final VmRSS {Proc.StatusKb("VmRSS") / 1024.0:F0} MB, VmHWM {Proc.StatusKb("VmHWM") / 1024.0:F0} MB; load average {Proc.LoadAverage()}"));
        var rejected = f.Rejected.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key}={kv.Value}").ToArray();
        if (rejected.Length > 0)
        {
            System.Console.WriteLine("rejections by reason: " + string.Join(", ", rejected));
        }

        return 0;
    }
}
