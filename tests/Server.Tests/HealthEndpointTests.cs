using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using OpsConsole.Console.Server.Hosting;

namespace OpsConsole.Server.Tests;

public class HealthEndpointTests
{
    [Fact]
    public async Task Healthz_WithTheStoreOpenAndANetworkLoaded_Is200Healthy()
    {
        using var folder = new TempFolder();
        var file = SmallNetwork.WriteTo(folder.Path);
        await using var app = ConsoleHost.Build(["--urls=http://127.0.0.1:0", $"--Storage:Path={Path.Combine(folder.Path, "db")}", "--Hes:Port=0", TempFolder.KeyFileArg(), $"--Topology:File={file}"]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        using var response = await http.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("store").GetProperty("status").GetString());

        // Open to anyone, unlike everything else but sign-in and static files (EndpointAuthorizationTests); the map's
        // feed (summary and tiles; once the whole drawing, which answered here too) needs a signed-in user.
        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(address) };
        using var summary = await noRedirects.GetAsync("/console/network/summary.json");
        using var tile = await noRedirects.GetAsync("/console/network/tiles/0/0/0.json");
        Assert.Equal(HttpStatusCode.Redirect, summary.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, tile.StatusCode);

        // The Blazor circuit's data-protection keys live with the console's state, owner-only.
        var keys = Path.Combine(folder.Path, "db", "keys", "data-protection");
        Assert.NotEmpty(Directory.GetFiles(keys, "key-*.xml"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(keys));
        }

        await app.StopAsync();
    }
}
