using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Engine.Ingest.Processing;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Tools.StormBench;

/// <summary>
/// --profile: where a datagram's time goes, stage by stage, on the same frames and without sockets:
/// DatagramProcessor.Process on one thread, journal AppendBatch (1024 per fsync), LiteDB IndexBatch (4096),
/// and the socket shell: the product's ReceiveFromAsync loop shape with no processing.
/// </summary>
internal static class Profile
{
    public static async Task<int> RunAsync(BenchOptions o, string topology, List<(Guid Guid, ulong Title)> meters, Func<FrameFactory, int, uint, Storm> build)
    {
        using var folder = new TempFolder();
        await using var host = await Host.StartAsync(folder.Path, topology, o.TransitAllowanceMs);
        var master = await File.ReadAllBytesAsync(host.KeyFile);
        Storm storm;
        using (var factory = new FrameFactory(meters, master))
        {
            storm = build(factory, o.Events, 0);
        }

        Thread.Sleep(1500);
        var source = new IPEndPoint(IPAddress.Loopback, 40000);
        var response = new byte[512];
        var recorded = new List<RecordedEvent>(storm.Frames.Length);
        System.Console.WriteLine();
        System.Console.WriteLine($"=== profile: {storm.Frames.Length:N0} frames, one thread, no sockets ===");
        using (var processor = new DatagramProcessor(host.Service.Context, cipherCacheCapacity: 256))
        {
            long alloc0 = GC.GetAllocatedBytesForCurrentThread();
            int gc0 = GC.CollectionCount(0);
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < storm.Frames.Length; i++)
            {
                source.Port = 40000 + storm.Route[i]; // same endpoint → Message ID mapping as the socket run
                var r = processor.Process(storm.Frames[i], source, response);
                if (r.Event is { } e)
                {
                    recorded.Add(e);
                }
            }

            sw.Stop();
            long alloc = GC.GetAllocatedBytesForCurrentThread() - alloc0;
            Print("DatagramProcessor.Process", sw.Elapsed, storm.Frames.Length,
                $"{alloc / (double)storm.Frames.Length:F0} B allocated/datagram, gen0 GCs {GC.CollectionCount(0) - gc0}, to persist {recorded.Count:N0}");
        }

        // The same work with the product's GCM cache (UdpIngestService.CipherSlotsPerWorker, >= ckt24's meters): the first pass is every-frame-a-miss, as in a storm on a network too large to cache.
        {
            Storm second;
            using (var factory = new FrameFactory(meters, master))
            {
                second = build(factory, o.Events, (uint)(o.Events / meters.Count + 1));
            }

            using var processor = new DatagramProcessor(host.Service.Context, cipherCacheCapacity: OpsConsole.Engine.Ingest.UdpIngestService.CipherSlotsPerWorker);
            using var sampler = new AllocationSampler();
            sampler.Start();
            long alloc0 = GC.GetAllocatedBytesForCurrentThread();
            int persisted = 0;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < second.Frames.Length; i++)
            {
                source.Port = 41000 + second.Route[i];
                if (processor.Process(second.Frames[i], source, response).Event is not null)
                {
                    persisted++;
                }
            }

