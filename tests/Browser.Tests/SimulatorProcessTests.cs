using Xunit.Abstractions;

namespace OpsConsole.Browser.Tests;

/// <summary>
/// ami-test-utility's simulate-outage against the real console process on loopback (the storm and restore
/// commands are driven against a real process by <see cref="DispatcherConsoleTests"/>).
/// </summary>
public sealed class SimulatorProcessTests(DispatcherServer server, ITestOutputHelper output) : IClassFixture<DispatcherServer>
{
    [Fact]
    public async Task SimulateOutage_MappedMeter_PassesEveryStepEndToEnd()
    {
        var (exit, stdout, stderr) = await DispatcherConsoleTests.Simulate(
            ["--simulate-outage", "--id", "ckt24-M-100350100", .. await server.SimulatorOptionsAsync()]);
        output.WriteLine(stdout);

        Assert.True(exit == 0, $"exit {exit}\n{stdout}\n{stderr}");
        Assert.DoesNotContain("FAIL", stdout, StringComparison.Ordinal);
        Assert.Contains("2.04", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SimulateOutage_UnknownMeter_FailsNamingIt()
    {
        var (exit, stdout, stderr) = await DispatcherConsoleTests.Simulate(
            ["--simulate-outage", "--id", "no-such-meter", .. await server.SimulatorOptionsAsync()]);

        Assert.NotEqual(0, exit);
        Assert.Contains("no-such-meter", stdout + stderr, StringComparison.Ordinal);
    }
}
