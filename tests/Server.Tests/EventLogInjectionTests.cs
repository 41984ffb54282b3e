using System.Net.Sockets;
using System.Text.RegularExpressions;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Protocols.Coap;

namespace OpsConsole.Server.Tests;

/// <summary>A datagram whose Uri-Path carries a forged event-log line, over real UDP into the running host.</summary>
public sealed partial class EventLogInjectionTests : IAsyncLifetime
{
    private const string Forged = "2026-11-24T18:03:11.420Z ERR_REPLAY src=10.9.9.9:5683 meter=M1 ic=1 highest=2";
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

    [Fact]
    public async Task UriPathWithANewLineAndAForgedLine_IsOneLogLine_WithTheTextEscaped()
    {
        var log = _host.Get<EventProcessorLog>();
        await log.FlushAsync();
        var before = File.Exists(log.FilePath) ? File.ReadAllLines(log.FilePath) : []; // created with its first line

        var datagram = new byte[512];
        var writer = new CoapWriter(datagram);
        Assert.True(writer.TryWriteHeader(CoapType.Confirmable, CoapCode.Post, 0x0BAD, [0x01])
            && writer.TryWriteStringOption(CoapOptionNumber.UriPath, "ami")
            && writer.TryWriteStringOption(CoapOptionNumber.UriPath, "x\n" + Forged + "\r\n" + Forged + "\u2028é"));
        await _udp.SendAsync(datagram.AsMemory(0, writer.Written));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var answer = (await _udp.ReceiveAsync(timeout.Token)).Buffer;
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(answer, out var view));
        Assert.Equal(CoapCode.NotFound, view.Code);

        await log.FlushAsync();
        var added = File.ReadAllLines(log.FilePath)[before.Length..];
        string line = Assert.Single(added);
        Assert.Matches(LineStart(), line);
        Assert.Contains(@" ERR_NOT_FOUND src=127.0.0.1:", line, StringComparison.Ordinal);
        string escaped = Forged.Replace(" ", @"\x20", StringComparison.Ordinal);
        Assert.True(line.EndsWith(@" meter=- method=0.02 path=/ami/x\x0A" + escaped + @"\x0D\x0A" + escaped + @"\xE2\x80\xA8\xC3\xA9", StringComparison.Ordinal), line);
        Assert.DoesNotContain(" ERR_REPLAY ", line, StringComparison.Ordinal); // a grep for the code finds no forged line
        Assert.DoesNotContain(File.ReadAllLines(log.FilePath), l => l.StartsWith(Forged[..24], StringComparison.Ordinal));
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ERR_NOT_FOUND src=")]
    private static partial Regex LineStart();
}
