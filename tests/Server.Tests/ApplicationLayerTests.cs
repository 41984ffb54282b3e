using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpsConsole.Console.Server.Outages;
using OpsConsole.Console.Server.Security.Users;
using OpsConsole.Engine.Application;
using OpsConsole.Engine.Application.Meters;
using OpsConsole.Engine.Application.Outages;
using OpsConsole.Engine.Application.Topology;

namespace OpsConsole.Server.Tests;

/// <summary>
/// Issue 12 item 1 in the running host: every door (REST, the board, a job calling the commands itself) reaches the same
/// command, which checks the role and audits once — the same row shape whatever the door, with the actor name the door
/// already uses (<c>api-key:&lt;role&gt;:&lt;4 hex&gt;</c>, the user name, <c>job:&lt;name&gt;</c>).
/// </summary>
public sealed class ApplicationLayerTests : IAsyncLifetime
{
    private const string AdminKey = "admin-key-0123456789abcdef";
    private const string DispatcherKey = "dispatcher-key-0123456789";

    private RunningHost _host = null!;
    private HttpClient _http = null!;
    private int _before; // audit rows of the start (the initial admin)

    public async Task InitializeAsync()
    {
        _host = await RunningHost.StartAsync($"--Api:Keys:0:Key={AdminKey}", "--Api:Keys:0:Role=admin",
            $"--Api:Keys:1:Key={DispatcherKey}", "--Api:Keys:1:Role=dispatcher");
        _http = new HttpClient { BaseAddress = _host.BaseAddress };
        _before = _host.Get<AuditLog>().Recent(1000).Count;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    private static ClaimsPrincipal User(string name, string role) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], "test"));

    /// <summary>The audit rows written since the start, oldest first.</summary>
    private AuditEntry[] Audit() => [.. _host.Get<AuditLog>().Recent(1000).Reverse().Skip(_before)];

    private async Task<HttpResponseMessage> PutParent(string key, string meter, string transformer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/meters/{meter}/parent") { Content = JsonContent.Create(new { transformer }) };
        request.Headers.Add("X-Api-Key", key);
        return await _http.SendAsync(request);
    }

    [Fact]
    public async Task Remap_ThroughRestAndThroughTheBoard_EachAuditedOnce_InTheSameShape()
    {
        using (var rest = await PutParent(AdminKey, "M9", "T2"))
        {
            Assert.Equal(HttpStatusCode.OK, rest.StatusCode);
        }

        var afterRest = Audit();
        var board = await _host.Get<OutageBoardSource>().RemapAsync("M9", User("ada", "admin"), "T1", "203.0.113.5");
        Assert.True(board.Succeeded, board.Error);
        var afterBoard = Audit();

        var viaRest = Assert.Single(afterRest);
        Assert.Matches("^api-key:admin:[0-9a-f]{4}$", viaRest.User);
        Assert.Equal(("outage-action", "remap M9 to T2", "127.0.0.1"), (viaRest.Action, viaRest.Detail, viaRest.RemoteAddress));
        var viaBoard = Assert.Single(afterBoard.Skip(afterRest.Length));
        Assert.Equal(("ada", "outage-action", "remap M9 to T1", "203.0.113.5"), (viaBoard.User, viaBoard.Action, viaBoard.Detail, viaBoard.RemoteAddress));
    }

    [Fact]
    public async Task Remap_ByADispatcher_IsRefusedThroughEveryDoor_EachRefusalAuditedOnce()
    {
        using (var rest = await PutParent(DispatcherKey, "M9", "T1"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, rest.StatusCode);
        }

        var board = await _host.Get<OutageBoardSource>().RemapAsync("M9", User("dana", "dispatcher"), "T1", "203.0.113.7");
        var job = await _host.Get<MeterCommands>().RemapAsync(Actor.Job("sync", ActorRole.Dispatcher), "M9", "T1");

        Assert.False(board.Succeeded);
        Assert.Equal(CommandStatus.Forbidden, job.Status);
        var rows = Audit();
        Assert.Equal(3, rows.Length);
        Assert.All(rows, r => Assert.Equal(("action-refused", "remap M9 to T1"), (r.Action, r.Detail)));
        Assert.Matches("^api-key:dispatcher:[0-9a-f]{4}$", rows[0].User);
        Assert.Equal(["dana", "job:sync"], rows.Skip(1).Select(r => r.User));
        Assert.Equal(["127.0.0.1", "203.0.113.7", ""], rows.Select(r => r.RemoteAddress ?? ""));
        using var meter = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/meters/M9") { Headers = { { "X-Api-Key", AdminKey } } });
        Assert.Contains("\"remapped\":false", await meter.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TopologyImport_ByADispatcherKey_Is403_AuditedOnce_BeforeTheBodyIsRead()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/topology")
        {
            Content = new StringContent("""{"type":"FeatureCollection","features":[]}""", Encoding.UTF8, "application/geo+json"),
        };
        request.Headers.Add("X-Api-Key", DispatcherKey);

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var row = Assert.Single(Audit());
        Assert.Equal(("admin-refused", TopologyCommands.ImportWhat), (row.Action, row.Detail));
        Assert.Matches("^api-key:dispatcher:[0-9a-f]{4}$", row.User);
    }

    [Fact]
    public async Task Clear_ByADispatcher_IsRefusedAndAuditedOnce_AndHasItsRestRoute()
    {
        var outages = _host.Get<OutageCommands>();

        var dispatcher = await outages.ClearAsync(new Actor("dana", ActorRole.Dispatcher, null, "10.0.0.9"), "O-1");
        var revoked = await outages.ClearAsync(new Actor("ada", ActorRole.Admin, "password reset", "10.0.0.8"), "O-1");
        var unknown = await outages.ClearAsync(new Actor("ada", ActorRole.Admin, null, "10.0.0.8"), "O-1");

        Assert.Equal(CommandStatus.Forbidden, dispatcher.Status);
        Assert.Equal(CommandStatus.SessionEnded, revoked.Status);
        Assert.Equal(CommandStatus.Failed, unknown.Status);
        Assert.Equal(
            [("dana", "action-refused", "clear O-1"), ("ada", "action-refused", "clear O-1: session revoked (password reset)"), ("ada", "outage-action-failed", "clear O-1: no outage 'O-1'")],
            Audit().Select(r => (r.User, r.Action, r.Detail ?? "")));

        // api.md's POST /api/outages/{id}/clear is the REST door to the same command (which reads the meters first).
        var routes = _host.App.Services.GetServices<EndpointDataSource>().SelectMany(d => d.Endpoints).OfType<RouteEndpoint>();
        Assert.Contains(routes, e => e.RoutePattern.RawText == "/api/outages/{id}/clear");
    }

    [Fact]
    public void EveryEngineStateAndLevel_HasItsConsoleValue_OfTheSameName()
    {
        foreach (var state in Enum.GetValues<Engine.Correlation.OutageState>())
        {
            Assert.Equal(state.ToString(), OutageBoardSource.State(state).ToString());
        }

        foreach (var level in Enum.GetValues<Engine.Correlation.OutageLevel>())
        {
            Assert.Equal(level.ToString(), OutageBoardSource.Level(level).ToString());
        }
    }
}
