using System.Net;
using System.Net.Sockets;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Protocols;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Tests.Coap;

namespace OpsConsole.Server.Tests;

/// <summary>
/// Issue 11 (block-wise slots per source) and issue 19 finding 6 (expiry in the running listener): Block1
/// transfers over real UDP into the host, whose clock is moved by hand — the listener's once-a-second sweep
/// fires only when the test advances it, so the 10 s timeout passes without waiting 10 s.
/// </summary>
public sealed class Block1AbandonedHostTests : IAsyncLifetime
{
    private static readonly Guid Meter1 = Guid.Parse("00000000-0000-4000-8000-000000000001");
    private const ulong Title1 = 0x4F50530000000001UL;
    private const int Szx = 2; // 64-byte blocks
    private readonly ManualTimeProvider _time = new();
    private readonly List<UdpClient> _clients = [];
    private RunningHost _host = null!;
    private ushort _mid = 0x100;

    public async Task InitializeAsync() => _host = await RunningHost.StartAsync(b => b.Services.AddSingleton<TimeProvider>(_time));

    public async Task DisposeAsync()
    {
        _clients.ForEach(c => c.Dispose());
        await _host.DisposeAsync();
    }

    /// <summary>A client on 127.0.0.1 with a port of its own: one more endpoint of the same source address.</summary>
    private UdpClient Client()
    {
        var udp = _host.Connect();
        _clients.Add(udp);
        return udp;
    }

    private async Task<CoapMessageViewCopy> Block(UdpClient udp, int num, bool more, ReadOnlyMemory<byte> payload)
    {
        var buffer = new byte[payload.Length + 64];
        Assert.True(CoapMessage.TryWriteEventPost(buffer, CoapType.Confirmable, ++_mid, [0x0B], new CoapBlockOption(num, more, Szx), payload.Span, out int written));
        await udp.SendAsync(buffer.AsMemory(0, written));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var answer = (await udp.ReceiveAsync(timeout.Token)).Buffer;
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(answer, out var view));
        Assert.Equal(_mid, view.MessageId);
        return new CoapMessageViewCopy(view.Code, view.TryGetUInt32(CoapOptionNumber.MaxAge, out uint maxAge) ? maxAge : null);
    }

    private byte[] Apdu()
    {
        var keys = MeterKeys.Derive(File.ReadAllBytes(_host.KeyFile), Meter1);
        var now = _time.GetUtcNow();
        return MeterFrameWriter.Apdu(new MeterEvent(Meter1, MeterEventCode.PowerUp, 42, 1, now, now, 4200, -70, 0), Title1, 1, keys);
    }

    private async Task<string[]> LogAsync(string code)
    {
        var log = _host.Get<UdpIngestService>().Context.Log;
        await log.FlushAsync();
        return File.Exists(log.FilePath) ? [.. File.ReadLines(log.FilePath).Where(l => l.Contains($" {code} ", StringComparison.Ordinal))] : [];
    }

    [Fact]
    public async Task OneSourceAddress_HoldsAtMost16Transfers_TheRest503MaxAge_AbandonedOnesExpireLoggedAndTheSlotIsReused()
    {
        var reassembler = _host.Get<UdpIngestService>().Context.Reassembler;
        byte[] apdu = Apdu();
        Assert.True(apdu.Length > 64, "the APDU must take more than one block");

        // Sixteen endpoints of 127.0.0.1 each start a transfer and abandon it.
        for (int i = 0; i < Block1Reassembler.DefaultMaxTransfersPerSource; i++)
        {
            Assert.Equal(CoapCode.Continue, (await Block(Client(), 0, true, apdu.AsMemory(0, 64))).Code);
        }

        // The seventeenth is refused for now: 5.03 with Max-Age = the timeout, logged ERR_OVERLOAD.
        var late = Client();
        Assert.Equal(new CoapMessageViewCopy(CoapCode.ServiceUnavailable, 10), await Block(late, 0, true, apdu.AsMemory(0, 64)));
        Assert.Equal(Block1Reassembler.DefaultMaxTransfersPerSource, reassembler.Count);
        Assert.Contains("reason=block1-source-limit max=16 max_age=10", Assert.Single(await LogAsync("ERR_OVERLOAD")), StringComparison.Ordinal);
        Assert.Empty(await LogAsync("ERR_PACKET_FRAGMENTED"));

        // Ten seconds pass (the listener's sweep runs each second): every abandoned transfer is logged and freed.
        _time.Advance(Block1Reassembler.DefaultTimeout);
        var fragmented = await LogAsync("ERR_PACKET_FRAGMENTED");
        Assert.Equal(Block1Reassembler.DefaultMaxTransfersPerSource, fragmented.Length);
        Assert.All(fragmented, l => Assert.Contains("path=/ami/ev blocks=1 bytes=64 reason=block1-timeout", l, StringComparison.Ordinal));
        Assert.Equal(0, reassembler.Count);

        // The refused sender asks again after Max-Age: its transfer now goes through and the event is recorded.
        Assert.Equal(CoapCode.Continue, (await Block(late, 0, true, apdu.AsMemory(0, 64))).Code);
        int blocks = (apdu.Length + 63) / 64;
        for (int num = 1; num < blocks; num++)
        {
            bool more = num < blocks - 1;
            var code = (await Block(late, num, more, apdu.AsMemory(num * 64, more ? 64 : apdu.Length - (num * 64)))).Code;
            Assert.Equal(more ? CoapCode.Continue : CoapCode.Changed, code);
        }

        Assert.Contains(_host.Get<EventStore>().Journal.ReadAll().Records, r => r.Event.MeterId == Meter1 && r.Event.EventId == 42);
        Assert.Equal(1, _host.Get<IngestStats>().Snapshot().Accepted);
    }

    private readonly record struct CoapMessageViewCopy(byte Code, uint? MaxAge);
}
