using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace OpsConsole.Browser.Tests;

/// <summary>
/// What a browser test keeps besides its assertions: errors the pages reported (uncaught exceptions, console.error),
/// screenshots under artifacts/screenshots, and on failure the pages' errors and the server's log in the test output.
/// </summary>
public sealed class PageDiagnostics(ITestOutputHelper output, ServerProcess server)
{
    private readonly ConcurrentQueue<string> _errors = new(); // filled from Playwright's event thread

    public void Watch(IPage page, string name)
    {
        page.PageError += (_, e) => _errors.Enqueue($"{name} pageerror: {e}");
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                _errors.Enqueue($"{name} console.error: {m.Text}");
            }
        };
    }

    public async Task Screenshot(IPage page, string name)
    {
        var directory = Path.Combine(ServerProcess.RepoRoot, "artifacts", "screenshots");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine("Screenshot: " + path);
    }

    public void AssertNoPageErrors() => Assert.True(_errors.IsEmpty, "The page reported errors:\n" + string.Join("\n", _errors));

    /// <summary>
    /// Runs a test body; on failure, writes what the browser and the server said to the test output, then runs
    /// <paramref name="cleanup"/> (e.g. power a storm's meters back up for the next test of the class).
    /// </summary>
    public async Task Run(Func<Task> body, Func<Task>? cleanup = null)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await body();
        }
        catch
        {
            output.WriteLine($"Failed after {clock.Elapsed.TotalSeconds:0.0} s. Page errors:\n" + string.Join("\n", _errors));
            output.WriteLine("Server log:\n" + server.Log);
            if (cleanup is not null)
            {
                await cleanup();
            }

            throw;
        }
    }
}
