using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using OpsConsole.Console.Server.Hosting;

namespace OpsConsole.Server.Tests;

/// <summary>The X-Api-Key scheme of api.md, on GET /api/stats.</summary>
public sealed class ApiKeyTests : IAsyncLifetime
{
    private const string DispatcherKey = "dispatcher-key-0123456789";
    private const string AdminKey = "admin-key-0123456789abcdef";
    private readonly TempFolder _folder = new();
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var file = SmallNetwork.WriteTo(_folder.Path);
        _app = ConsoleHost.Build(["--urls=http://127.0.0.1:0", $"--Storage:Path={Path.Combine(_folder.Path, "db")}", "--Hes:Port=0", TempFolder.KeyFileArg(), $"--Topology:File={file}",
            $"--Api:Keys:0:Key={DispatcherKey}", "--Api:Keys:0:Role=dispatcher", $"--Api:Keys:1:Key={AdminKey}", "--Api:Keys:1:Role=admin"]);
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _folder.Dispose();
    }

    private async Task<HttpResponseMessage> GetStats(string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/stats");
        if (key is not null)
        {
            request.Headers.Add("X-Api-Key", key);
        }

        return await _http.SendAsync(request);
    }

    [Fact]
    public async Task Stats_WithoutAKey_Is401()
    {
        using var response = await GetStats(null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Stats_WithAWrongKey_Is401()
    {
        using var response = await GetStats("not-a-configured-key-123");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData(DispatcherKey)]
    [InlineData(AdminKey)]
    public async Task Stats_WithAnyRole_Is200WithEveryReasonAndFlag(string key)
    {
        using var response = await GetStats(key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(0, body.RootElement.GetProperty("datagrams").GetProperty("received").GetInt64());
        Assert.Equal(0, body.RootElement.GetProperty("datagrams").GetProperty("kernelDropped").GetInt64());
        Assert.Equal(0, body.RootElement.GetProperty("accepted").GetInt64());
        Assert.True(body.RootElement.GetProperty("rejected").TryGetProperty("ERR_REPLAY", out _));
        Assert.True(body.RootElement.GetProperty("flagged").TryGetProperty("0x092", out _));
    }
}
