using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.StaticAssets;
using OpsConsole.Console.Server.Hubs;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Server.Tests;

/// <summary>
/// Deny by default: every endpoint the host maps, called anonymously with every method it takes, answers 401 or
/// the sign-in page unless it is on the explicit list of open ones; and the authorisation of roles, of a user who
/// must still change the password, and of the hub.
/// </summary>
public sealed class EndpointAuthorizationTests : IAsyncLifetime
{
    private const string DispatcherKey = "dispatcher-key-0123456789";
    private const string AdminKey = "admin-key-0123456789abcdef";

    /// <summary>The only endpoints open without sign-in (route patterns), besides the site's static files.</summary>
    private static readonly string[] OpenEndpoints = ["/healthz", "/signin", "/account/signin"];

    private static readonly string[] AllMethods = ["GET", "POST", "PUT", "DELETE", "PATCH"];

    private RunningHost _host = null!;

    public async Task InitializeAsync() =>
        _host = (await RunningHost.StartAsync($"--Api:Keys:0:Key={DispatcherKey}", "--Api:Keys:0:Role=dispatcher", $"--Api:Keys:1:Key={AdminKey}", "--Api:Keys:1:Role=admin")).WithStaff();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>A route pattern as an address, each parameter filled with a dummy value.</summary>
    private static string Fill(RoutePattern pattern)
    {
        var path = new StringBuilder();
        foreach (var segment in pattern.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
            {
                path.Append(part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternSeparatorPart separator => separator.Content,
                    RoutePatternParameterPart { IsCatchAll: true } => "x1/y1.txt", // also meets a :file constraint
                    RoutePatternParameterPart => "1",
                    _ => "",
                });
            }
        }

