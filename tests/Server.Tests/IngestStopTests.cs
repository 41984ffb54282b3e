using OpsConsole.Engine.Ingest;

namespace OpsConsole.Server.Tests;

/// <summary>The host stops the listener through more than one registration, and a test or a shutdown path may stop it again.</summary>
public sealed class IngestStopTests
{
    [Fact]
    public async Task StopAsync_Again_AfterADisposal_Returns_AndTheSocketStaysClosed()
    {
        await using var host = await RunningHost.StartAsync();
        var ingest = host.Get<UdpIngestService>();
        using var udp = host.Connect();

        await ingest.StopAsync(CancellationToken.None);
        await ingest.DisposeAsync(); // the host disposes it through two registrations
        await ingest.StopAsync(CancellationToken.None); // threw ObjectDisposedException before (its cancellation source was disposed)

        // The listener is gone: a datagram to its port now meets a closed port (ICMP port unreachable).
        await udp.SendAsync(new byte[] { 0x50, 0x02, 0x00, 0x01 });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(async () => await udp.ReceiveAsync(timeout.Token));
    }
}
