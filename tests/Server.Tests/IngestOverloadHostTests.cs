using System.Net.Sockets;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Protocols;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Server.Tests;

/// <summary>
/// Issue 19 finding 6, back-pressure in the running listener: the journal writer is held on an explicit gate
/// (a stalled disk) and its queue is 4 events long; CON last gasps over real UDP then overflow it.
/// </summary>
public sealed class IngestOverloadHostTests : IAsyncLifetime
{
    private static readonly Guid Meter1 = Guid.Parse("00000000-0000-4000-8000-000000000001");
    private const ulong Title1 = 0x4F50530000000001UL;
    private const int Queue = 4;
    private readonly SemaphoreSlim _entered = new(0);
    private readonly ManualResetEventSlim _release = new(false);
    private RunningHost _host = null!;
    private UdpClient _udp = null!;

    public async Task InitializeAsync()
    {
        var writer = new JournalWriterOptions
        {
            QueueCapacity = Queue,
            BeforeAppend = _ =>
            {
                _entered.Release();
                _release.Wait();
            },
        };
        _host = await RunningHost.StartAsync(b => b.Services.AddSingleton(writer));
        _udp = _host.Connect();
    }

    public async Task DisposeAsync()
    {
        _release.Set(); // never leave the writer blocked
        _udp.Dispose();
        await _host.DisposeAsync();
        _release.Dispose();
        _entered.Dispose();
    }

    private byte[] LastGasp(ushort mid)
    {
        var keys = MeterKeys.Derive(File.ReadAllBytes(_host.KeyFile), Meter1);
        var now = DateTimeOffset.UtcNow;
        var e = new MeterEvent(Meter1, MeterEventCode.PowerDown, mid, 1, now, now, 4200, -70, 0x8000_0000u);
        return MeterFrameWriter.Post(CoapType.Confirmable, mid, [(byte)mid], MeterFrameWriter.Apdu(e, Title1, mid, keys));
    }

    private async Task<CoapAnswer> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var bytes = (await _udp.ReceiveAsync(timeout.Token)).Buffer;
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(bytes, out var view));
        return new CoapAnswer(view.Type, view.Code, view.MessageId);
    }

    [Fact]
    public async Task JournalQueueFull_OverloadLoggedAndCounted_NoAnswerSoTheMeterRetries_AndEveryAcknowledgedEventIsStored()
    {
        var stats = _host.Get<IngestStats>();
        var context = _host.Get<UdpIngestService>().Context;
        var frames = Enumerable.Range(1, 8).Select(i => LastGasp((ushort)i)).ToArray();

        // #1 reaches the writer, which stops at the gate holding it; #2–#5 fill the queue; #6–#8 find it full.
        await _udp.SendAsync(frames[0]);
        Assert.True(await _entered.WaitAsync(TimeSpan.FromSeconds(15)), "the writer never reached the journal");
        foreach (var frame in frames[1..])
        {
            await _udp.SendAsync(frame);
        }

        // A ping behind them: one socket, one worker, in order. Its RST is the first answer, so none of the eight
        // was answered — the five queued wait for durability, the three refused get nothing and will be retried.
        await _udp.SendAsync(new byte[] { 0x40, 0x00, 0xBE, 0xEF });
        Assert.Equal(new CoapAnswer(CoapType.Reset, CoapCode.Empty, 0xBEEF), await ReceiveAsync());

        var s = stats.Snapshot();
        Assert.Equal(3, s.Rejected[nameof(RejectReason.ERR_OVERLOAD)]);
        Assert.Equal(0, s.Accepted);
        await context.Log.FlushAsync();
        var overloads = File.ReadLines(context.Log.FilePath).Where(l => l.Contains(" ERR_OVERLOAD ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, overloads.Length);
        Assert.All(overloads, l => Assert.Contains("meter=M1 journal queue full", l, StringComparison.Ordinal));

        // The disk comes back: exactly the five taken are acknowledged 2.04, once durable.
        _release.Set();
        var acknowledged = new List<CoapAnswer>();
        for (int i = 0; i < 1 + Queue; i++)
        {
            acknowledged.Add(await ReceiveAsync());
        }

        Assert.All(acknowledged, a => Assert.Equal((CoapType.Acknowledgement, CoapCode.Changed), (a.Type, a.Code)));
        Assert.Equal([1, 2, 3, 4, 5], acknowledged.Select(a => (int)a.MessageId).Order());

        // The meters retransmit the three refused CONs (same Message ID, same bytes): processed afresh, 2.04.
        foreach (var frame in frames[5..])
        {
            await _udp.SendAsync(frame);
            var retry = await ReceiveAsync();
            Assert.Equal((CoapType.Acknowledgement, CoapCode.Changed), (retry.Type, retry.Code));
            acknowledged.Add(retry);
        }

        // Every acknowledged event is in the journal, once.
        var journal = _host.Get<EventStore>().Journal.ReadAll();
        var stored = journal.Records.Where(r => r.Event.MeterId == Meter1).Select(r => (int)r.Event.EventId).Order().ToArray();
        Assert.Equal(acknowledged.Select(a => (int)a.MessageId).Order(), stored);
        Assert.Equal(Enumerable.Range(1, 8), stored);
        s = stats.Snapshot();
        Assert.Equal((8L, 3L), (s.Accepted, s.Rejected[nameof(RejectReason.ERR_OVERLOAD)]));
    }

    private readonly record struct CoapAnswer(CoapType Type, byte Code, ushort MessageId);
}
