using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Ingest.Processing;
using Xunit.Abstractions;

namespace OpsConsole.Server.Tests;

/// <summary>
/// Issue 11 finding 2 in the running host: sources outside <c>Hes:AllowedGateways</c> — real datagrams from
/// thousands of distinct loopback addresses (Linux routes all of 127.0.0.0/8 to lo, so a socket can bind
/// any of them), then a million spoofed addresses through the entry point the socket loop uses — leave the
/// heap, <c>/api/stats</c> and the event-processor log flat. Alone in its collection: the heap is measured.
/// </summary>
[Collection(nameof(SpoofedSourcesHostTests))]
public sealed class SpoofedSourcesHostTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Key = "stats-reader-key-0123456789";
    private const int RealSources = 20_000;
    private const int SpoofedSources = 1_000_000;
    private RunningHost _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        // Only 127.0.0.1 (and ::1) are gateways: 127.0.0.2 … are strangers.
        _host = await RunningHost.StartAsync("--Hes:AllowedGateways:0=127.0.0.1/32", $"--Api:Keys:0:Key={Key}", "--Api:Keys:0:Role=dispatcher");
        _http = new HttpClient { BaseAddress = _host.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task MillionSpoofedSources_HeapStatsJsonAndDeniedLog_StayFlat()
    {
        var stats = _host.Get<IngestStats>();
        var context = _host.Get<UdpIngestService>().Context;
        byte[] ping = [0x40, 0x00, 0x12, 0x34];
        var (baseline, _, _) = await StatsAsync(); // warm the endpoint
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();

        // Real UDP: one datagram from each of 20,000 distinct addresses 127.0.1.0 … (denied).
        var server = new IPEndPoint(IPAddress.Loopback, _host.UdpPort);
        for (int i = 0; i < RealSources; i++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(new IPAddress([127, (byte)(1 + (i >> 16)), (byte)(i >> 8), (byte)i]), 0));
            socket.SendTo(ping, server);
        }

        // Spoofed: a million distinct IPv6 sources through the socket loop's entry point.
        using (var processor = new DatagramProcessor(context))
        {
            var response = new byte[DatagramProcessor.MaxResponseLength];
            var address = new byte[16];
            address[0] = 0x20;
            address[1] = 0x01;
            address[2] = 0x0d;
            address[3] = 0xb8;
            for (int i = 0; i < SpoofedSources; i++)
            {
                BinaryPrimitives.WriteInt32BigEndian(address.AsSpan(12), i);
                processor.Process(ping, new IPEndPoint(new IPAddress(address), 5683), response);
            }
        }

        // Every real datagram taken by the listener (or dropped by the kernel, which it counts).
        long expected = baseline + RealSources + SpoofedSources;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (stats.Snapshot() is var s && s.Received + s.KernelDropped < expected && DateTime.UtcNow < deadline)
        {
            await Task.Yield();
        }

        var snapshot = stats.Snapshot();
        Assert.Equal(expected, snapshot.Received + snapshot.KernelDropped);
        long denied = snapshot.Rejected[nameof(RejectReason.ERR_GATEWAY_DENIED)];
        Assert.True(denied >= SpoofedSources, $"denied {denied}");
        double seconds = clock.Elapsed.TotalSeconds;
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);

        var (_, bytes, elapsed) = await StatsAsync();
        await context.Log.FlushAsync();
        int deniedLines = File.ReadLines(context.Log.FilePath).Count(l => l.Contains(" ERR_GATEWAY_DENIED ", StringComparison.Ordinal));
        output.WriteLine($"{RealSources:N0} real + {SpoofedSources:N0} spoofed sources in {seconds:0.0} s: heap {heapBefore:N0} -> {heapAfter:N0} bytes " +
            $"(+{heapAfter - heapBefore:N0}); /api/stats {bytes:N0} bytes in {elapsed.TotalMilliseconds:0} ms; {deniedLines} ERR_GATEWAY_DENIED lines; " +
            $"kernel dropped {snapshot.KernelDropped}");

        Assert.True(heapAfter - heapBefore < 16L * 1024 * 1024, $"the heap grew {heapAfter - heapBefore:N0} bytes");
        Assert.True(bytes < 50_000, $"/api/stats is {bytes:N0} bytes");
        Assert.True(deniedLines <= seconds + 2, $"{deniedLines} ERR_GATEWAY_DENIED lines in {seconds:0.0} s: not rate-limited");
    }

    private async Task<(long Received, int Bytes, TimeSpan Elapsed)> StatsAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/stats");
        request.Headers.Add("X-Api-Key", Key);
        var clock = Stopwatch.StartNew();
        using var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        clock.Stop();
        using var json = System.Text.Json.JsonDocument.Parse(body);
        return (json.RootElement.GetProperty("datagrams").GetProperty("received").GetInt64(), body.Length, clock.Elapsed);
    }
}

[CollectionDefinition(nameof(SpoofedSourcesHostTests), DisableParallelization = true)]
public sealed class SpoofedSourcesHostCollection;
