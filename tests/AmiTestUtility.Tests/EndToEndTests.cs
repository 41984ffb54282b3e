using System.Diagnostics;
using System.Net;
using System.Text.Json;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;
using OpsConsole.Tools.AmiTestUtility;

namespace OpsConsole.AmiTestUtility.Tests;

/// <summary>Each command of the tool against the real console (in-process host, real UDP and REST).</summary>
public sealed class EndToEndTests : IAsyncLifetime
{
    private ConsoleUnderTest _console = null!;

    public async Task InitializeAsync() => _console = await ConsoleUnderTest.StartAsync();

    public async Task DisposeAsync() => await _console.DisposeAsync();

    private static async Task<string> AMappedMeter()
    {
        var import = await TopologyGeoJsonReader.ReadFileAsync(ConsoleUnderTest.Ckt24);
        return import.Features.First(f => f.Kind == ElementKind.Meter && f.Parent is not null).Id;
    }

    [Fact]
    public async Task SimulateOutage_OfAMappedMeter_PassesEveryStep_AndTheHeadEndShowsTheTestButNoOutage()
    {
        var meter = await AMappedMeter();

        var (exit, output, error) = await ConsoleUnderTest.Run(["--simulate-outage", "--id", meter, .. _console.Common]);

        Assert.True(exit == 0, output + error);
        Assert.Contains("ACK 2.04", output, StringComparison.Ordinal);
        Assert.Contains("round trip", output, StringComparison.Ordinal);
        Assert.DoesNotContain("[FAIL]", output, StringComparison.Ordinal);
        var json = await _console.GetJson($"/api/meters/{meter}");
        Assert.True(json.GetProperty("testResults").GetArrayLength() >= 1);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("outageId").ValueKind);
        Assert.Empty((await _console.GetJson("/api/outages?state=active")).EnumerateArray());

        // A second run seconds later is accepted too: counters come from the clock, not from a fresh 1.
        var again = await ConsoleUnderTest.Run(["--simulate-outage", "--id", meter, .. _console.Common]);
        Assert.True(again.Exit == 0, again.Out + again.Err);
    }

    [Fact]
    public async Task SimulateOutage_OfAnUnknownMeter_FailsWithAMessageNamingIt()
    {
        var (exit, output, error) = await ConsoleUnderTest.Run(["--simulate-outage", "--id", "no-such-meter", .. _console.Common]);

        Assert.Equal(2, exit);
        Assert.Contains("unknown meter 'no-such-meter'", error, StringComparison.Ordinal);
        Assert.Empty(output);
    }

    [Fact]
    public async Task SimulateOutage_AgainstAClosedPort_IsReportedQuickly_NotHungOn()
    {
        var meter = await AMappedMeter();
        using var probe = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        int closed = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        probe.Dispose(); // nothing listens there now: the kernel answers ICMP port unreachable

        var sw = Stopwatch.StartNew();
        var (exit, output, _) = await ConsoleUnderTest.Run(["--simulate-outage", "--id", meter, .. _console.Common, "--port", closed.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

        Assert.Equal(1, exit);
        Assert.Contains("ICMP port unreachable", output, StringComparison.Ordinal);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"took {sw.Elapsed}");
    }

    [Theory]
    [InlineData(7)]
    [InlineData(11)]
    [InlineData(23)]
    public async Task Storm_WithQuarterLoss_ScoresPrecisionAndRecallOne_AndRestoreClosesItsOutages(int seed)
    {
        var truth = Path.Combine(_console.Folder, "truth.json");

        var storm = await ConsoleUnderTest.Run(["storm", "--random-faults", "4", "--loss", "0.25", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--spread-ms", "300",
            "--window-ms", ConsoleUnderTest.WindowMs.ToString(System.Globalization.CultureInfo.InvariantCulture), "--settle-ms", "20000",
            "--ack-timeout-ms", "1000", "--truth", truth, "--score", .. _console.Common]);

        Assert.True(storm.Exit == 0, storm.Out + storm.Err);
        Assert.Contains("precision 1.000", storm.Out, StringComparison.Ordinal);
        Assert.Contains("recall 1.000", storm.Out, StringComparison.Ordinal);
        Assert.Contains("wrong customer counts 0", storm.Out, StringComparison.Ordinal);
        var written = GroundTruth.Read(truth, "test");
        Assert.Equal(4, written.Faults.Count);
        Assert.NotEmpty(written.Expected);

        var restore = await ConsoleUnderTest.Run(["restore", "--truth", truth, "--ack-timeout-ms", "1000", .. _console.Common]);

        Assert.True(restore.Exit == 0, restore.Out + restore.Err);
        // Restoration is asynchronous (correlation loop after the journal): poll the API with a deadline.
        var deadline = Stopwatch.StartNew();
        int active;
        do
        {
            active = (await _console.GetJson("/api/outages?state=active")).GetArrayLength();
        }
        while (active > 0 && deadline.Elapsed < TimeSpan.FromSeconds(15) && await Task.Delay(100).ContinueWith(_ => true));

        Assert.Equal(0, active);
        var all = await _console.GetJson("/api/outages?state=all");
        Assert.Contains(all.EnumerateArray(), o => o.GetProperty("state").GetString() is "Restored" or "Momentary");
    }
}

