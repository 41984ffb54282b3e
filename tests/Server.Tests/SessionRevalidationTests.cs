using System.Net;
using System.Reflection;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using OpsConsole.Console.Client.Admin;
using OpsConsole.Console.Client.Outages;
using OpsConsole.Console.Server.Security;
using OpsConsole.Console.Server.Security.Circuits;
using OpsConsole.Console.Server.Security.Sessions;
using OpsConsole.Console.Server.Security.Users;

namespace OpsConsole.Server.Tests;

/// <summary>
/// Open pages after a password reset, in the running host: the circuit's revalidating authentication state
/// provider and the services behind the pages refuse a session whose stamp is no longer the user's.
/// </summary>
public sealed class SessionRevalidationTests : IAsyncLifetime
{
    private const string CircuitAddress = "198.51.100.4";
    private readonly List<IServiceScope> _scopes = [];
    private RunningHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await RunningHost.StartAsync();
        var users = _host.Get<UserStore>();
        users.TryCreate("dana", Roles.Dispatcher, "dispatch-shift-7!", mustChangePassword: false, DateTime.UtcNow);
        users.TryCreate("ada", Roles.Admin, "admin-of-the-night-1", mustChangePassword: false, DateTime.UtcNow);
    }

    public async Task DisposeAsync()
    {
        _scopes.ForEach(s => s.Dispose());
        await _host.DisposeAsync();
    }

    /// <summary>A circuit's services: a scope whose remote address is <see cref="CircuitAddress"/>.</summary>
    private IServiceProvider Circuit()
    {
        var scope = _host.App.Services.CreateScope();
        _scopes.Add(scope);
        scope.ServiceProvider.GetRequiredService<CircuitRemoteAddress>().Set(IPAddress.Parse(CircuitAddress));
        return scope.ServiceProvider;
    }

    /// <summary>The principal a sign-in cookie of <paramref name="name"/> carries, issued now.</summary>
    private ClaimsPrincipal CookieSession(string name)
    {
        var user = _host.Get<UserStore>().Find(name)!;
        return new(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Role, user.Role), SessionStamps.Claim(user), .. _host.Get<SessionStamps>().NewSession()],
            CookieAuthenticationDefaults.AuthenticationScheme));
    }

    /// <summary>
    /// What Blazor calls every <see cref="SessionRevalidatingStateProvider.Interval"/>: the provider's
    /// <c>ValidateAuthenticationStateAsync</c> (protected, so called directly here instead of waiting 30 s).
    /// </summary>
    private static Task<bool> ValidateAsync(AuthenticationStateProvider provider, ClaimsPrincipal user) =>
        (Task<bool>)typeof(RevalidatingServerAuthenticationStateProvider)
            .GetMethod("ValidateAuthenticationStateAsync", BindingFlags.Instance | BindingFlags.NonPublic)!
            .Invoke(provider, [new AuthenticationState(user), CancellationToken.None])!;

    private Task<AdminResult> ResetAsync(string name) =>
        Circuit().GetRequiredService<IUserAdministration>().ResetPasswordAsync(CookieSession("ada"), name);

    [Fact]
    public async Task CircuitProvider_IsTrueForTheCurrentStamp_FalseAfterAReset_AndAuditsWithTheCircuitAddress()
    {
        var provider = Circuit().GetRequiredService<AuthenticationStateProvider>();
        Assert.IsType<SessionRevalidatingStateProvider>(provider);
        var dana = CookieSession("dana");

        Assert.True(await ValidateAsync(provider, dana));
        Assert.True((await ResetAsync("dana")).Succeeded);
        Assert.False(await ValidateAsync(provider, dana));
        Assert.True(await ValidateAsync(provider, CookieSession("dana"))); // signed in again after the reset

        var revoked = Assert.Single(_host.Get<AuditLog>().Recent(50), e => e.Action == SessionStamps.RevokedAction);
        Assert.Equal("dana", revoked.User);
        Assert.Equal(CircuitAddress, revoked.RemoteAddress);
        Assert.Equal("password reset; open page signed out", revoked.Detail);
    }

    [Fact]
    public async Task CircuitProvider_KeepsApiKeyClients_AndRefusesCookiesWithoutAStampOrAUser()
    {
        var provider = Circuit().GetRequiredService<AuthenticationStateProvider>();
        var apiKey = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, "api-key:dispatcher:ab12"), new Claim(ClaimTypes.Role, Roles.Dispatcher)], ApiKeyAuthenticationHandler.SchemeName));
        var noStamp = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, "dana"), new Claim(ClaimTypes.Role, Roles.Dispatcher)], CookieAuthenticationDefaults.AuthenticationScheme));
        var gone = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, "nobody"), new Claim(SessionStamps.ClaimType, "00")], CookieAuthenticationDefaults.AuthenticationScheme));

        Assert.True(await ValidateAsync(provider, apiKey));
        Assert.False(await ValidateAsync(provider, noStamp));
        Assert.False(await ValidateAsync(provider, gone));
        var details = _host.Get<AuditLog>().Recent(50).Where(e => e.Action == SessionStamps.RevokedAction).Select(e => e.Detail).ToArray();
        Assert.Contains($"{SessionStamps.NoStampReason}; open page signed out", details);
        Assert.Contains($"{SessionStamps.UnknownUserReason}; open page signed out", details);
    }

    [Fact]
    public async Task BoardAction_OfARevokedSession_IsRefusedAtOnce_BeforeTheNextRevalidation()
    {
        var dana = CookieSession("dana");
        var board = Circuit().GetRequiredService<IOutageBoardSource>();
        Assert.Contains("no outage", (await board.AcknowledgeAsync("O-404", dana)).Error, StringComparison.OrdinalIgnoreCase);

        await ResetAsync("dana");
        var refused = await board.AcknowledgeAsync("O-404", dana);

        Assert.False(refused.Succeeded);
        Assert.Contains("session has ended", refused.Error, StringComparison.Ordinal);
        var entry = _host.Get<AuditLog>().Recent(50).First(e => e.User == "dana");
        Assert.Equal(("action-refused", "acknowledge O-404: session revoked (password reset)", CircuitAddress), (entry.Action, entry.Detail, entry.RemoteAddress));
    }

    [Fact]
    public async Task AdminAction_OfARevokedAdminSession_IsRefusedAtOnce()
    {
        var ada = CookieSession("ada");
        var admin = Circuit().GetRequiredService<IUserAdministration>();
        _host.Get<UserStore>().SetPassword(_host.Get<UserStore>().Find("ada")!, "a-new-admin-password-2"); // ada changed it in another browser

        var unlock = await admin.UnlockAsync(ada, "dana");
        var list = await admin.ListUsersAsync(ada);

        Assert.False(unlock.Succeeded);
        Assert.Empty(list.Items);
        var entry = _host.Get<AuditLog>().Recent(50).First(e => e.User == "ada");
        Assert.Equal(("admin-refused", "list users: session revoked (password changed)", CircuitAddress), (entry.Action, entry.Detail, entry.RemoteAddress));
    }
}
