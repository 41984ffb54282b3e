using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace OpsConsole.Browser.Tests;

/// <summary>
/// The real console server as a child process: the dll this test assembly was built against
/// (same Configuration), on a free loopback port, with a fresh temporary working directory so
/// that its store (Storage:Path), keys and logs never touch the repository. Ready once it has
/// logged the address it listens on and answered GET /healthz with 200; killed (whole tree) on dispose.
/// A derived fixture can add settings (environment variables) for its own server, see <see cref="DispatcherServer"/>.
/// </summary>
public partial class ServerProcess : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly StringBuilder _log = new();
    private TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<int> _udpPort = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<string, IReadOnlyDictionary<string, string>> _environment;
    private Process? _process;
    private string? _workDirectory;

    public ServerProcess()
        : this(_ => new Dictionary<string, string>())
    {
    }

    /// <param name="environment">Extra environment for the server, given its fresh working directory.</param>
    protected ServerProcess(Func<string, IReadOnlyDictionary<string, string>> environment) => _environment = environment;

    /// <summary>Where the server listens, e.g. http://127.0.0.1:41234/.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>A client for the server's own endpoints (drawing data, health).</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>Everything the server wrote to stdout and stderr so far, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>The server's temporary working directory (its store is under data/).</summary>
    public string WorkDirectory => _workDirectory ?? throw new InvalidOperationException("The server has not been started.");

    /// <summary>How long the server took from process start to a healthy answer.</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>The repository root as the build saw it (for test artifacts).</summary>
    public static string RepoRoot => Metadata("RepoRoot");

    public async Task InitializeAsync()
    {
        var dll = Metadata("ConsoleServerAssembly");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"The console server is not built: {dll} is missing (the test project's ProjectReference builds it).");
        }

        var clock = Stopwatch.StartNew();
        _workDirectory = Directory.CreateTempSubdirectory("opsconsole-browser-").FullName;
        await StartAsync(dll, "http://127.0.0.1:0");
        StartupTime = clock.Elapsed;
    }

    /// <summary>Kills the server as a crash or a power cut would (whole tree, no clean stop) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        var process = _process ?? throw new InvalidOperationException("The server has not been started.");
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
    }

    /// <summary>Starts the server again, after <see cref="KillAsync"/>, on the same address and working directory (its store, keys, users).</summary>
    public async Task StartAgainAsync()
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("The server is still running: kill it first.");
        }

        _process?.Dispose();
        Http?.Dispose();
        _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _udpPort = new(TaskCreationOptions.RunContinuationsAsynchronously);
        await StartAsync(Metadata("ConsoleServerAssembly"), $"http://127.0.0.1:{BaseAddress.Port}");
    }

    private async Task StartAsync(string dll, string urls)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = _workDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(urls);
        start.Environment["Storage__Path"] = Path.Combine(_workDirectory!, "data");
        start.Environment["Hes__Port"] = "0";
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        foreach (var (name, value) in _environment(_workDirectory!))
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var listening = _listening; // this start's: a killed process's exit must not fail the next start's
        process.OutputDataReceived += (_, e) => OnLine(e.Data, "");
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, "[stderr] ");
        process.Exited += (_, _) =>
        {
            process.WaitForExit(); // drains the redirected output, so the message has all of it
            listening.TrySetException(new InvalidOperationException($"The server exited with code {SafeExitCode(process)} before it listened.\n{Log}"));
        };
        process.Start();
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var deadline = new CancellationTokenSource(StartTimeout);
        try
        {
            BaseAddress = await listening.Task.WaitAsync(deadline.Token);
            Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            await WaitHealthyAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"The server was not healthy within {StartTimeout.TotalSeconds:0} s.\n{Log}");
        }
    }

    /// <summary>The UDP port of the head-end's CoAP listener, as the server logged it.</summary>
    public async Task<int> UdpPortAsync() =>
        await _udpPort.Task.WaitAsync(StartTimeout);

    private readonly SemaphoreSlim _signInGate = new(1, 1);
    private string? _adminPassword;

    /// <summary>The password admin has now: the generated one-time password until the first sign-in replaces it.</summary>
    public const string ChosenAdminPassword = "storm-night-2026!";

    /// <summary>
    /// Signs <paramref name="page"/>'s context in as admin through the sign-in page. The first call reads
    /// the one-time password the server wrote under Storage:Path and chooses <see cref="ChosenAdminPassword"/>
    /// on the forced password page.
    /// </summary>
    public async Task SignInAsync(Microsoft.Playwright.IPage page, Func<string, Task>? screenshot = null)
    {
        await _signInGate.WaitAsync();
        try
        {
            bool first = _adminPassword is null;
            _adminPassword ??= (await File.ReadAllTextAsync(Path.Combine(_workDirectory!, "data", "initial-admin-password.txt"))).Trim();
            await page.GotoAsync("signin");
            await page.GetByLabel("User name").FillAsync("admin");
            await page.GetByLabel("Password", new() { Exact = true }).FillAsync(_adminPassword);
            if (screenshot is not null)
            {
                await screenshot("signin.png");
            }

            await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            if (first)
            {
                await page.WaitForURLAsync("**/account/password");
                await page.GetByLabel("Current password").FillAsync(_adminPassword);
                await page.GetByLabel("New password", new() { Exact = true }).FillAsync(ChosenAdminPassword);
                await page.GetByLabel("New password again").FillAsync(ChosenAdminPassword);
                await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Save password" }).ClickAsync();
                _adminPassword = ChosenAdminPassword;
            }

            await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal) && !url.Contains("/account/", StringComparison.Ordinal));
        }
        finally
        {
            _signInGate.Release();
        }
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        _signInGate.Dispose();
        if (_process is { } process)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            }
            catch (InvalidOperationException)
            {
                // Never started or already reaped: nothing to kill.
            }
            finally
            {
                process.Dispose();
            }
        }

        if (_workDirectory is not null)
        {
            try
            {
                Directory.Delete(_workDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp folder left behind is harmless.
            }
        }
    }

    private async Task WaitHealthyAsync(CancellationToken cancellationToken)
    {
        // Listening is the start signal; /healthz (the store is open, the network loaded) is the ready signal.
        // Bounded by the caller's deadline; the short pause only spaces out the attempts.
        while (true)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"The server exited with code {SafeExitCode(_process)} while starting.\n{Log}");
            }

            try
            {
                using var response = await Http.GetAsync("healthz", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not accepting yet.
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private void OnLine(string? line, string prefix)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Append(prefix).AppendLine(line);
        }

        if (ListeningLine().Match(line) is { Success: true } m)
        {
            _listening.TrySetResult(new Uri(m.Groups[1].Value.TrimEnd('/') + "/"));
        }

        if (UdpLine().Match(line) is { Success: true } u)
        {
            _udpPort.TrySetResult(int.Parse(u.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private static string SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode.ToString();
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }

    /// <summary>The dotnet host that runs these tests, so the server runs on the same runtime.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    private static string Metadata(string key) =>
        typeof(ServerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == key)?.Value is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"Assembly metadata '{key}' is missing: it is written by Browser.Tests.csproj at build time.");

    [GeneratedRegex(@"Now listening on:\s*(http://\S+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"CoAP listener on UDP port (\d+)")]
    private static partial Regex UdpLine();
}