        return path.Length == 0 ? "/" : path.ToString();
    }

    [Fact]
    public async Task EveryMappedEndpoint_CalledAnonymously_Is401OrTheSignInPage_UnlessExplicitlyOpen()
    {
        var endpoints = _host.App.Services.GetServices<EndpointDataSource>().SelectMany(d => d.Endpoints).OfType<RouteEndpoint>().ToList();
        Assert.Contains(endpoints, e => e.RoutePattern.RawText == "/console/network/summary.json");
        Assert.Contains(endpoints, e => e.RoutePattern.RawText == "/console/network/tiles/{z}/{x}/{y}.json");
        Assert.Contains(endpoints, e => e.RoutePattern.RawText == "/metrics"); // the Prometheus scrape: the API's protection, not open
        var open = new HashSet<string>(StringComparer.Ordinal);
        var wrong = new List<string>();
        int calls = 0;
        using var anonymous = new Browser(_host.BaseAddress);
        foreach (var endpoint in endpoints)
        {
            string pattern = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
            bool staticFile = endpoint.Metadata.GetMetadata<StaticAssetDescriptor>() is not null;
            if (OpenEndpoints.Contains(pattern) || staticFile)
            {
                open.Add(pattern);
                continue;
            }

            string path = Fill(endpoint.RoutePattern);
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } m ? m : AllMethods;
            foreach (string method in methods.Where(m => m != "HEAD" && m != "OPTIONS"))
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method != "GET")
                {
                    request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                }

                using var response = await anonymous.Http.SendAsync(request);
                calls++;
                bool signInPage = (int)response.StatusCode is 302 or 303 && response.Headers.Location?.OriginalString.StartsWith("/signin", StringComparison.Ordinal) == true;
                if (response.StatusCode != HttpStatusCode.Unauthorized && !signInPage)
                {
                    wrong.Add($"{method} {path} ({pattern}): {(int)response.StatusCode} {response.Headers.Location}");
                }
            }
        }

        Assert.True(wrong.Count == 0, "open without sign-in:\n" + string.Join("\n", wrong));
        Assert.True(calls > 10, $"only {calls} calls: the endpoints were not found");
        Assert.Subset(open, OpenEndpoints.ToHashSet()); // the list names what exists
    }

    [Theory]
    [InlineData("/signin")]
    [InlineData("/healthz")]
    [InlineData("/favicon.svg")]
    [InlineData("/lib/leaflet/leaflet.css")]
    [InlineData("/lib/leaflet/leaflet.js")]
    [InlineData("/_content/MudBlazor/MudBlazor.min.css")]
    [InlineData("/_content/OpsConsole.Console.Client/opsconsole.css")]
    [InlineData("/_framework/blazor.web.js")]
    public async Task WhatTheSignInPageNeeds_IsOpen(string path)
    {
        using var anonymous = new Browser(_host.BaseAddress);

        using var response = await anonymous.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/no-such-page")]
    [InlineData("/console/no-such-file.json")]
    [InlineData("/api/no-such-call")]
    public async Task AnAddressNoEndpointMaps_Anonymous_IsNotAnswered(string path)
    {
        using var anonymous = new Browser(_host.BaseAddress);

        using var response = await anonymous.Http.GetAsync(path);

        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized || response.Headers.Location?.OriginalString.StartsWith("/signin", StringComparison.Ordinal) == true,
            $"{path}: {(int)response.StatusCode}");
    }

    [Fact]
    public async Task NetworkFeed_Anonymous_Is401_SignedIn_IsTheMap()
    {
        using var anonymous = new Browser(_host.BaseAddress);
        using var dana = await _host.SignedInAsync("dana", Staff.DispatcherPassword);
        // The tile at zoom 12 that holds the small network (around -89.0, 40.0).
        const string Tile = "/console/network/tiles/12/1035/1550.json";

        using var refusedSummary = await anonymous.Http.GetAsync("/console/network/summary.json");
        using var refusedTile = await anonymous.Http.GetAsync(Tile);
        using var summary = await dana.Http.GetAsync("/console/network/summary.json");
        using var tile = await dana.Http.GetAsync(Tile);

        Assert.NotEqual(HttpStatusCode.OK, refusedSummary.StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, refusedTile.StatusCode);
        Assert.Equal(HttpStatusCode.OK, summary.StatusCode);
        Assert.Equal(HttpStatusCode.OK, tile.StatusCode);
        using var s = JsonDocument.Parse(await summary.Content.ReadAsStringAsync());
        Assert.Equal("North Sub", s.RootElement.GetProperty("name").GetString());
        using var t = JsonDocument.Parse(await tile.Content.ReadAsStringAsync());
        Assert.Equal(3, t.RootElement.GetProperty("transformers").GetArrayLength());
        Assert.False(t.RootElement.TryGetProperty("meters", out _)); // below street zoom
    }

    [Fact]
    public async Task TopologyImport_WithADispatcherKey_Is403_AndChangesNothing()
    {
        using var http = new HttpClient { BaseAddress = _host.BaseAddress };
        var before = (await _host.Get<OpsConsole.Engine.Storage.ITopologyStore>().LoadAsync(CancellationToken.None))!.Features.Count;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/topology")
        {
            Content = new StringContent("""{"type":"FeatureCollection","features":[]}""", Encoding.UTF8, "application/geo+json"),
        };
        request.Headers.Add("X-Api-Key", DispatcherKey);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(before, (await _host.Get<OpsConsole.Engine.Storage.ITopologyStore>().LoadAsync(CancellationToken.None))!.Features.Count);
    }

    [Fact]
    public async Task Backup_WithADispatcherKey_Is403_AuditedOnce_AndWritesNothing()
    {
        using var http = new HttpClient { BaseAddress = _host.BaseAddress };
        var audit = _host.Get<OpsConsole.Console.Server.Security.Users.AuditLog>();
        int before = audit.Recent(10_000).Count;
        using var request = new HttpRequestMessage(HttpMethod.Post, OpsConsole.Console.Server.Backup.BackupEndpoints.Path)
        {
            Content = new StringContent("""{"name":"by-dispatcher"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Api-Key", DispatcherKey);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var entries = audit.Recent(10_000);
        Assert.Equal(before + 1, entries.Count);
        var entry = entries[0];
        Assert.Equal("admin-refused", entry.Action);
        Assert.StartsWith("api-key:dispatcher:", entry.User, StringComparison.Ordinal);
        Assert.Contains("backup", entry.Detail, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_host.Folder.Path, "by-dispatcher")));
    }

    [Fact]
    public async Task UserWhoMustChangeThePassword_Gets403_OnTheApiAndTheHub()
    {
        _host.Get<OpsConsole.Console.Server.Security.Users.UserStore>().TryCreate("newbie", "admin", "temporary-pass-12", mustChangePassword: true, DateTime.UtcNow);
        using var browser = new Browser(_host.BaseAddress);
        var signIn = await browser.SignInAsync("newbie", "temporary-pass-12");
        Assert.Equal("/account/password", signIn.Headers.Location!.OriginalString);

        foreach (var (method, path) in new[] { ("GET", "/api/stats"), ("GET", "/api/outages"), ("GET", "/api/topology"), ("POST", "/api/topology"), ("GET", "/api/audit"), ("POST", "/hubs/outages/negotiate?negotiateVersion=1") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            request.Headers.Add("Origin", browser.Origin); // same site: refused for the pending password change, not the origin
            if (method == "POST")
            {
                request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            }

            using var response = await browser.Http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task Audit_IsForAdminsOnly_ByKeyOrSession()
    {
        using var dana = await _host.SignedInAsync("dana", Staff.DispatcherPassword);
        using var ada = await _host.SignedInAsync("ada", Staff.AdminPassword);
        using var http = new HttpClient { BaseAddress = _host.BaseAddress };

        using var dispatcherSession = await dana.Http.GetAsync("/api/audit");
        using var adminSession = await ada.Http.GetAsync("/api/audit");
        using var dispatcherKey = new HttpRequestMessage(HttpMethod.Get, "/api/audit") { Headers = { { "X-Api-Key", DispatcherKey } } };
        using var adminKey = new HttpRequestMessage(HttpMethod.Get, "/api/audit") { Headers = { { "X-Api-Key", AdminKey } } };
        using var byDispatcherKey = await http.SendAsync(dispatcherKey);
        using var byAdminKey = await http.SendAsync(adminKey);

        Assert.Equal(HttpStatusCode.Forbidden, dispatcherSession.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byDispatcherKey.StatusCode);
        Assert.Equal(HttpStatusCode.OK, adminSession.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byAdminKey.StatusCode);
        Assert.Contains("\"sign-in\"", await byAdminKey.Content.ReadAsStringAsync(), StringComparison.Ordinal); // ada's and dana's sign-ins above
    }

    /// <summary>A hub connection with a signed-in browser's cookies (and its Origin), or with an API key.</summary>
    private HubConnection Hub(Browser? browser, string? key = null) =>
        new HubConnectionBuilder().WithUrl(new Uri(_host.BaseAddress, OutageHub.Path), o =>
        {
            if (browser is not null)
            {
                o.Cookies = browser.Cookies;
                o.Headers["Origin"] = browser.Origin;
            }

            if (key is not null)
            {
                o.Headers["X-Api-Key"] = key;
            }
        }).Build();

    [Fact]
    public async Task Hub_DispatcherAndAdmin_BothListen_NeitherCanCallAMethod_AnonymousCannotConnect()
    {
        using var dana = await _host.SignedInAsync("dana", Staff.DispatcherPassword);
        using var ada = await _host.SignedInAsync("ada", Staff.AdminPassword);
        await using var dispatcher = Hub(dana);
        await using var admin = Hub(ada);
        await using var dispatcherKey = Hub(null, DispatcherKey);
        await using var adminKey = Hub(null, AdminKey);
        await using var anonymous = Hub(null);

        // OutageHub has no client-callable method (clients send nothing, api.md): each role may listen, none may call.
        // (OnConnectedAsync/OnDisconnectedAsync are SignalR's lifecycle overrides, which clients cannot invoke.)
        Assert.DoesNotContain(
            typeof(OutageHub).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.DeclaredOnly),
            m => m.GetBaseDefinition().DeclaringType != typeof(Microsoft.AspNetCore.SignalR.Hub));
        foreach (var connection in new[] { dispatcher, admin, dispatcherKey, adminKey })
        {
            await connection.StartAsync();
            Assert.Equal(HubConnectionState.Connected, connection.State);
            foreach (string method in new[] { "OutageChanged", "StatsChanged", "OnConnectedAsync", "Dispose" })
            {
                await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync(method));
            }
        }

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }
}
