using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using OpsConsole.Console.Server.Hosting;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Protocols;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Server.Tests;

/// <summary>Real UDP into the running host: the datagram path from socket to journal and back.</summary>
public sealed class IngestEndToEndTests : IAsyncLifetime
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

    private async Task<byte[]> Exchange(byte[] datagram)
    {
        await _udp.SendAsync(datagram);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var answer = await _udp.ReceiveAsync(timeout.Token);
        return answer.Buffer;
    }

    private byte[] PowerDownFrame(CoapType type, ushort mid, uint counter, uint eventId)
    {
        var keys = MeterKeys.Derive(File.ReadAllBytes(_host.KeyFile), Meter1);
        var now = DateTimeOffset.UtcNow;
        var e = new MeterEvent(Meter1, MeterEventCode.PowerDown, eventId, 1, now, now, 4200, -70, 0x8000_0000u);
        return MeterFrameWriter.Post(type, mid, [0x42], MeterFrameWriter.Apdu(e, Title1, counter, keys));
    }

    [Fact]
    public async Task ConfirmableEvent_IsAcknowledged204_AfterItIsInTheJournal()
    {
        var answer = await Exchange(PowerDownFrame(CoapType.Confirmable, 0x1234, counter: 1, eventId: 7));

        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(answer, out var view));
        Assert.Equal(CoapType.Acknowledgement, view.Type);
        Assert.Equal(CoapCode.Changed, view.Code);
        Assert.Equal(0x1234, view.MessageId);
        Assert.Equal([0x42], view.Token.ToArray());

        // Acknowledged means durable: the event is in the journal already.
        var journal = _host.Get<EventStore>().Journal.ReadAll();
        Assert.Contains(journal.Records, r => r.Event.MeterId == Meter1 && r.Event.EventId == 7);
        Assert.Equal(1, _host.Get<IngestStats>().Snapshot().Accepted);
    }

    [Fact]
    public async Task EmptyConfirmable_Ping_GetsResetWithTheSameMessageId()
    {
        byte[] ping = [0x40, 0x00, 0xAB, 0xCD]; // CON, TKL 0, code 0.00, MID 0xABCD (RFC 7252 §4.3)

        var answer = await Exchange(ping);

        Assert.Equal([0x70, 0x00, 0xAB, 0xCD], answer);
    }

    [Fact]
    public async Task BackToBackFramesOfOneMeter_FromOneGateway_AreAcceptedInOrderWithoutFalseReplays()
    {
        // Counters strictly increase; any reordering inside the head-end would reject the later-processed
        // earlier frame as a replay (wire-format.md §2).
        const int frames = 1000;
        for (uint i = 1; i <= frames; i++)
        {
            await _udp.SendAsync(PowerDownFrame(CoapType.NonConfirmable, (ushort)i, counter: i, eventId: i));
        }

        // The CON after them is acknowledged only once it is journaled, behind every NON of this gateway.
        var answer = await Exchange(PowerDownFrame(CoapType.Confirmable, frames + 1, counter: frames + 1, eventId: frames + 1));

        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(answer, out var view));
        Assert.Equal(CoapCode.Changed, view.Code);
        var s = _host.Get<IngestStats>().Snapshot();
        Assert.Equal((frames + 1L, frames + 1L), (s.Received, s.Accepted));
        Assert.DoesNotContain(s.Rejected, r => r.Value > 0);
    }

    [Fact]
    public async Task ReplayedCounter_WithANewEvent_Gets401_AndIsLogged()
    {
        await Exchange(PowerDownFrame(CoapType.Confirmable, 1, counter: 5, eventId: 1));

        var answer = await Exchange(PowerDownFrame(CoapType.Confirmable, 2, counter: 5, eventId: 2));

        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(answer, out var view));
        Assert.Equal(CoapCode.Unauthorized, view.Code);
        Assert.Equal(1, _host.Get<IngestStats>().Snapshot().Rejected["ERR_REPLAY"]);
        var log = _host.Get<EventProcessorLog>();
        await log.FlushAsync();
        Assert.Contains(File.ReadLines(log.FilePath), l => l.Contains(" ERR_REPLAY ", StringComparison.Ordinal) && l.Contains("meter=M1", StringComparison.Ordinal));
    }
}

