using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using OpsConsole.Console.Server.Hosting;

namespace OpsConsole.Server.Tests;

/// <summary>
/// The real executable: a bad value exits with code 2 and one readable line on stderr (no stack trace, in the log or
/// on stderr), and creates nothing on disk: no data folder, no master key, no database.
/// </summary>
public class ServerProcessStartupTests
{
    private sealed record Outcome(int ExitCode, string Stderr, string Stdout);

    private static async Task<Outcome> RunServer(string workingDirectory, params string[] settings)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "OpsConsole.Console.Server.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", "http://127.0.0.1:0", .. settings])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new Outcome(process.ExitCode, await stderr, await stdout);
    }

    private static void AssertRefusedCleanly(Outcome outcome, string folder, string expected)
    {
        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("OpsConsole cannot start", outcome.Stderr, StringComparison.Ordinal);
        Assert.Contains(expected, outcome.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", outcome.Stderr, StringComparison.Ordinal); // a message, not a stack trace
        Assert.DoesNotContain("   at ", outcome.Stdout, StringComparison.Ordinal); // nor one in the log
        Assert.DoesNotContain("Exception", outcome.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(folder, "data")), "the data folder was created by a refused start: " + string.Join(", ", Directory.GetFileSystemEntries(folder, "*", SearchOption.AllDirectories)));
    }

    [Fact]
    public async Task ServerProcess_WithAnInvalidPort_ExitsWithCode2AndNamesTheKeyOnStderr()
    {
        using var folder = new TempFolder();

        var outcome = await RunServer(folder.Path, "--Hes:Port=70000");

        AssertRefusedCleanly(outcome, folder.Path, "invalid configuration: Hes:Port = 70000: must be a UDP port from 0 to 65535");
    }

    [Fact]
    public async Task ServerProcess_WithAValueThatIsNotANumber_SaysWhichKeyWhatWasGivenAndWhatIsExpected()
    {
        using var folder = new TempFolder();

        var outcome = await RunServer(folder.Path, "--Correlation:RollupFraction=abc");

        AssertRefusedCleanly(outcome, folder.Path, "Correlation:RollupFraction = 'abc': expected a number with a dot for decimals, e.g. 0.5");
        Assert.DoesNotContain("System.Double", outcome.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerProcess_WithAnInvalidNetworkFile_CreatesNoDataFolderNoKeyNoDatabase()
    {
        using var folder = new TempFolder();
        var network = SmallNetwork.WriteTo(folder.Path, "bad.geojson", SmallNetwork.GeoJson.Replace("\"parent\":\"S1\"", "\"parent\":\"S404\"", StringComparison.Ordinal));

        var outcome = await RunServer(folder.Path, $"--Topology:File={network}");

        AssertRefusedCleanly(outcome, folder.Path, $"Topology:File = '{network}': the network file is invalid (1 errors); nothing was stored");
        Assert.Contains("S404", outcome.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// Values that used to be checked only while the host started (after the data folder and the master key were made),
    /// or while it was built, with the host's "Hosting failed to start" stack trace in the log or .NET's on stderr.
    /// </summary>
    [Theory]
    [InlineData("--Verification:ChronicClears=-1", "invalid configuration: Verification:ChronicClears = -1: must be from 1 to 1000")]
    [InlineData("--Verification:ChronicClears=abc", "invalid configuration: Verification:ChronicClears = 'abc': expected a whole number")]
    [InlineData("--urls=notaurl", "invalid configuration: urls = 'notaurl': expected an address to listen on")]
    [InlineData("--Logging:LogLevel:Default=Loud", "invalid configuration: Logging:LogLevel:Default = 'Loud': expected one of Trace, Debug")]
    public async Task ServerProcess_WithAValueCheckedAtStartOrBuild_ExitsWithCode2OneLineAndNothingOnDisk(string setting, string expected)
    {
        using var folder = new TempFolder();

        var outcome = await RunServer(folder.Path, "--Hes:Port=0", setting);

        AssertRefusedCleanly(outcome, folder.Path, expected);
        Assert.Single(outcome.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task ServerProcess_WithADataFolderThatCannotBeMade_NamesStoragePath_WithoutAStackTrace()
    {
        using var folder = new TempFolder();
        var blocker = Path.Combine(folder.Path, "a-file");
        File.WriteAllText(blocker, "not a folder");
        var storage = Path.Combine(blocker, "data"); // under a file: cannot be made

        var outcome = await RunServer(folder.Path, "--Hes:Port=0", $"--Storage:Path={storage}");

        AssertRefusedCleanly(outcome, folder.Path, $"Storage:Path = '{storage}': cannot be used (");
    }

    [Fact]
    public async Task ServerProcess_WhenItsHttpPortIsTaken_SaysSoInOneLine_WithoutAStackTrace()
    {
        using var folder = new TempFolder();
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        int port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;

        var outcome = await RunServer(folder.Path, "--Hes:Port=0", $"--urls=http://127.0.0.1:{port}");

        // Not a bad value: the data folder of a valid configuration may have been made before the port was tried.
        Assert.Equal(2, outcome.ExitCode);
        Assert.Equal($"OpsConsole cannot start: urls: Failed to bind to address http://127.0.0.1:{port}: address already in use. Another process listens there: give a free port (--urls or Kestrel:Endpoints).",
            outcome.Stderr.Trim());
        Assert.DoesNotContain("   at ", outcome.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Hosting failed to start", outcome.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", outcome.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownKeysInTheConsolesSections_AreWarnedAboutWithTheKeysTheSectionHas()
    {
        var configuration = new ConfigurationBuilder().AddCommandLine(["--Hes:Prot=5684", "--Api:Keys:0:Rol=admin", "--Logging:Whatever=1", "--Hes:Port=5684"]).Build();

        var result = ConfigurationPreflight.CheckKeys(configuration);

        Assert.Empty(result.Errors);
        Assert.Equal(2, result.Warnings.Count);
        Assert.Contains(result.Warnings, w => w.StartsWith("Hes:Prot: unknown key, ignored (Hes has Port, AllowedGateways, WarmupMs)", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.StartsWith("Api:Keys:0:Rol: unknown key", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--Hes:Port=abc", "Hes:Port = 'abc': expected a whole number")]
    [InlineData("--Hes:Port=", "Hes:Port = '': expected a whole number")]
    [InlineData("--Correlation:RollupFraction=0,5", "Correlation:RollupFraction = '0,5': expected a number with a dot for decimals")]
    [InlineData("--Topology:MaxImportBytes=1e99", "Topology:MaxImportBytes = '1e99': expected a whole number")]
    public void ValuesOfTheWrongType_AreErrorsNamingKeyValueAndType(string setting, string expected)
    {
        var configuration = new ConfigurationBuilder().AddCommandLine([setting]).Build();

        var result = ConfigurationPreflight.CheckKeys(configuration);

        Assert.Contains(result.Errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void TheShippedAppSettings_HaveNoUnknownKeysAndNoErrors()
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build();

        var result = ConfigurationPreflight.CheckKeys(configuration);

        Assert.Empty(result.Errors);
        Assert.Empty(result.Warnings);
    }
}
