using System.Net;
using System.Net.WebSockets;
using System.Text;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Server.Tests;

/// <summary>
/// Writes through an admin's browser from another site: a cookie-authenticated API or hub call must come from
/// this site's own pages (Origin or Referer) and API writes must send JSON; API keys are not browser credentials.
/// </summary>
public sealed class CrossSiteWriteTests : IAsyncLifetime
{
    private const string AdminKey = "admin-key-0123456789abcdef";
    private const string Sibling = "https://intranet.utility.example";
    private RunningHost _host = null!;
    private Browser _ada = null!;

    public async Task InitializeAsync()
    {
        _host = (await RunningHost.StartAsync($"--Api:Keys:0:Key={AdminKey}", "--Api:Keys:0:Role=admin")).WithStaff();
        _ada = await _host.SignedInAsync("ada", Staff.AdminPassword);
    }

    public async Task DisposeAsync()
    {
        _ada.Dispose();
        await _host.DisposeAsync();
    }

    private async Task<int> StoredFeatures() => (await _host.Get<OpsConsole.Engine.Storage.ITopologyStore>().LoadAsync(CancellationToken.None))!.Features.Count;

    private async Task<HttpStatusCode> PostTopologyAsync(string body, string contentType, string? origin = null, string? referer = null, string? key = null, HttpClient? http = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/topology") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (referer is not null)
        {
            request.Headers.Referrer = new Uri(referer);
        }

        if (key is not null)
        {
            request.Headers.Add("X-Api-Key", key);
        }

        using var response = await (http ?? _ada.Http).SendAsync(request);
        return response.StatusCode;
    }

    private const string EmptyNetwork = """{"type":"FeatureCollection","features":[]}""";

    [Fact]
    public async Task CookieWrite_FromAnotherSite_AsTextPlain_Is403_AndChangesNothing()
    {
        int before = await StoredFeatures();

        var status = await PostTopologyAsync(EmptyNetwork, "text/plain", origin: Sibling);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(before, await StoredFeatures());
    }

    [Theory]
    [InlineData(Sibling, null)]
    [InlineData("null", null)]
    [InlineData(null, null)]
    [InlineData(null, Sibling + "/page")]
    public async Task CookieWrite_WithoutThisSiteAsOriginOrReferer_Is403(string? origin, string? referer)
    {
        var status = await PostTopologyAsync("{}", "application/geo+json", origin, referer);

        Assert.Equal(HttpStatusCode.Forbidden, status);
    }

    [Fact]
    public async Task CookieWrite_FromThisSite_MustBeJson_415Otherwise()
    {
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, await PostTopologyAsync(EmptyNetwork, "text/plain", origin: _ada.Origin));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, await PostTopologyAsync("a=b", "application/x-www-form-urlencoded", origin: _ada.Origin));
        Assert.Equal(HttpStatusCode.BadRequest, await PostTopologyAsync("{}", "application/geo+json", origin: _ada.Origin)); // reaches the import: not a topology
        Assert.Equal(HttpStatusCode.BadRequest, await PostTopologyAsync("{}", "application/json", referer: _ada.Origin + "/map"));
    }

    [Fact]
    public async Task ApiKeyWrite_NeedsNoOrigin_ButJson()
    {
        using var machine = new HttpClient { BaseAddress = _host.BaseAddress };

        Assert.Equal(HttpStatusCode.BadRequest, await PostTopologyAsync("{}", "application/geo+json", key: AdminKey, http: machine));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, await PostTopologyAsync("{}", "text/plain", key: AdminKey, http: machine));
    }

    [Fact]
    public async Task CookieHubConnection_FromAnotherSite_Is403()
    {
        using var negotiate = new HttpRequestMessage(HttpMethod.Post, "/hubs/outages/negotiate?negotiateVersion=1");
        negotiate.Headers.Add("Origin", Sibling);
        using var negotiated = await _ada.Http.SendAsync(negotiate);

        using var socket = new ClientWebSocket();
        socket.Options.Cookies = _ada.Cookies;
        socket.Options.SetRequestHeader("Origin", Sibling);
        var ws = new UriBuilder(new Uri(_host.BaseAddress, "/hubs/outages")) { Scheme = "ws" }.Uri;
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(ws, CancellationToken.None));

        Assert.Equal(HttpStatusCode.Forbidden, negotiated.StatusCode);
        Assert.Contains("403", refused.Message, StringComparison.Ordinal);
    }
}
