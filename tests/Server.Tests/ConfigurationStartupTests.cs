using Microsoft.Extensions.Options;
using OpsConsole.Console.Server.Hosting;
using OpsConsole.Engine.Topology;

namespace OpsConsole.Server.Tests;

/// <summary>A bad configuration value stops the host at start with a message naming key and value.</summary>
public class ConfigurationStartupTests
{
    private static async Task<string> StartFailureMessage(string folder, params string[] settings)
    {
        string[] args = ["--urls=http://127.0.0.1:0", $"--Storage:Path={folder}", "--Hes:Port=0", TempFolder.KeyFileArg(), .. settings];
        await using var app = ConsoleHost.Build(args);
        var ex = await Record.ExceptionAsync(() => app.StartAsync());
        Assert.NotNull(ex);
        var message = ConsoleHost.DescribeStartupFailure(ex);
        Assert.True(message is not null, $"not described as a start-up failure: {ex}");
        return message;
    }

    [Theory]
    [InlineData("--Hes:Port=70000", "Hes:Port = 70000")]
    [InlineData("--Hes:Port=-1", "Hes:Port = -1")]
    [InlineData("--Hes:AllowedGateways:0=10.0.0.0/33", "Hes:AllowedGateways:0 = '10.0.0.0/33'")]
    [InlineData("--Hes:AllowedGateways:1=not-a-range", "Hes:AllowedGateways:1 = 'not-a-range'")]
    [InlineData("--Validation:ClockToleranceMs=-5", "Validation:ClockToleranceMs = -5")]
    [InlineData("--Validation:TransitAllowanceMs=-1", "Validation:TransitAllowanceMs = -1")]
    [InlineData("--Correlation:WindowMs=0", "Correlation:WindowMs = 0")]
    [InlineData("--Hes:WarmupMs=-1", "Hes:WarmupMs = -1")]
    [InlineData("--Correlation:WarmupMs=90000", "Correlation:WarmupMs = 90000")]
    [InlineData("--Correlation:CheckpointSeconds=-1", "Correlation:CheckpointSeconds = -1")]
    [InlineData("--Topology:File=/nonexistent/network.geojson", "Topology:File = '/nonexistent/network.geojson'")]
    [InlineData("--Topology:MaxRemovalFraction=1.5", "Topology:MaxRemovalFraction = 1.5")]
    [InlineData("--Topology:MaxRemovalFraction=-0.1", "Topology:MaxRemovalFraction = -0.1")]
    [InlineData("--Topology:MaxImportBytes=0", "Topology:MaxImportBytes = 0")]
    [InlineData("--Map:TileUrl=ftp://tiles/{z}/{x}/{y}.png", "Map:TileUrl = 'ftp://tiles/{z}/{x}/{y}.png'")]
    [InlineData("--Security:MasterKeyFile= ", "Security:MasterKeyFile")]
    [InlineData("--Security:HeadEndSystemTitle=4F5053", "Security:HeadEndSystemTitle = '4F5053'")]
    [InlineData("--MeterClient:MaxConcurrency=0", "MeterClient:MaxConcurrency = 0")]
    [InlineData("--MeterClient:AckTimeoutMs=5", "MeterClient:AckTimeoutMs = 5")]
    [InlineData("--Verification:SampleSize=0", "Verification:SampleSize = 0")]
    [InlineData("--Verification:AutoLevels=Meter,Pole", "Verification:AutoLevels = 'Meter,Pole': 'Pole' is not a level")]
    [InlineData("--Verification:MaxParallel=0", "Verification:MaxParallel = 0")]
    [InlineData("--Verification:RestorationMaxMeters=-1", "Verification:RestorationMaxMeters = -1")]
    [InlineData("--Api:Keys:0:Key=short", "Api:Keys:0:Key: must be at least 16 characters (value not shown)")]
    [InlineData("--Api:Keys:0:Role=root", "Api:Keys:0:Role = 'root'")]
    [InlineData("--Audit:RetentionDays=0", "Audit:RetentionDays = 0")]
    [InlineData("--Retention:EventDays=0", "Retention:EventDays = 0")]
    [InlineData("--Retention:ActionDays=40000", "Retention:ActionDays = 40000")]
    [InlineData("--Retention:ActionDays=30", "Retention:ActionDays = 30: must be at least Retention:EventDays (400)")]
    public async Task Start_WithAnInvalidValue_FailsNamingKeyAndValue(string setting, string expected)
    {
        using var folder = new TempFolder();

        var message = await StartFailureMessage(folder.Path, setting);

        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithAValueOfTheWrongType_FailsNamingTheKey()
    {
        using var folder = new TempFolder();

        var message = await StartFailureMessage(folder.Path, "--Hes:Port=abc");

        Assert.Contains("Hes:Port", message, StringComparison.Ordinal);
        Assert.Contains("abc", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithTheUdpPortInUse_FailsNamingHesPort()
    {
        using var folder = new TempFolder();
        using var taken = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetworkV6, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp) { DualMode = true };
        taken.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Any, 0));
        int port = ((System.Net.IPEndPoint)taken.LocalEndPoint!).Port;
        string[] args = ["--urls=http://127.0.0.1:0", $"--Storage:Path={folder.Path}", $"--Hes:Port={port}", TempFolder.KeyFileArg()];
        await using var app = ConsoleHost.Build(args);

        var ex = await Record.ExceptionAsync(() => app.StartAsync());

        Assert.NotNull(ex);
        Assert.Contains($"Hes:Port = {port}: cannot listen", ConsoleHost.DescribeStartupFailure(ex), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_OnThePortOfARunningHeadEnd_FailsNamingHesPort()
    {
        // The listener's sockets share their port (SO_REUSEPORT); a second head-end must not join them.
        await using var running = await RunningHost.StartAsync();
        using var folder = new TempFolder();
        string[] args = ["--urls=http://127.0.0.1:0", $"--Storage:Path={folder.Path}", $"--Hes:Port={running.UdpPort}", TempFolder.KeyFileArg()];
        await using var app = ConsoleHost.Build(args);

        var ex = await Record.ExceptionAsync(() => app.StartAsync());

        Assert.NotNull(ex);
        Assert.Contains($"Hes:Port = {running.UdpPort}: cannot listen", ConsoleHost.DescribeStartupFailure(ex), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithAMasterKeyFileOthersCanRead_FailsNamingTheKey()
    {
        using var folder = new TempFolder();
        var keyFile = Path.Combine(folder.Path, "master.key");
        await File.WriteAllBytesAsync(keyFile, new byte[32]);
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        await using var app = ConsoleHost.Build(["--urls=http://127.0.0.1:0", $"--Storage:Path={folder.Path}", "--Hes:Port=0", $"--Security:MasterKeyFile={keyFile}"]);

        var ex = await Record.ExceptionAsync(() => app.StartAsync());

        Assert.NotNull(ex);
        Assert.Contains("Security:MasterKeyFile", ConsoleHost.DescribeStartupFailure(ex), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithSeveralInvalidValues_ReportsThemAll()
    {
        using var folder = new TempFolder();
        await using var app = ConsoleHost.Build(["--urls=http://127.0.0.1:0", $"--Storage:Path={folder.Path}", "--Hes:Port=99999", "--Hes:AllowedGateways:0=x"]);

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Equal(2, ex.Failures.Count());
    }

    [Fact]
    public async Task Start_WithAnInvalidNetworkFile_FailsNamingTheKeyAndTheFindings_AndStoresNothing()
    {
        using var folder = new TempFolder();
        var bad = SmallNetwork.GeoJson.Replace("\"parent\":\"S1\"", "\"parent\":\"NOPE\"", StringComparison.Ordinal);
        var file = SmallNetwork.WriteTo(folder.Path, "bad.geojson", bad);
        var store = Path.Combine(folder.Path, "store");

        var message = await StartFailureMessage(store, $"--Topology:File={file}");

        Assert.Contains($"Topology:File = '{file}'", message, StringComparison.Ordinal);
        Assert.Contains("parent.notFound at feature 'F1'", message, StringComparison.Ordinal);

        // Nothing was stored: a corrected file is taken on the next start.
        var good = SmallNetwork.WriteTo(folder.Path, "good.geojson");
        await using var app = ConsoleHost.Build(["--urls=http://127.0.0.1:0", $"--Storage:Path={store}", "--Hes:Port=0", TempFolder.KeyFileArg(), $"--Topology:File={good}"]);
        await app.StartAsync();
        var state = app.Services.GetRequiredService<TopologyState>();
        Assert.Equal(5, state.Current.MeterCount);
        await app.StopAsync();
    }

    [Fact]
    public async Task Start_WithDefaults_LoadsTheBundledDemoNetwork()
    {
        using var folder = new TempFolder();
        await using var app = ConsoleHost.Build(["--urls=http://127.0.0.1:0", $"--Storage:Path={folder.Path}", "--Hes:Port=0", TempFolder.KeyFileArg()]);

        await app.StartAsync();

        var topology = app.Services.GetRequiredService<TopologyState>().Current;
        Assert.Equal(3890, topology.MeterCount);
        Assert.Equal(818, topology.CountOf(OpsConsole.Gis.Topology.ElementKind.Transformer));
        await app.StopAsync();
    }
}
