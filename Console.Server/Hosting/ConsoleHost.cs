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
public static class ConsoleHost
{
    public const int ExitConfigurationError = 2;

    /// <summary>Everything the console is made of.</summary>
    public static void Compose(WebApplicationBuilder builder)
    {
        builder.Services.AddEngine();
        builder.Services.AddConsoleClient();
        builder.Services.AddConsoleServer(builder.Configuration);
    }

    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            var app = Build(args);
            // Before the host starts: a bad value or network file stops here, with nothing created on disk.
            await ConfigurationPreflight.RunAsync(app.Services, app.Configuration);
            await app.RunAsync();
            return 0;
        }
        catch (Exception ex) when (DescribeStartupFailure(ex) is { } message)
        {
            await System.Console.Error.WriteLineAsync("OpsConsole cannot start: " + message);
            return ExitConfigurationError;
        }
    }

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
    public static string? DescribeStartupFailure(Exception ex) => ex switch
    {
        OptionsValidationException o => "invalid configuration:" + (o.Failures.Count() == 1 ? " " + o.Failures.Single() : Environment.NewLine + string.Join(Environment.NewLine, o.Failures.Select(f => "  " + f))),
        TopologyLoadException t => t.Message,
        StartupException s => s.Message,
        MasterKeyFileException k => k.Message,
        InvalidOperationException i when i.Message.Contains("configuration value", StringComparison.Ordinal) => "invalid configuration: " + i.Message,
        AggregateException a when a.InnerExceptions.Count == 1 => DescribeStartupFailure(a.InnerExceptions[0]),
        _ when ex.InnerException is not null => DescribeStartupFailure(ex.InnerException),
        _ => null,
    };
}
