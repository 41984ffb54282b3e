using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using OpsConsole.Console.Server.Hosting;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Protocols;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;

namespace OpsConsole.Server.Tests;

/// <summary>Hostile input at the real socket: nothing crashes or hangs, and every datagram is accounted for.</summary>
public sealed class UdpRobustnessTests : IAsyncLifetime
{
    private static readonly Guid Meter1 = Guid.Parse("00000000-0000-4000-8000-000000000001");
    private const ulong Title1 = 0x4F50530000000001UL;
    private RunningHost _host = null!;
    private UdpClient _udp = null!;

    public async Task InitializeAsync()
    {
        _host = await RunningHost.StartAsync();
        _udp = _host.Connect();
    }

    public async Task DisposeAsync()
    {
        _udp.Dispose();
        await _host.DisposeAsync();
    }

    private byte[] ValidFrame(CoapType type, ushort mid, uint counter, uint eventId)
    {
        var keys = MeterKeys.Derive(File.ReadAllBytes(_host.KeyFile), Meter1);
        var now = DateTimeOffset.UtcNow;
        var e = new MeterEvent(Meter1, MeterEventCode.PowerDown, eventId, 1, now, now, 4200, -70, 0);
        return MeterFrameWriter.Post(type, mid, [0x07], MeterFrameWriter.Apdu(e, Title1, counter, keys));
    }

    /// <summary>Sends a ping and waits for its RST: the socket is FIFO, so every earlier datagram has been taken.</summary>
    private async Task Barrier(ushort mid)
    {
        byte[] ping = [0x40, 0x00, (byte)(mid >> 8), (byte)mid];
        await _udp.SendAsync(ping);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var answer = await _udp.ReceiveAsync(timeout.Token);
            if (answer.Buffer is [0x70, 0x00, var hi, var lo] && ((hi << 8) | lo) == mid)
            {
                return;
            }
        }
    }

    [Fact]
    public async Task HundredThousandRandomAndMutatedDatagrams_NoCrashNoHang_CountersAddUp_AndAValidFrameIsStillAccepted()
    {
        var random = new Random(20261124);
        var template = ValidFrame(CoapType.NonConfirmable, 1, 1, 1);
        var stats = _host.Get<IngestStats>();
        const int Total = 100_000;
        const int Burst = 1_000;
        int sent = 0;
        ushort barrierMid = 0xF000;

        for (int i = 0; i < Total; i++)
        {
            var datagram = Mutate(random, template, i);
            await _udp.SendAsync(datagram);
            sent++;
            if (sent % Burst == 0)
            {
                await Barrier(barrierMid++);
                sent++;
            }
        }

        await Barrier(barrierMid++);
        sent++;

        // Every datagram is counted under exactly one outcome once the in-flight ones settle.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        IngestStatsSnapshot s;
        do
        {
            s = stats.Snapshot();
            if (s.Received == sent && s.Received == s.Accepted + s.Duplicates + s.RejectedTotal + s.Control)
            {
                break;
            }

            await Task.Yield();
        }
        while (DateTime.UtcNow < deadline);

        Assert.Equal(sent, s.Received);
        Assert.Equal(s.Received, s.Accepted + s.Duplicates + s.RejectedTotal + s.Control);
        // All mutations derive from one event: whatever got through, it is recorded at most once.
        Assert.InRange(s.Accepted, 0, 1);
        Assert.True(s.Rejected["ERR_MALFORMED_COAP"] > 0, "noise must be rejected as malformed CoAP");
        Assert.True(s.Rejected["ERR_AUTH_FAILED"] > 0, "flipped ciphertext must fail authentication");
        Assert.True(s.Rejected["ERR_MALFORMED_APDU"] + s.Rejected["ERR_PACKET_FRAGMENTED"] > 0, "bad lengths and tags must be rejected as APDUs");

        // Still listening: a fresh valid CON is accepted.
        await _udp.SendAsync(ValidFrame(CoapType.Confirmable, 0x7777, counter: 1_000_000, eventId: 999));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var answer = (await _udp.ReceiveAsync(timeout.Token)).Buffer;
            if (CoapMessage.TryParse(answer, out var view) == CoapParseStatus.Ok && view.MessageId == 0x7777)
            {
                Assert.Equal(CoapCode.Changed, view.Code);
                break;
            }
        }
    }

    /// <summary>Truncations, bit flips, oversized lengths, wrong tags and plain noise, seeded.</summary>
    private static byte[] Mutate(Random random, byte[] template, int i)
    {
        switch (i % 6)
        {
            case 0: // noise of any length, including empty
                var noise = new byte[random.Next(0, 300)];
                random.NextBytes(noise);
                return noise;
            case 1: // truncated anywhere
                return template[..random.Next(0, template.Length)];
            case 2: // 1-4 bit flips anywhere (header, options, ciphertext, tag)
                var flipped = (byte[])template.Clone();
                for (int k = random.Next(1, 5); k > 0; k--)
                {
                    flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                }

                return flipped;
            case 3: // an oversized A-XDR length after the system title
                var longer = (byte[])template.Clone();
                int apdu = Array.IndexOf(longer, (byte)0xDB);
                if (apdu >= 0 && apdu + 10 < longer.Length)
                {
                    longer[apdu + 10] = (byte)random.Next(0x80, 0x100);
                }

                return longer;
            case 4: // wrong APDU tag
                var tagged = (byte[])template.Clone();
                int at = Array.IndexOf(tagged, (byte)0xDB);
                if (at >= 0)
                {
                    tagged[at] = (byte)random.Next(0, 0xDB);
                }

                return tagged;
            default: // valid CoAP header, random option bytes and payload
                var coap = new byte[random.Next(4, 200)];
                random.NextBytes(coap);
                coap[0] = (byte)(0x40 | (random.Next(4) << 4) | random.Next(9));
                return coap;
        }
    }
}
