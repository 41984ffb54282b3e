using System.Diagnostics;

namespace OpsConsole.Server.Tests;

/// <summary>The real executable: a bad value exits non-zero with one readable line on stderr.</summary>
public class ServerProcessStartupTests
{
    [Fact]
    public async Task ServerProcess_WithAnInvalidPort_ExitsWithCode2AndNamesTheKeyOnStderr()
    {
        using var folder = new TempFolder();
        var dll = Path.Combine(AppContext.BaseDirectory, "OpsConsole.Console.Server.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", "http://127.0.0.1:0"])
        {
            WorkingDirectory = folder.Path,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.Environment["Hes__Port"] = "70000";

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(2, process.ExitCode);
        var error = await stderr;
        Assert.Contains("OpsConsole cannot start", error, StringComparison.Ordinal);
        Assert.Contains("Hes:Port = 70000", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal); // a message, not a stack trace
        _ = await stdout;
    }
}