/// <summary>Simulated live meters: pings reach the live ones and time out on the dead ones.</summary>
public sealed class MeterFleetTests
{
    [Fact]
    public async Task Ping_ReachesLiveMeters_ReadsTheirConfig_AndTimesOutOnDeadOnes()
    {
        await using var fleet = MeterFleet.Start(count: 12, dead: 0.3, misconfigured: 0.3, port: 15683 + Random.Shared.Next(1000), seed: 3);
        Assert.Contains(fleet.Meters, m => m.Dead);
        Assert.Contains(fleet.Meters, m => m.Misconfigured);
        Assert.Equal(12, fleet.Meters.Select(m => m.EndPoint).Distinct().Count());

        foreach (var m in fleet.Meters)
        {
            var sw = Stopwatch.StartNew();
            var r = await PingCommand.PingAsync(m.EndPoint, TimeSpan.FromMilliseconds(100), maxRetransmit: 1, CancellationToken.None);
            if (m.Dead)
            {
                Assert.False(r.Alive);
                Assert.Equal(ExchangeOutcome.TimedOut, r.Ping.Outcome);
                Assert.Equal(2, r.Ping.Transmissions);
                Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2));
            }
            else
            {
                Assert.True(r.Alive, r.Describe());
                Assert.Equal(m.Misconfigured ? "0" : "1", r.Config!["EVENT_PRIORITY_OUTAGE"]);
                Assert.Equal("2000", r.Config["MIN_DISCHARGE_TIME"]);
            }
        }
    }

    [Fact]
    public async Task PingCommand_PrintsEachAttemptAndAVerdict_DeadAndMisconfiguredExitNonZero()
    {
        await using var fleet = MeterFleet.Start(count: 12, dead: 0.3, misconfigured: 0.3, port: 15683 + Random.Shared.Next(2000, 3000), seed: 3);
        var dead = fleet.Meters.First(m => m.Dead).EndPoint.ToString();
        var bad = fleet.Meters.First(m => m.Misconfigured).EndPoint.ToString();
        var live = fleet.Meters.First(m => !m.Dead && !m.Misconfigured).EndPoint.ToString();

        var deadRun = await ConsoleUnderTest.Run("ping", "--meter", dead, "--ack-timeout-ms", "100", "--max-retransmit", "1");
        var badRun = await ConsoleUnderTest.Run("ping", "--meter", bad, "--ack-timeout-ms", "100", "--max-retransmit", "1");
        var liveRun = await ConsoleUnderTest.Run("ping", "--meter", live, "--ack-timeout-ms", "100", "--max-retransmit", "1");

        Assert.Equal(1, deadRun.Exit);
        Assert.Contains($"{dead}: ping, 2 transmission(s) at most, no answer within 0.5 s means dead", deadRun.Out, StringComparison.Ordinal);
        Assert.Contains($"{dead}:   attempt 1/2: empty CON sent", deadRun.Out, StringComparison.Ordinal);
        Assert.Contains($"{dead}:   attempt 2/2: empty CON sent", deadRun.Out, StringComparison.Ordinal);
        Assert.Contains($"{dead}: DEAD: no answer after 2 transmission(s)", deadRun.Out, StringComparison.Ordinal);

        Assert.Equal(1, badRun.Exit);
        Assert.Contains($"{bad}: MISCONFIGURED", badRun.Out, StringComparison.Ordinal);
        Assert.Contains("EVENT_PRIORITY_OUTAGE=0: it will never send a last gasp", badRun.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("alive", badRun.Out, StringComparison.Ordinal);

        Assert.True(liveRun.Exit == 0, liveRun.Out);
        Assert.Contains($"{live}: alive (RST in", liveRun.Out, StringComparison.Ordinal);
        Assert.Contains($"{live}:   attempt 1/2", liveRun.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetersCommand_PrintsItsEndpoints_AndStopsAfterItsDuration()
    {
        var port = (15683 + Random.Shared.Next(1000, 2000)).ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (exit, output, error) = await ConsoleUnderTest.Run("meters", "--count", "3", "--dead", "0", "--meter-port", port, "--duration", "1");

        Assert.True(exit == 0, error);
        Assert.Contains($"coap://127.77.0.1:{port} live", output, StringComparison.Ordinal);
        Assert.Contains("3 meters listening", output, StringComparison.Ordinal);
    }
}
