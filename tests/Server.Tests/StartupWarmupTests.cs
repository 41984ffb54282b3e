using System.Net.Sockets;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Ingest.Processing;
using OpsConsole.Engine.Protocols;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Server.Tests;

/// <summary>
/// The start-up warm-ups (Hes:WarmupMs, Correlation:WarmupMs) run the real paths on synthetic meters: they must do
/// work, and none of it may reach what an operator sees — counters, journal, store, outages — while the listener
/// then works as usual.
/// </summary>
public sealed class StartupWarmupTests
{
    private static readonly Guid Meter1 = Guid.Parse("00000000-0000-4000-8000-000000000001");
    private const ulong Title1 = 0x4F50530000000001UL;

    [Fact]
    public async Task IngestWarmup_ProcessesSyntheticDatagrams_AndLeavesNoFolderBehind()
    {
        using var scratch = new TempFolder();

        var result = await IngestWarmup.RunAsync(new ValidationOptions(), TimeSpan.FromMilliseconds(400), scratch.Path);

        Assert.True(result.Rounds >= 1);
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch.Path));
    }

    [Fact]
    public void CorrelationWarmup_LivesThroughItsStorms_OnAnyWindowSettings()
    {
        var result = CorrelationWarmup.Run(new CorrelationOptions { WindowMs = 100, QualifyMs = 0, NestedMs = 0 }, TimeSpan.FromMilliseconds(200));

        Assert.True(result.Rounds >= 1);
    }

    [Fact]
    public async Task AHostThatWarmedUp_ShowsNothingOfIt_AndRecordsTheFirstRealDatagram()
    {
        await using var host = await RunningHost.StartAsync("--Hes:WarmupMs=300", "--Correlation:WarmupMs=300");

        // Nothing of the synthetic meters: no counters, no journal records, no outages.
        var stats = host.Get<IngestStats>().Snapshot();
        Assert.Equal((0L, 0L), (stats.Received, stats.Accepted));
        Assert.Empty(host.Get<EventStore>().Journal.ReadAll().Records);
        Assert.Empty(host.Get<CorrelationService>().Current.All);

        using var udp = host.Connect();
        var keys = MeterKeys.Derive(File.ReadAllBytes(host.KeyFile), Meter1);
        var now = DateTimeOffset.UtcNow;
        var e = new MeterEvent(Meter1, MeterEventCode.PowerDown, 1, 1, now, now, 4200, -70, 0x8000_0000u);
        await udp.SendAsync(MeterFrameWriter.Post(CoapType.Confirmable, 7, [0x42], MeterFrameWriter.Apdu(e, Title1, 1, keys)));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var answer = await udp.ReceiveAsync(timeout.Token);

        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(answer.Buffer, out var view));
        Assert.Equal(CoapCode.Changed, view.Code);
        Assert.Equal(1, host.Get<IngestStats>().Snapshot().Accepted);
        Assert.Single(host.Get<EventStore>().Journal.ReadAll().Records);
    }
}
