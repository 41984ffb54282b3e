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

    public static async Task<RunningHost> StartAsync()
    {
        var folder = new TempFolder();
        var file = SmallNetwork.WriteTo(folder.Path);
        var app = ConsoleHost.Build(["--urls=http://127.0.0.1:0", $"--Storage:Path={Path.Combine(folder.Path, "db")}", "--Hes:Port=0",
            $"--Security:MasterKeyFile={Path.Combine(folder.Path, "keys", "master.key")}", $"--Topology:File={file}"]);
        await app.StartAsync();
        return new RunningHost(folder, app);
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
