using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;
using OpsConsole.Tools.AmiTestUtility;

namespace OpsConsole.AmiTestUtility.Tests;

/// <summary>Bad command lines: a clear message on stderr and exit code 2, before anything is sent.</summary>
public sealed class ArgumentTests
{
    [Theory]
    [InlineData(new string[0], "usage")]
    [InlineData(new[] { "explode" }, "unknown command 'explode'")]
    [InlineData(new[] { "--simulate-outage" }, "--id is required")]
    [InlineData(new[] { "--simulate-outage", "--id" }, "--id needs a value")]
    [InlineData(new[] { "--simulate-outage", "--id", "M1", "--port", "70000", "--api-key", "k" }, "--port = '70000'")]
    [InlineData(new[] { "--simulate-outage", "--id", "M1", "--api", "ftp://x", "--api-key", "k" }, "--api = 'ftp://x'")]
    [InlineData(new[] { "--simulate-outage", "--id", "M1" }, "no API key")]
    [InlineData(new[] { "storm", "--loss", "abc" }, "--loss = 'abc'")]
    [InlineData(new[] { "storm", "--frobnicate", "1" }, "unknown option --frobnicate")]
    [InlineData(new[] { "storm", "--seed", "1" }, "nothing fails")]
    [InlineData(new[] { "storm", "--random-faults", "1", "--topology", "/no/such.geojson" }, "--topology = '/no/such.geojson': no such file")]
    [InlineData(new[] { "restore" }, "--truth is required")]
    [InlineData(new[] { "meters" }, "--count N is required")]
    [InlineData(new[] { "meters", "--count", "3", "--dead", "2" }, "--dead = '2'")]
    [InlineData(new[] { "ping", "--meter", "nowhere" }, "expected address:port")]
    public async Task BadArguments_ExitWithCode2_AndAMessage(string[] args, string message)
    {
        var (exit, _, error) = await ConsoleUnderTest.Run(args);

        Assert.Equal(2, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void CountersOfLaterRuns_AreAboveEveryCounterOfAnEarlierRun()
    {
        var t = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
        Assert.True(RunCounter.BaseFor(t.AddSeconds(1)) >= RunCounter.BaseFor(t) + RunCounter.PerRun);
        Assert.True(RunCounter.BaseFor(new DateTimeOffset(2032, 1, 1, 0, 0, 0, TimeSpan.Zero)) > RunCounter.BaseFor(t));
    }
}

/// <summary>Storm planning, the outage predictor and scoring, on ckt24 without any socket.</summary>
public sealed class StormPlanningTests
{
    private static readonly Lazy<NetworkTopology> Ckt24 = new(() =>
        NetworkTopology.Build(TopologyGeoJsonReader.ReadFileAsync(ConsoleUnderTest.Ckt24).GetAwaiter().GetResult().Features, keepExtraProperties: false));

    [Fact]
    public void TheSameSeed_GivesTheSameStorm_AndAnotherSeedAnother()
    {
        var s = new StormSettings { Seed = 42, RandomFaults = 5, Loss = 0.25 };

        var a = StormPlanner.Plan(Ckt24.Value, s);
        var b = StormPlanner.Plan(Ckt24.Value, s);
        var c = StormPlanner.Plan(Ckt24.Value, s with { Seed = 43 });

        Assert.Equal(a.Messages, b.Messages);
        Assert.Equal(a.Expected, b.Expected);
        Assert.NotEqual(a.FailedElements, c.FailedElements);
    }

    [Fact]
    public void RandomFaults_AreDisjoint_CoverSeveralLevels_AndWithoutLossAreExactlyTheExpectedOutages()
    {
        var net = Ckt24.Value;
        var plan = StormPlanner.Plan(net, new StormSettings { Seed = 5, RandomFaults = 6, Drift = 0, Duplicates = 0 });

        Assert.Equal(6, plan.Faults.Count);
        Assert.Contains(plan.Faults, f => f.Level == "Device");
        Assert.Contains(plan.Faults, f => f.Level == "Transformer");
        var meters = plan.Faults.SelectMany(f => f.Meters).ToList();
        Assert.Equal(meters.Count, meters.Distinct().Count());
        Assert.Equal(plan.Faults.Select(f => (f.Level, f.ElementId, f.Customers)).Order(), plan.Expected.Select(e => (e.Level, e.DeviceId, e.Customers)).Order());
        Assert.Equal(meters.Count, plan.Messages.Count(m => m.Kind == MessageKind.LastGasp));
    }

    [Fact]
    public void Noise_ComesFromHealthyMeters_AndLossOnlyDropsLastGasps()
    {
        var net = Ckt24.Value;
        var plan = StormPlanner.Plan(net, new StormSettings { Seed = 9, RandomFaults = 3, Loss = 0.5, Rogue = 4, Tests = 4, Unmapped = 2 });
        var failed = plan.Faults.SelectMany(f => f.Meters).ToHashSet();

        Assert.All(plan.Messages.Where(m => m.Kind is MessageKind.Rogue or MessageKind.Test), m => Assert.DoesNotContain(net[m.Meter].Id, failed));
        Assert.All(plan.Messages.Where(m => m.Kind is MessageKind.Test or MessageKind.Rogue or MessageKind.Unmapped), m => Assert.False(m.Lost));
        Assert.Contains(plan.Messages, m => m.Lost);
        Assert.Equal(plan.Messages.OrderBy(m => m.OffsetMs), plan.Messages);
    }

    [Fact]
    public void Predictor_OneGaspOfSeveral_IsAMeterOutage_TwoAreTheTransformer()
    {
        var net = Ckt24.Value;
        int tx = Enumerable.Range(0, net.ElementCount).First(e => net.KindOf(e) == ElementKind.Transformer && net.MeterCountBelow(e) >= 3);
        var meters = net.MetersBelow(tx).ToArray();

        var one = OutagePredictor.Predict(net, [meters[0]]);
        var two = OutagePredictor.Predict(net, [meters[0], meters[1]]);

        Assert.Equal([new ExpectedOutage("Meter", net[meters[0]].Id, 1)], one);
        Assert.Equal([new ExpectedOutage("Transformer", net[tx].Id, meters.Length)], two);
    }

    [Fact]
    public void Score_CountsMatches_Misses_SpuriousAndWrongCustomers()
    {
        ExpectedOutage[] expected = [new("Device", "D1", 40), new("Transformer", "T1", 3), new("Meter", "M7", 1)];
        ApiOutage[] reported = [new("o1", "Device", "D1", "Suspected", 40, 30), new("o2", "Transformer", "T1", "Suspected", 4, 2), new("o3", "Transformer", "T9", "Suspected", 2, 2)];

        var s = Score.Compute(expected, reported);

        Assert.Equal(2, s.Matched);
        Assert.Equal(2.0 / 3, s.Precision, 6);
        Assert.Equal(2.0 / 3, s.Recall, 6);
        Assert.Equal(1, s.WrongCustomers);
        Assert.Equal("M7", Assert.Single(s.Missed).DeviceId);
        Assert.Equal("T9", Assert.Single(s.Spurious).DeviceId);
        Assert.Equal(1, Score.Compute([], []).Precision);
    }

    [Fact]
    public void StormScore_LeavesOutOutagesOpenBeforeTheStorm_UnlessTheStormExpectsOneThere()
    {
        ExpectedOutage[] expected = [new("Device", "D1", 40), new("Transformer", "T1", 3)];
        ApiOutage[] before = [new("O-1", "Transformer", "T77", "Confirmed", 5, 5), new("O-2", "Device", "D1", "Confirmed", 10, 4)];
        ApiOutage[] now = [before[0], before[1] with { Meters = 40 }, new("O-3", "Transformer", "T1", "Suspected", 3, 2)];

        var own = StormCommand.StormOwn(now, before, expected);
        var s = Score.Compute(expected, own);

        Assert.Equal(["O-2", "O-3"], own.Select(o => o.Id));
        Assert.Equal(1, s.Precision);
        Assert.Equal(1, s.Recall);
        Assert.True(Score.Compute(expected, now).Precision < 1); // scored on everything open (T77 too), it would have FAILED
    }
}

/// <summary>The real executable: what an operator's shell sees.</summary>
public sealed class ProcessTests
{
    [Fact]
    public async Task TheExecutable_WithABadOption_ExitsWith2_AndOneLineOnStderr()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "ami-test-utility.dll");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [dll, "storm", "--random-faults", "x"]) { RedirectStandardError = true, RedirectStandardOutput = true };

        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(2, process.ExitCode);
        Assert.Equal("ami-test-utility: storm: --random-faults = 'x': expected a whole number from 0 to 10000", (await stderr).Trim());
        Assert.Empty(await stdout);
    }
}