            sw.Stop();
            long alloc = GC.GetAllocatedBytesForCurrentThread() - alloc0;
            var types = sampler.Stop();
            Print("  same, product cache (4096 slots >= meters)", sw.Elapsed, second.Frames.Length,
                $"{alloc / (double)second.Frames.Length:F0} B allocated/datagram, to persist {persisted:N0}");
            long sampled = Math.Max(1, types.Sum(t => t.Bytes));
            foreach (var (type, bytes) in types.Take(12))
            {
                System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {bytes * (alloc / (double)sampled) / second.Frames.Length,7:F0} B/datagram  {type}"));
            }
        }

        var store = host.Services.GetRequiredService<EventStore>();
        using (var journal = new EventJournal(Path.Combine(folder.Path, "profile-journal")))
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < recorded.Count; i += 1024)
            {
                journal.AppendBatch(recorded.GetRange(i, Math.Min(1024, recorded.Count - i)));
            }

            sw.Stop();
            Print("EventJournal.AppendBatch (1024/fsync)", sw.Elapsed, recorded.Count, $"{journal.Flushes} fsyncs, {sw.Elapsed.TotalMilliseconds / Math.Max(1, journal.Flushes):F2} ms per batch");
        }

        {
            // The host's own store already has these keys? No: Process does not index. Index them once.
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < recorded.Count; i += 4096)
            {
                store.IndexBatch(recorded.GetRange(i, Math.Min(4096, recorded.Count - i)));
            }

            sw.Stop();
            Print("EventStore.IndexBatch (4096/document, LiteDB)", sw.Elapsed, recorded.Count, "");
        }

        // The socket shell alone: product-shaped async receive loops, one per core, no processing.
        foreach (bool productShape in new[] { true, false })
        {
            using var rx = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
            rx.ReceiveBufferSize = 8 * 1024 * 1024;
            rx.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
            var target = new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)rx.LocalEndPoint!).Port);
            long count = 0;
            using var cts = new CancellationTokenSource();
            var loops = new List<Task>();
            int n = productShape ? Environment.ProcessorCount : 1;
            for (int l = 0; l < n; l++)
            {
                loops.Add(productShape
                    ? Task.Run(async () =>
                    {
                        var buffer = new byte[65_536];
                        var address = new SocketAddress(AddressFamily.InterNetworkV6);
                        var template = new IPEndPoint(IPAddress.IPv6Any, 0);
                        while (!cts.IsCancellationRequested)
                        {
                            try
                            {
                                await rx.ReceiveFromAsync(buffer, SocketFlags.None, address, cts.Token);
                                _ = (IPEndPoint)template.Create(address);
                                Interlocked.Increment(ref count);
                            }
                            catch (OperationCanceledException)
                            {
                                break;
                            }
                        }
                    })
                    : Task.Factory.StartNew(() =>
                    {
                        var buffer = new byte[65_536];
                        rx.ReceiveTimeout = 100;
                        while (!cts.IsCancellationRequested)
                        {
                            try
                            {
                                rx.Receive(buffer);
                                Interlocked.Increment(ref count);
                            }
                            catch (SocketException)
                            {
                            }
                        }
                    }, TaskCreationOptions.LongRunning));
            }

            var socks = Enumerable.Range(0, storm.Sockets).Select(_ => Storm.Connect(target)).ToArray();
            using var probe = Storm.Connect(target);
            var sent = storm.Send(socks, probe, null, o.Rate, 1);
            long last = -1;
            var quiet = Stopwatch.StartNew();
            while (quiet.ElapsedMilliseconds < 500)
            {
                Thread.Sleep(5);
                long c = Interlocked.Read(ref count);
                if (c != last)
                {
                    last = c;
                    quiet.Restart();
                }
            }

            double seconds = (Stopwatch.GetTimestamp() - 500 * Stopwatch.Frequency / 1000 - sent.FirstTicks) / (double)Stopwatch.Frequency;
            System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(productShape ? $"socket shell: product-shaped ReceiveFromAsync x{n}" : "socket shell: sync Receive x1"),-44} {last / seconds,12:N0} datagrams/s received, loss {sent.Sent - last:N0} of {sent.Sent:N0}"));
            await cts.CancelAsync();
            rx.Close();
            foreach (var s in socks)
            {
                s.Dispose();
            }
        }

        return 0;
    }

    private static void Print(string stage, TimeSpan elapsed, int count, string extra) =>
        System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{stage,-44} {elapsed.TotalMicroseconds / count,8:F2} µs/event = {count / elapsed.TotalSeconds,12:N0} /s  {extra}"));
}
