using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using OpsConsole.Console.Server.Hosting;
using OpsConsole.Engine.Ingest;

namespace OpsConsole.Server.Tests;

/// <summary>
/// The real console host, started in-process on the small network with storage, master key and
/// UDP port of its own; removed with its folder on dispose.
/// </summary>
internal sealed class RunningHost : IAsyncDisposable
{
    private RunningHost(TempFolder folder, WebApplication app)
    {
        Folder = folder;
        App = app;
    }

    public TempFolder Folder { get; }

    public WebApplication App { get; }

    public string KeyFile => Path.Combine(Folder.Path, "keys", "master.key");

    public int UdpPort => Get<UdpIngestService>().LocalEndPoint!.Port;

    public T Get<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    public static Task<RunningHost> StartAsync(params string[] extraArgs) => StartAsync(new TempFolder(), extraArgs);

    /// <summary>A host with services of the test's own (<paramref name="configure"/> runs after the console's composition).</summary>
    public static Task<RunningHost> StartAsync(Action<WebApplicationBuilder> configure, params string[] extraArgs) => StartAsync(new TempFolder(), configure, extraArgs);

    /// <summary>A host on <paramref name="folder"/>: a second start on the same folder is a restart (same store, same key).</summary>
    public static Task<RunningHost> StartAsync(TempFolder folder, params string[] extraArgs) => StartAsync(folder, null, extraArgs);

    public static async Task<RunningHost> StartAsync(TempFolder folder, Action<WebApplicationBuilder>? configure, params string[] extraArgs)
    {
        var file = SmallNetwork.WriteTo(folder.Path);
        var app = ConsoleHost.Build(["--urls=http://127.0.0.1:0", $"--Storage:Path={Path.Combine(folder.Path, "db")}", "--Hes:Port=0",
            $"--Security:MasterKeyFile={Path.Combine(folder.Path, "keys", "master.key")}", $"--Topology:File={file}",
            "--Hes:WarmupMs=0", "--Correlation:WarmupMs=0", .. extraArgs], configure); // the warm-ups have their own tests (StartupWarmupTests); later args win
        await app.StartAsync();
        return new RunningHost(folder, app);
    }

    /// <summary>The base address of the web server.</summary>
    public Uri BaseAddress => new(App.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
        .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First());

    /// <summary>Stops the host but keeps its folder (for a restart on the same storage).</summary>
    public async Task StopKeepingFolderAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }

    /// <summary>A UDP client connected to the listener.</summary>
    public UdpClient Connect()
    {
        var udp = new UdpClient(AddressFamily.InterNetwork);
        udp.Client.ReceiveBufferSize = 8 * 1024 * 1024;
        udp.Connect(IPAddress.Loopback, UdpPort);
        return udp;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Folder.Dispose();
    }
}
