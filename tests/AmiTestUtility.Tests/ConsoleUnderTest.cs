using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Console.Server.Hosting;
using OpsConsole.Engine.Ingest;
using OpsConsole.Tools.AmiTestUtility;

namespace OpsConsole.AmiTestUtility.Tests;

/// <summary>
/// The real console host in-process on the bundled ckt24 network, with storage, master key and UDP port of
/// its own, an API key, and a short correlation window; removed with its folder on dispose.
/// </summary>
internal sealed class ConsoleUnderTest : IAsyncDisposable
{
    public const string ApiKey = "ami-test-utility-key-0123456789";
    public const int WindowMs = 500;

    private ConsoleUnderTest(string folder, WebApplication app)
    {
        Folder = folder;
        App = app;
    }

    public string Folder { get; }

    public WebApplication App { get; }

    public string KeyFile => Path.Combine(Folder, "keys", "master.key");

    public int UdpPort => App.Services.GetRequiredService<UdpIngestService>().LocalEndPoint!.Port;

    public Uri BaseAddress => new(App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static string Ckt24 => MeterNetwork.ResolveTopology(null, "test");

    public static async Task<ConsoleUnderTest> StartAsync(params string[] extra)
    {
        var folder = Path.Combine(Path.GetTempPath(), "opsconsole-tests", "ami-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var app = ConsoleHost.Build(["--urls=http://127.0.0.1:0", $"--Storage:Path={Path.Combine(folder, "db")}", "--Hes:Port=0",
            $"--Security:MasterKeyFile={Path.Combine(folder, "keys", "master.key")}", $"--Topology:File={Ckt24}",
            $"--Correlation:WindowMs={WindowMs}", $"--Api:Keys:0:Key={ApiKey}", "--Api:Keys:0:Role=dispatcher", "--Hes:WarmupMs=0", "--Correlation:WarmupMs=0", .. extra]);
        await app.StartAsync();
        return new ConsoleUnderTest(folder, app);
    }

    /// <summary>The options every command of the tool needs to reach this console.</summary>
    public string[] Common => ["--port", UdpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--api", BaseAddress.ToString(), "--api-key", ApiKey,
        "--key", KeyFile, "--topology", Ckt24];

    /// <summary>Runs the tool in-process, as <c>ami-test-utility args…</c> would.</summary>
    public static async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        int exit = await Cli.RunAsync(args, stdout, stderr, _ => null, timeout.Token);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    public async Task<JsonElement> GetJson(string path)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        http.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        return await http.GetFromJsonAsync<JsonElement>(path);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // a file still open by the host being torn down: the temp cleaner gets it
        }
    }
}
