using Microsoft.Extensions.Options;
using OpsConsole.Console.Client;
using OpsConsole.Engine;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Topology;

namespace OpsConsole.Console.Server.Hosting;

/// <summary>
/// Builds and runs the host, and turns start-up failures (bad configuration, a bad network
/// file) into one clear message naming the key, with a non-zero exit code.
/// </summary>
public static partial class ConsoleHost
{
    public const int ExitConfigurationError = 2;

    /// <summary>Everything the console is made of.</summary>
    public static void Compose(WebApplicationBuilder builder)
    {
        builder.Services.AddEngine();
        builder.Services.AddConsoleClient();
        builder.Services.AddConsoleServer(builder.Configuration);
    }

    /// <summary>
    /// Runs the console until it is stopped. A start that fails (a bad value, a port in use, a folder that cannot be
    /// made, a bad network file) prints one line naming the key or the cause and exits with
    /// <see cref="ExitConfigurationError"/> (<see cref="ExitStartFailure"/> for a failure not foreseen); the exception
    /// goes to the log at Debug level only (category <see cref="StartupCategory"/>), never as a stack trace on the
    /// console. Values are checked before anything is created on disk (<see cref="ConfigurationPreflight"/>).
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var gate = new StartupLogGate();
        WebApplication? app = null;
        try
        {
            app = Build(args, builder =>
            {
                gate.AddTo(builder.Logging);
                // The logging levels are read while the host is built: checked first, so a bad one is named like any other key.
                ConfigurationPreflight.ThrowIfInvalid(ConfigurationPreflight.CheckLogging(builder.Configuration).Errors);
            });
            // Before the host starts: a bad value or network file stops here, with nothing created on disk.
            await ConfigurationPreflight.RunAsync(app.Services, app.Configuration);
            await app.StartAsync();
        }
        catch (Exception ex)
        {
            var message = DescribeStartupFailure(ex, app?.Configuration);
            if (app is not null)
            {
                var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(StartupCategory);
                LogStartupFailure(logger, ex);
                await DisposeAfterFailedStartAsync(app);
            }

            await System.Console.Error.WriteLineAsync("OpsConsole cannot start: " + (message
                ?? $"unexpected {ex.GetType().Name}: {OneLine(ex.Message)} (the details are logged at Debug level: --Logging:LogLevel:{StartupCategory}=Debug)"));
            return message is null ? ExitStartFailure : ExitConfigurationError;
        }
        finally
        {
            gate.Started();
        }

        await app.WaitForShutdownAsync();
        await app.DisposeAsync();
        return 0;
    }

    /// <summary>Exit code of a start that failed for a reason not foreseen (a bug): one line still, the details in the Debug log.</summary>
    public const int ExitStartFailure = 1;

    /// <summary>The log category of the start-up failure's details (Debug level).</summary>
    public const string StartupCategory = "OpsConsole.Startup";

    private static async Task DisposeAfterFailedStartAsync(WebApplication app)
    {
        try
        {
            await app.DisposeAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The start failed already; what did start is let go as well as it can be, and the process exits.
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    [LoggerMessage(EventId = 6110, Level = LogLevel.Debug, Message = "The start failed")]
    private static partial void LogStartupFailure(ILogger logger, Exception exception);

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // Fixed, so that a test host (entry assembly "testhost") finds the same asset manifests.
            ApplicationName = typeof(ConsoleHost).Assembly.GetName().Name,
            // appsettings.json, wwwroot/ and networks/ are copied next to the binaries.
            ContentRootPath = AppContext.BaseDirectory,
        });

        // Serves the component libraries' assets (MudBlazor, the console's own) when running
        // from a build output; a published copy has them in wwwroot already.
        builder.WebHost.UseStaticWebAssets();
        Compose(builder);
        configure?.Invoke(builder);
        var app = builder.Build();
        app.UseConsoleServer();
        return app;
    }

    /// <summary>The operator-facing text of a failure we expect at start, or null for a real crash.</summary>
    public static string? DescribeStartupFailure(Exception ex) => DescribeStartupFailure(ex, null);

    /// <summary>
    /// The operator-facing text of a failure we expect at start, or null for a real crash; with the
    /// <paramref name="configuration"/>, a file or folder that cannot be used is named by its key.
    /// </summary>
    public static string? DescribeStartupFailure(Exception ex, IConfiguration? configuration) => ex switch
    {
        OptionsValidationException o => "invalid configuration:" + (o.Failures.Count() == 1 ? " " + o.Failures.Single() : Environment.NewLine + string.Join(Environment.NewLine, o.Failures.Select(f => "  " + f))),
        TopologyLoadException t => t.Message,
        StartupException s => s.Message,
        MasterKeyFileException k => k.Message,
        InvalidOperationException i when i.Message.Contains("configuration value", StringComparison.OrdinalIgnoreCase) => "invalid configuration: " + i.Message,
        IOException { InnerException: Microsoft.AspNetCore.Connections.AddressInUseException } inUse =>
            $"urls: {OneLine(inUse.Message)} Another process listens there: give a free port (--urls or Kestrel:Endpoints).",
        FormatException f when f.Message.StartsWith("Invalid url", StringComparison.Ordinal) => $"invalid configuration: urls: {f.Message}",
        IOException or UnauthorizedAccessException => PathFailure(ex, configuration),
        AggregateException a when a.InnerExceptions.Count > 1 && a.InnerExceptions.All(e => e is OptionsValidationException) =>
            DescribeStartupFailure(new OptionsValidationException("configuration", typeof(object), [.. a.InnerExceptions.SelectMany(e => ((OptionsValidationException)e).Failures)])),
        AggregateException a when a.InnerExceptions.Count == 1 => DescribeStartupFailure(a.InnerExceptions[0], configuration),
        _ when ex.InnerException is not null => DescribeStartupFailure(ex.InnerException, configuration),
        _ => null,
    };

    /// <summary>The configured files and folders, by key, that a start writes or reads.</summary>
    private static readonly string[] PathKeys = ["Storage:Path", "Security:MasterKeyFile", "Topology:File", "Backup:Path", "Kestrel:Certificates:Default:Path"];

    /// <summary>A file or folder that cannot be made or read: named by its key when the message names its path.</summary>
    private static string PathFailure(Exception ex, IConfiguration? configuration)
    {
        string message = OneLine(ex.Message);
        foreach (var key in PathKeys)
        {
            if (configuration?[key] is { Length: > 0 } value)
            {
                string full = key == "Storage:Path" ? OptionPaths.Resolve(value) : value;
                if (message.Contains(full, StringComparison.Ordinal) || message.Contains(value, StringComparison.Ordinal))
                {
                    return $"{key} = '{value}': cannot be used ({message})";
                }
            }
        }

        return "a file or folder cannot be used: " + message;
    }
}
