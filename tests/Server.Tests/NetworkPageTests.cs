using System.Security.Claims;
using Bunit;
using MudBlazor.Services;
using OpsConsole.Console.Client.Admin;
using OpsConsole.Console.Client.Layout;
using OpsConsole.Console.Client.Pages.Admin;

namespace OpsConsole.Server.Tests;

/// <summary>The network admin page over a fake administration: the roll-back asks for confirmation first.</summary>
public sealed class NetworkPageTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 18, 30, 0, TimeSpan.Zero);
    private readonly BunitContext _ctx = new();
    private readonly FakeNetwork _network = new();

    public NetworkPageTests()
    {
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _ctx.Services.AddMudServices();
        _ctx.Services.AddSingleton<INetworkAdministration>(_network);
        var auth = _ctx.AddAuthorization();
        auth.SetAuthorized("ada");
        auth.SetRoles("admin");
        _ctx.Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    [Fact]
    public void RollBack_AsksForConfirmation_ThenCallsTheServer_CancelCallsNothing()
    {
        _network.Status = new NetworkStatus(new StoredNetworkRow("POST /api/topology", 0, Now), 0, new StoredNetworkRow("small.geojson", 13, Now.AddDays(-1)));
        var cut = _ctx.Render<NetworkPage>();
        Assert.Contains("has no meters", cut.Markup, StringComparison.Ordinal);

        cut.Find("button[aria-label='Roll back']").Click();
        cut.WaitForAssertion(() => Assert.Contains("small.geojson (13 features)?", cut.Find("[aria-label='Confirm roll-back']").TextContent, StringComparison.Ordinal));
        Assert.Equal(0, _network.RollBacks);
        cut.Find("button[aria-label='Cancel roll back']").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[aria-label='Confirm roll-back']")));
        Assert.Equal(0, _network.RollBacks);

        cut.Find("button[aria-label='Roll back']").Click();
        cut.WaitForAssertion(() => cut.Find("button[aria-label='Confirm roll back']").Click());
        cut.WaitForAssertion(() => Assert.Equal(1, _network.RollBacks));
        Assert.Equal("ada", _network.Caller);
        cut.WaitForAssertion(() => Assert.Contains("in force again", cut.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public void RollBack_IsDisabled_WhenNoPreviousNetworkIsKept()
    {
        _network.Status = new NetworkStatus(new StoredNetworkRow("small.geojson", 13, Now), 5, null);
        var cut = _ctx.Render<NetworkPage>();

        Assert.True(cut.Find("button[aria-label='Roll back']").HasAttribute("disabled"));
        Assert.Contains("none kept", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void NavMenu_LinksTheNetworkPage_ForAdmins()
    {
        var cut = _ctx.Render<NavMenu>();

        Assert.Single(cut.FindAll("a[href='admin/network']"));
    }

    private sealed class FakeNetwork : INetworkAdministration
    {
        public NetworkStatus? Status { get; set; }

        public int RollBacks { get; private set; }

        public string? Caller { get; private set; }

        public Task<NetworkStatus?> StatusAsync(ClaimsPrincipal user) => Task.FromResult(Status);

        public Task<AdminResult> RollBackAsync(ClaimsPrincipal user)
        {
            RollBacks++;
            Caller = user.Identity?.Name;
            Status = Status! with { Previous = Status.InForce, InForce = Status.Previous, Meters = 5 };
            return Task.FromResult(AdminResult.Ok);
        }
    }
}
