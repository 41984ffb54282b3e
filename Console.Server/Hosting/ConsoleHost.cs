using Microsoft.Extensions.Options;
using OpsConsole.Engine.Topology;

namespace OpsConsole.Console.Server.Hosting;

/// <summary>
/// Builds and runs the host, and turns start-up failures (bad configuration, a bad network
/// file) into one clear message naming the key, with a non-zero exit code.
/// </summary>
public static class ConsoleHost
{
    public const int ExitConfigurationError = 2;

    public static async Task<int> RunAsync(string[] args, Action<WebApplicationBuilder> configure)
    {
        try
        {
            var app = Build(args, configure);
            await app.RunAsync();
            return 0;
        }
        catch (Exception ex) when (DescribeStartupFailure(ex) is { } message)
        {
            await System.Console.Error.WriteLineAsync("OpsConsole cannot start: " + message);
            return ExitConfigurationError;
        }
    }

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder> configure)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // appsettings.json, wwwroot/ and networks/ are copied next to the binaries.
            ContentRootPath = AppContext.BaseDirectory,
        });

        // Serves the component libraries' assets (MudBlazor, the console's own) when running
        // from a build output; a published copy has them in wwwroot already.
        builder.WebHost.UseStaticWebAssets();
        configure(builder);
        var app = builder.Build();
        app.UseConsoleServer();
        return app;
    }

    /// <summary>The operator-facing text of a failure we expect at start, or null for a real crash.</summary>
    public static string? DescribeStartupFailure(Exception ex) => ex switch
    {
        OptionsValidationException o => "invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, o.Failures.Select(f => "  " + f)),
        TopologyLoadException t => t.Message,
        InvalidOperationException i when i.Message.Contains("configuration value", StringComparison.Ordinal) => "invalid configuration: " + i.Message,
        AggregateException a when a.InnerExceptions.Count == 1 => DescribeStartupFailure(a.InnerExceptions[0]),
        _ when ex.InnerException is not null => DescribeStartupFailure(ex.InnerException),
        _ => null,
    };
}
