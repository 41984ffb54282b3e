using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Storage.LiteDb;
using OpsConsole.Engine.Tests.Coap;

namespace OpsConsole.Engine.Tests.Storage;

/// <summary>The ingest's totals outlive a restart: saved every interval and at stop, the baseline of the next start.</summary>
public sealed class IngestTotalsTests : TempFolder
{
    private static readonly IPAddress Gateway = IPAddress.Parse("10.0.0.1");

    [Fact]
    public async Task Totals_SinceTheFirstStart_SurviveARestart_WhileSinceStartFiguresBeginAgain()
    {
        var clock = new ManualTimeProvider();
        using (var lite = new LiteStore(Folder))
        {
            var stats = new IngestStats();
            using var totals = new IngestTotals(stats, new LiteCounterStore(lite), clock, NullLogger<IngestTotals>.Instance);
            int saves = 0;
            totals.Saved += () => saves++;
            await totals.StartAsync(CancellationToken.None);
            stats.Received(Gateway);
            stats.Accepted();
            clock.Advance(IngestTotals.SaveInterval); // saved by the timer
            Assert.Equal(1, saves);
            stats.Received(Gateway);
            stats.Rejected(Gateway, RejectReason.ERR_MALFORMED_COAP);
            await totals.StopAsync(CancellationToken.None); // and at stop
            Assert.Equal(2, saves);
        }

        using (var lite = new LiteStore(Folder))
        {
            var stats = new IngestStats();
            using var totals = new IngestTotals(stats, new LiteCounterStore(lite), clock, NullLogger<IngestTotals>.Instance);
            await totals.StartAsync(CancellationToken.None);
            stats.Received(Gateway);

            var s = stats.Snapshot();
            Assert.Equal(1, s.Received); // since this start
            Assert.Equal(3, s.Totals["received"]);
            Assert.Equal(1, s.Totals["accepted"]);
            Assert.Equal(1, s.Totals["rejected"]);
            Assert.Equal(1, s.Totals["rejected." + nameof(RejectReason.ERR_MALFORMED_COAP)]);
            await totals.StopAsync(CancellationToken.None);
        }
    }
}
