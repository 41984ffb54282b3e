using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;

namespace OpsConsole.Server.Tests;

/// <summary>
/// Replay protection survives kill -9: the invocation counters a meter spent before the crash stay
/// spent after the restart (wire-format.md §2). Re-sending the same events cannot show this (the
/// seen-key check answers 2.04 for them either way), so the test sends a NEW event under an old counter.
/// </summary>
public sealed partial class KillNineDurabilityTests
{
    private const ulong FirstTitle = 0x4F50530000000001UL;

    [Fact]
    public async Task KillNineMidTraffic_AfterRestart_NewEventUnderASpentCounter_Is401AndLoggedErrReplay()
    {
        var topology = SmallNetwork.WriteTo(_folder.Path);
        const int Events = 2_000;
        const int HeldBack = 200; // sent after the server froze, so the kill certainly interrupts traffic
        static uint CounterOf(int i) => (uint)(i / Meters.Length) + 1; // event i: meter i % 4, its (i / 4 + 1)-th frame
        IReadOnlyCollection<ushort> acknowledged = [];
        byte[] master;

        using (var server = new ServerProcess(_folder.Path, topology))
        {
            int port = await server.Port;
            master = await File.ReadAllBytesAsync(Path.Combine(_folder.Path, "keys", "master.key"));
            var now = DateTimeOffset.UtcNow;
            var frames = Enumerable.Range(0, Events)
                .Select(i => EventFrame(master, i % Meters.Length, (uint)i + 1, CounterOf(i), (ushort)(i + 1), now))
                .ToArray();

            acknowledged = await SendAndKillNineMidTrafficAsync(server, port, frames, HeldBack);
        }

        // The kill interrupted the traffic: it came before every event sent had been acknowledged.
        Assert.True(acknowledged.Count < Events, $"all {Events} events were acknowledged before the kill: it interrupted nothing");
        Assert.DoesNotContain(acknowledged, mid => mid > Events - HeldBack);

        // The highest counter meter M1 spent that the server acknowledged (so it is durable) before the kill.
        uint spent = acknowledged.Select(mid => mid - 1).Where(i => i % Meters.Length == 0).Max(CounterOf);

        using (var server = new ServerProcess(_folder.Path, topology))
        {
            int port = await server.Port;
            using var udp = new UdpClient(AddressFamily.InterNetwork);
            udp.Connect(IPAddress.Loopback, port);

            // A new event (an event id never sent) under that spent counter: a replay, whatever the seen keys say.
            var replay = await ExchangeAsync(udp, EventFrame(master, 0, 1_000_001, spent, 60_001, DateTimeOffset.UtcNow), 60_001);
            Assert.True(replay == CoapCode.Unauthorized,
                $"a new event under spent counter {spent} got {CoapCode.Format(replay)}, not 4.01 ({acknowledged.Count} of {Events} events acknowledged before the kill)");

            // Control: the same meter with a counter above all it ever sent is accepted (keys, clock and path are fine).
            var fresh = await ExchangeAsync(udp, EventFrame(master, 0, 1_000_002, CounterOf(Events) + 1, 60_002, DateTimeOffset.UtcNow), 60_002);
            Assert.Equal(CoapCode.Format(CoapCode.Changed), CoapCode.Format(fresh));

            await server.StopGracefully(); // the event-processor log is complete once the process has exited
        }

        var log = File.ReadAllLines(Path.Combine(_folder.Path, "db", "logs", "event_processor.log"));
        var line = Assert.Single(log, l => l.Contains(" ERR_REPLAY ", StringComparison.Ordinal));
        Assert.Contains(" meter=M1 ", line, StringComparison.Ordinal);
        Assert.Contains($" ic={spent.ToString(CultureInfo.InvariantCulture)} ", line, StringComparison.Ordinal);
    }

    private static byte[] EventFrame(byte[] master, int meter, uint eventId, uint counter, ushort mid, DateTimeOffset time)
    {
        var e = new MeterEvent(Meters[meter], MeterEventCode.PowerDown, eventId, 1, time, time, 4200, -70, 0);
        var apdu = MeterFrameWriter.Apdu(e, FirstTitle + (ulong)meter, counter, MeterKeys.Derive(master, Meters[meter]));
        return MeterFrameWriter.Post(CoapType.Confirmable, mid, [0x01], apdu);
    }

    /// <summary>Sends one CON and returns the code of the piggy-backed answer with its Message ID.</summary>
    private static async Task<byte> ExchangeAsync(UdpClient udp, byte[] frame, ushort mid)
    {
        await udp.SendAsync(frame);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var answer = (await udp.ReceiveAsync(timeout.Token)).Buffer;
            Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(answer, out var view));
            if (view.MessageId == mid)
            {
                Assert.Equal(CoapType.Acknowledgement, view.Type);
                return view.Code;
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="frames"/> (CON) to the server and kills it -9 in the middle of the traffic: once 200
    /// are acknowledged the server is frozen, the last <paramref name="heldBack"/> frames go into its socket (they
    /// can never be acknowledged), then it is killed. Returns the Message IDs acknowledged 2.04 before the kill.
    /// </summary>
    private static async Task<IReadOnlyCollection<ushort>> SendAndKillNineMidTrafficAsync(ServerProcess server, int port, byte[][] frames, int heldBack)
    {
        var acknowledged = new ConcurrentDictionary<ushort, bool>();
        using var udp = new UdpClient(AddressFamily.InterNetwork);
        udp.Client.ReceiveBufferSize = 4 * 1024 * 1024;
        udp.Connect(IPAddress.Loopback, port);
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stopReceiving = new CancellationTokenSource();
        var receiver = Task.Run(async () =>
        {
            while (!stopReceiving.IsCancellationRequested)
            {
                var answer = (await udp.ReceiveAsync(stopReceiving.Token)).Buffer;
                if (CoapMessage.TryParse(answer, out var view) == CoapParseStatus.Ok && view.Code == CoapCode.Changed)
                {
                    acknowledged[view.MessageId] = true;
                    if (acknowledged.Count >= 200)
                    {
                        enough.TrySetResult();
                    }
                }
            }
        });

        foreach (var frame in frames[..^heldBack])
        {
            await udp.SendAsync(frame);
        }

        await enough.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await server.FreezeAsync(); // in the middle: acknowledgements are still arriving
        foreach (var frame in frames[^heldBack..])
        {
            await udp.SendAsync(frame); // into the frozen server's socket: never acknowledged
        }

        server.KillNine();
        await stopReceiving.CancelAsync();
        try
        {
            await receiver; // ends by cancellation, or normally if it was between two receives
        }
        catch (OperationCanceledException)
        {
        }

        return [.. acknowledged.Keys];
    }
}
