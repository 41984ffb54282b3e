using System.Security.Claims;
using Bunit;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor.Services;
using OpsConsole.Console.Client;
using OpsConsole.Console.Client.Admin;
using OpsConsole.Console.Client.Outages;

namespace OpsConsole.Server.Tests;

/// <summary>The router inside a circuit (no host, no browser): an open page whose session is revoked gives way to the sign-in page.</summary>
public sealed class RoutesTests : IAsyncLifetime
{
    private readonly BunitContext _ctx = new();
    private readonly OutageBoardTests.FakeBoard _board = OutageBoardTests.FakeBoard.Empty();
    private readonly SwitchableAuthentication _auth = new();

    public RoutesTests()
    {
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _ctx.Services.AddMudServices();
        _ctx.Services.AddSingleton<IOutageBoardSource>(_board);
        _ctx.Services.AddSingleton<IUserAdministration>(new NoAdministration());
        _ctx.Services.AddSingleton(TimeProvider.System);

        // The real authorization services over a state the test switches, as the circuit's provider does.
        _ctx.Services.AddAuthorizationCore();
        _ctx.Services.AddSingleton<IAuthorizationService, DefaultAuthorizationService>(); // in place of bUnit's placeholder
        _ctx.Services.AddSingleton<IAuthorizationPolicyProvider, DefaultAuthorizationPolicyProvider>();
        _ctx.Services.AddCascadingAuthenticationState();
        _ctx.Services.AddSingleton<AuthenticationStateProvider>(_auth);
        _ctx.Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true)); // the board's controls wait for the circuit
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    [Fact]
    public void OpenBoard_WhenTheSessionIsRevoked_GoesToTheSignInPage()
    {
        _auth.SignIn("dana", "dispatcher");
        var navigation = _ctx.Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("outages?state=Confirmed");
        var cut = _ctx.Render<Routes>();
        Assert.NotEmpty(cut.FindAll("[aria-label='Active outages']"));

        _auth.SignOut(); // what the revalidating provider does when the stamp no longer matches
        cut.WaitForAssertion(() => Assert.Equal("signin?error=ended&returnUrl=%2Foutages%3Fstate%3DConfirmed", navigation.ToBaseRelativePath(navigation.Uri)));
        Assert.Empty(cut.FindAll("[aria-label='Active outages']"));
    }

    [Fact]
    public void AdminPage_ForASignedInDispatcher_SaysSo_WithoutLeavingThePage()
    {
        _auth.SignIn("dana", "dispatcher");
        var navigation = _ctx.Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("admin/users");

        var cut = _ctx.Render<Routes>();

        Assert.Contains("Your role does not allow this page.", cut.Find("[role='alert']").TextContent, StringComparison.Ordinal);
        Assert.Equal("admin/users", navigation.ToBaseRelativePath(navigation.Uri));
    }

    [Fact]
    public void UnknownAddress_InTheCircuit_ShowsTheNotFoundMessageWithTheWaysBack()
    {
        _auth.SignIn("dana", "dispatcher");
        _ctx.Services.GetRequiredService<NavigationManager>().NavigateTo("no/such/page");

        var cut = _ctx.Render<Routes>();

        Assert.Contains("Nothing at this address.", cut.Find("[aria-label='Not found']").TextContent, StringComparison.Ordinal);
        Assert.Equal(["/map", "/outages"], cut.FindAll("[aria-label='Not found'] a").Select(a => a.GetAttribute("href")));
    }

    private sealed class SwitchableAuthentication : AuthenticationStateProvider
    {
        private ClaimsPrincipal _user = new(new ClaimsIdentity());

        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(_user));

        public void SignIn(string name, string role) =>
            Set(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], "Cookies")));

        public void SignOut() => Set(new ClaimsPrincipal(new ClaimsIdentity()));

        private void Set(ClaimsPrincipal user)
        {
            _user = user;
            NotifyAuthenticationStateChanged(GetAuthenticationStateAsync());
        }
    }

    /// <summary>Never reached: the router stops a dispatcher before the users page.</summary>
    private sealed class NoAdministration : IUserAdministration
    {
        public Task<AdminQuery<UserSummary>> ListUsersAsync(ClaimsPrincipal user) => throw new InvalidOperationException();

        public Task<AdminResult> CreateUserAsync(ClaimsPrincipal user, string name, string role, string temporaryPassword) => throw new InvalidOperationException();

        public Task<AdminResult> UnlockAsync(ClaimsPrincipal user, string name) => throw new InvalidOperationException();

        public Task<AdminResult> ResetPasswordAsync(ClaimsPrincipal user, string name) => throw new InvalidOperationException();

        public Task<AdminResult> SetDisabledAsync(ClaimsPrincipal user, string name, bool disabled) => throw new InvalidOperationException();

        public Task<AdminResult> ChangeRoleAsync(ClaimsPrincipal user, string name, string role) => throw new InvalidOperationException();

        public Task<AdminResult> DeleteAsync(ClaimsPrincipal user, string name) => throw new InvalidOperationException();

        public Task<AdminQuery<AuditRow>> RecentAuditAsync(ClaimsPrincipal user, int count) => throw new InvalidOperationException();
    }
}
