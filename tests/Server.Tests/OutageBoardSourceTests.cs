using System.Security.Claims;
using OpsConsole.Console.Server.Outages;
using OpsConsole.Console.Server.Security.Users;

namespace OpsConsole.Server.Tests;

/// <summary>The board's server side in the running host: roles enforced and audited whatever the browser shows.</summary>
public sealed class OutageBoardSourceTests : IAsyncLifetime
{
    private RunningHost _host = null!;

    public async Task InitializeAsync() => _host = await RunningHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static ClaimsPrincipal User(string name, string? role) =>
        new(new ClaimsIdentity(role is null ? [new Claim(ClaimTypes.Name, name)] : [new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], "test"));

    [Fact]
    public async Task Remap_ByADispatcher_IsRefusedAndAudited()
    {
        var source = _host.Get<OutageBoardSource>();

        var result = await source.RemapAsync("M9", User("dana", "dispatcher"), "T1", "203.0.113.5");

        Assert.False(result.Succeeded);
        Assert.Contains(_host.Get<AuditLog>().Recent(5), e => e.User == "dana" && e.Action == "action-refused" && e.Detail == "remap M9 to T1" && e.RemoteAddress == "203.0.113.5");
    }

    [Fact]
    public async Task Remap_ByAnAdmin_IsAppliedAndAudited()
    {
        var source = _host.Get<OutageBoardSource>();

        var result = await source.RemapAsync("M9", User("ada", "admin"), "T1", "203.0.113.5");

        Assert.True(result.Succeeded, result.Error);
        Assert.Contains(_host.Get<AuditLog>().Recent(5), e => e.User == "ada" && e.Action == "outage-action" && e.Detail == "remap M9 to T1" && e.RemoteAddress == "203.0.113.5");
    }

    [Fact]
    public async Task Acknowledge_WithoutARole_OrOnAnUnknownOutage_Fails()
    {
        var source = _host.Get<OutageBoardSource>();

        var noRole = await source.AcknowledgeAsync("O-1", User("mallory", null), null);
        var unknown = await source.AcknowledgeAsync("O-999", User("dana", "dispatcher"), null);

        Assert.False(noRole.Succeeded);
        Assert.False(unknown.Succeeded);
        Assert.False(string.IsNullOrEmpty(unknown.Error));
    }
}
