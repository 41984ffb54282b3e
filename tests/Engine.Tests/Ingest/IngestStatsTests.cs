using System.Net;
using OpsConsole.Engine.Ingest;

namespace OpsConsole.Engine.Tests.Ingest;

public class IngestStatsTests
{
    private static readonly IPAddress GatewayA = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress GatewayB = IPAddress.Parse("127.0.0.3");

    [Fact]
    public void Counters_UnderConcurrentUpdates_AddUpExactly()
    {
        var stats = new IngestStats();
        const int PerThread = 100_000;

        Parallel.For(0, 4, t =>
        {
            var gateway = t % 2 == 0 ? GatewayA : GatewayB;
            for (int i = 0; i < PerThread; i++)
            {
                stats.Received(gateway);
                switch (i % 4)
                {
                    case 0: stats.Accepted(); break;
                    case 1: stats.Duplicate(); break;
                    case 2: stats.Rejected(gateway, RejectReason.ERR_REPLAY); break;
                    default: stats.Control(); break;
                }
            }
        });

        var s = stats.Snapshot();
        Assert.Equal(4 * PerThread, s.Received);
        Assert.Equal(s.Received, s.Accepted + s.Duplicates + s.RejectedTotal + s.Control);
        Assert.Equal(PerThread, s.Rejected["ERR_REPLAY"]);
        Assert.Equal(2 * PerThread, s.Gateways["127.0.0.2"].Received);
        Assert.Equal(PerThread / 2, s.Gateways["127.0.0.3"].Rejected);
    }

    [Fact]
    public void Snapshot_ListsEveryReasonAndFlag_EvenAtZero()
    {
        var s = new IngestStats().Snapshot();

        Assert.Equal(Enum.GetNames<RejectReason>().Order(), s.Rejected.Keys.Order());
        Assert.Equal(["0x04F", "0x092", "ST_SIGNAL_LOW"], s.Flagged.Keys.Order());
        Assert.All(s.Rejected.Values, v => Assert.Equal(0, v));
    }

    [Fact]
    public void LowSignalFlag_IsCountedPerGateway()
    {
        var stats = new IngestStats();
        stats.Received(GatewayA);
        stats.Flagged(GatewayA, FlagCode.SignalLow);
        stats.Flagged(GatewayA, FlagCode.CapacitorLow);

        var s = stats.Snapshot();

        Assert.Equal(1, s.Gateways["127.0.0.2"].LowSignal);
        Assert.Equal(1, s.Flagged["ST_SIGNAL_LOW"]);
        Assert.Equal(1, s.Flagged["0x04F"]);
    }
}
