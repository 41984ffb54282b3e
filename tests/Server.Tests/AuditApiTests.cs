using System.Net;
using System.Text.Json;
using OpsConsole.Console.Server.Security.Users;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Server.Tests;

/// <summary><c>GET /api/audit</c> (api.md): admins only, newest first, filtered, bounded, a 400 naming the field.</summary>
public sealed class AuditApiTests : IAsyncLifetime
{
    private const string DispatcherKey = "dispatcher-key-0123456789";
    private const string AdminKey = "admin-key-0123456789abcdef";
    private static readonly DateTime Day0 = new(2026, 3, 1, 0, 0, 0, DateTimeKind.Utc);

    private RunningHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await RunningHost.StartAsync($"--Api:Keys:0:Key={DispatcherKey}", "--Api:Keys:0:Role=dispatcher", $"--Api:Keys:1:Key={AdminKey}", "--Api:Keys:1:Role=admin");
        var store = _host.Get<IAuditStore>();
        for (int i = 0; i < 30; i++)
        {
            store.Add(new AuditRecord(Day0.AddHours(i), i % 3 == 0 ? "ada" : "dana", i % 2 == 0 ? "outage-action" : "sign-in", $"10.0.0.{i}", $"#{i}"));
        }
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<HttpResponseMessage> GetAsync(string query, string? key = AdminKey)
    {
        using var http = new HttpClient { BaseAddress = _host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/audit" + query);
        if (key is not null)
        {
            request.Headers.Add("X-Api-Key", key);
        }

        return await http.SendAsync(request);
    }

    private async Task<JsonElement[]> EntriesAsync(string query)
    {
        using var response = await GetAsync(query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. doc.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    [Fact]
    public async Task Admin_GetsTheTrailNewestFirst_WithTheDocumentedFields()
    {
        _host.Get<AuditLog>().Write("ada", "user-created", "127.0.0.1", "bob (dispatcher)"); // now: newer than the seeded entries

        var newest = Assert.Single(await EntriesAsync("?limit=1"));
        var seeded = await EntriesAsync("?to=2026-03-03T00:00:00Z&limit=2"); // the host's own start-up entries are newer

        Assert.Equal(["at", "user", "action", "detail", "remoteAddress"], newest.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("ada", "user-created", "bob (dispatcher)", "127.0.0.1"),
            (newest.GetProperty("user").GetString(), newest.GetProperty("action").GetString(), newest.GetProperty("detail").GetString(), newest.GetProperty("remoteAddress").GetString()));
        Assert.Equal(["#29", "#28"], seeded.Select(e => e.GetProperty("detail").GetString()));
        Assert.EndsWith("Z", seeded[0].GetProperty("at").GetString(), StringComparison.Ordinal);
        Assert.Equal(Day0.AddHours(29), seeded[0].GetProperty("at").GetDateTime().ToUniversalTime());
    }

    [Fact]
    public async Task Filters_TimeUserAndAction_Combine()
    {
        var entries = await EntriesAsync("?from=2026-03-01T06:00:00Z&to=2026-03-01T18:00:00Z&user=ADA&action=outage-action");

        Assert.Equal(["#12", "#6"], entries.Select(e => e.GetProperty("detail").GetString())); // from inclusive, to exclusive; names case aside
        Assert.Equal(12, (await EntriesAsync("?from=2026-03-01T06:00:00&to=2026-03-01T18:00:00")).Length); // no offset: UTC
    }

    [Fact]
    public async Task APage_IsBoundedByTheLimit_DefaultAndMaximum()
    {
        var store = _host.Get<IAuditStore>();
        for (int i = 0; i < 120; i++)
        {
            store.Add(new AuditRecord(Day0.AddDays(-1).AddSeconds(i), "bulk", "sign-in", "", null));
        }

        Assert.Equal(100, (await EntriesAsync("")).Length);
        Assert.Equal(150, (await EntriesAsync("?to=2026-03-03T00:00:00Z&limit=1000")).Length);
        using var tooMany = await GetAsync("?limit=1001");
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
    }

    [Theory]
    [InlineData("?from=yesterday", "from")]
    [InlineData("?to=2026-13-01T00:00:00Z", "to")]
    [InlineData("?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "to")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=ten", "limit")]
    public async Task ABadTimeOrLimit_Is400_NamingTheField(string query, string field)
    {
        using var response = await GetAsync(query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Dispatcher_Is403_Anonymous_Is401()
    {
        using var dispatcher = await GetAsync("", DispatcherKey);
        using var anonymous = await GetAsync("", key: null);

        Assert.Equal(HttpStatusCode.Forbidden, dispatcher.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }
}