/// <summary>libcoap's coap-client, an implementation nobody here wrote, posting to the running head-end.</summary>
public sealed class LibcoapInteropTests : IAsyncLifetime
{
    private static readonly Guid Meter2 = Guid.Parse("00000000-0000-4000-8000-000000000002");
    private const ulong Title2 = 0x4F50530000000002UL;
    private RunningHost _host = null!;

    public async Task InitializeAsync() => _host = await RunningHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(int ExitCode, string Output)> CoapClient(params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("coap-client-notls", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        System.Diagnostics.Process process;
        try
        {
            process = System.Diagnostics.Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("coap-client-notls is missing: install Debian's libcoap3-bin (test.sh does)", ex);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await output + await error);
        }
    }

    private string WriteApdu(uint counter, uint eventId)
    {
        var keys = MeterKeys.Derive(File.ReadAllBytes(_host.KeyFile), Meter2);
        var now = DateTimeOffset.UtcNow;
        var e = new MeterEvent(Meter2, MeterEventCode.PowerUp, eventId, 1, now, now, 0, -60, 0);
        var path = Path.Combine(_host.Folder.Path, $"apdu-{counter}.bin");
        File.WriteAllBytes(path, MeterFrameWriter.Apdu(e, Title2, counter, keys));
        return path;
    }

    private IReadOnlyList<RecordedEvent> Journaled() => _host.Get<EventStore>().Journal.ReadAll().Records;

    [Fact]
    public async Task CoapClient_PostingAnEncryptedEventAsCon_Gets204AndTheEventIsRecorded()
    {
        var apdu = WriteApdu(counter: 1, eventId: 11);

        var (exit, output) = await CoapClient("-m", "post", "-t", "42", "-f", apdu, "-B", "10", $"coap://127.0.0.1:{_host.UdpPort}/ami/ev");

        Assert.True(exit == 0, $"coap-client exited {exit}: {output}");
        Assert.DoesNotContain("4.0", output, StringComparison.Ordinal);
        Assert.Contains(Journaled(), r => r.Event.MeterId == Meter2 && r.Event.EventId == 11);
    }

    [Fact]
    public async Task CoapClient_BlockWiseWith16ByteBlocks_IsReassembledAndRecorded()
    {
        var apdu = WriteApdu(counter: 2, eventId: 12);

        var (exit, output) = await CoapClient("-m", "post", "-t", "42", "-b", "16", "-f", apdu, "-B", "10", $"coap://127.0.0.1:{_host.UdpPort}/ami/ev");

        Assert.True(exit == 0, $"coap-client exited {exit}: {output}");
        Assert.Contains(Journaled(), r => r.Event.MeterId == Meter2 && r.Event.EventId == 12);
        var stats = _host.Get<IngestStats>().Snapshot();
        Assert.True(stats.Control >= 4, $"a {new FileInfo(apdu).Length}-byte APDU in 16-byte blocks needs 2.31 answers; control = {stats.Control}");
    }

    [Fact]
    public async Task CoapClient_WithATamperedPayload_Gets401()
    {
        var apdu = WriteApdu(counter: 3, eventId: 13);
        var bytes = File.ReadAllBytes(apdu);
        bytes[^1] ^= 0x01; // flip a bit of the GCM tag
        File.WriteAllBytes(apdu, bytes);

        var (_, output) = await CoapClient("-m", "post", "-t", "42", "-f", apdu, "-B", "10", $"coap://127.0.0.1:{_host.UdpPort}/ami/ev");

        Assert.Contains("4.01", output, StringComparison.Ordinal);
        Assert.Equal(1, _host.Get<IngestStats>().Snapshot().Rejected["ERR_AUTH_FAILED"]);
    }
}
