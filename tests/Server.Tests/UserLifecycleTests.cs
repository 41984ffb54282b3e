using System.Net;
using System.Security.Claims;
using OpsConsole.Console.Server.Security;
using OpsConsole.Console.Server.Security.Administration;
using OpsConsole.Console.Server.Security.Sessions;
using OpsConsole.Console.Server.Security.Users;

namespace OpsConsole.Server.Tests;

/// <summary>
/// Disable, enable, change role and delete (issue 13 item 9) in the running host over real HTTP: the user's signed-in
/// browser is refused on its very next request, a disabled user cannot sign in, and a lockout keeps its failure count.
/// </summary>
public sealed class UserLifecycleTests : IAsyncLifetime
{
    private RunningHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = (await RunningHost.StartAsync()).WithStaff();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private UserAdministration Administration => _host.Get<UserAdministration>();

    private static ClaimsPrincipal Ada() =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "ada"), new Claim(ClaimTypes.Role, Roles.Admin)], "test"));

    private AuditEntry[] Audit(string user, string action) =>
        [.. _host.Get<AuditLog>().Recent(200).Where(e => e.User == user && e.Action == action)];

    [Fact]
    public async Task Disable_EndsTheSessionAtOnce_RefusesSignIn_WithoutTellingAGuesser_ThenEnableLetsIn()
    {
        using var dana = await _host.SignedInAsync("dana", Staff.DispatcherPassword);
        Assert.Equal(HttpStatusCode.OK, (await dana.Http.GetAsync("/api/outages")).StatusCode);

        Assert.True((await Administration.SetDisabledAsync(Ada(), "dana", disabled: true, "10.0.0.5")).Succeeded);

        Assert.Equal(HttpStatusCode.Unauthorized, (await dana.Http.GetAsync("/api/outages")).StatusCode);
        Assert.Equal(UserStore.DisabledReason, Assert.Single(Audit("dana", SessionStamps.RevokedAction)).Detail);
        var disabled = await dana.SignInAsync("dana", Staff.DispatcherPassword);
        Assert.StartsWith("/signin?error=disabled", disabled.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var guessed = await dana.SignInAsync("dana", "not-the-password-at-all");
        Assert.StartsWith("/signin?error=failed", guessed.Headers.Location!.OriginalString, StringComparison.Ordinal); // as for anyone
        Assert.Equal("account disabled", Assert.Single(Audit("dana", "sign-in-refused")).Detail);
        var listed = (await Administration.ListUsersAsync(Ada(), null)).Items.Single(u => u.Name == "dana");
        Assert.True(listed.Disabled);
        Assert.Equal(1, listed.FailedSignIns); // the guess counts, the right password does not

        Assert.True((await Administration.SetDisabledAsync(Ada(), "dana", disabled: false, "10.0.0.5")).Succeeded);
        var again = await dana.SignInAsync("dana", Staff.DispatcherPassword);
        Assert.Equal("/map", again.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await dana.Http.GetAsync("/api/outages")).StatusCode);
        Assert.Equal(
            ["user-disabled", "user-enabled"],
            _host.Get<AuditLog>().Recent(200).Where(e => e.User == "ada").Select(e => e.Action).Reverse());
    }

    [Fact]
    public async Task ChangeRole_EndsTheSessionWithTheOldRole_AndTheNextSignInCarriesTheNewOne()
    {
        using var dana = await _host.SignedInAsync("dana", Staff.DispatcherPassword);
        Assert.Equal(HttpStatusCode.Forbidden, (await dana.Http.GetAsync("/admin/users")).StatusCode);

        Assert.True((await Administration.ChangeRoleAsync(Ada(), "dana", Roles.Admin, "10.0.0.5")).Succeeded);

        Assert.Equal(HttpStatusCode.Unauthorized, (await dana.Http.GetAsync("/api/outages")).StatusCode);
        Assert.Equal(UserStore.RoleChangedReason, Assert.Single(Audit("dana", SessionStamps.RevokedAction)).Detail);
        Assert.Equal("/map", (await dana.SignInAsync("dana", Staff.DispatcherPassword)).Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await dana.Http.GetAsync("/admin/users")).StatusCode);
        Assert.Equal("dana: dispatcher to admin; signed out everywhere", Assert.Single(Audit("ada", "role-changed")).Detail);
    }

    [Fact]
    public async Task Delete_EndsTheSession_KeepsTheUsersAuditEntries_AndTheNameCanBeCreatedAgain()
    {
        using var dana = await _host.SignedInAsync("dana", Staff.DispatcherPassword);

        Assert.True((await Administration.DeleteAsync(Ada(), "dana", "10.0.0.5")).Succeeded);

        Assert.Equal(HttpStatusCode.Unauthorized, (await dana.Http.GetAsync("/api/outages")).StatusCode);
        Assert.Equal(SessionStamps.UnknownUserReason, Assert.Single(Audit("dana", SessionStamps.RevokedAction)).Detail);
        Assert.Null(_host.Get<UserStore>().Find("dana"));
        Assert.Single(Audit("dana", "sign-in")); // the audit keeps what the user did
        Assert.Equal("dana (dispatcher); signed out everywhere", Assert.Single(Audit("ada", "user-deleted")).Detail);
        Assert.StartsWith("/signin?error=failed", (await dana.SignInAsync("dana", Staff.DispatcherPassword)).Headers.Location!.OriginalString, StringComparison.Ordinal);

        Assert.True((await Administration.CreateUserAsync(Ada(), "dana", Roles.Dispatcher, "a-long-enough-password", "10.0.0.5")).Succeeded);
        Assert.Equal("/account/password", (await dana.SignInAsync("dana", "a-long-enough-password")).Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task TheLastAdmin_AndOneself_AreRefusedWithAClearError()
    {
        var root = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "root"), new Claim(ClaimTypes.Role, Roles.Admin)], "test"));
        foreach (var other in _host.Get<UserStore>().All().Where(u => u.Role == Roles.Admin && u.Name != "ada"))
        {
            Assert.True((await Administration.DeleteAsync(root, other.Name, null)).Succeeded); // the first start's generated admin
        }

        var self = await Administration.DeleteAsync(Ada(), "ada", "10.0.0.5");
        var last = await Administration.ChangeRoleAsync(root, "ada", Roles.Dispatcher, "10.0.0.5");

        Assert.Equal("You cannot delete your own account: ask another administrator.", self.Error);
        Assert.Equal("ada is the last enabled administrator: make another user admin (or enable one) first.", last.Error);
        Assert.Equal(Roles.Admin, _host.Get<UserStore>().Find("ada")!.Role);
    }

    [Fact]
    public async Task ALockedAccount_ShowsTheFailuresThatLedToTheLock()
    {
        var signIn = _host.Get<SignInService>();
        SignInCheck last = null!;
        for (int i = 0; i < SignInService.MaxFailures; i++)
        {
            last = signIn.Check("dana", "wrong-password-" + i, "10.0.0.9");
        }

        Assert.Equal(SignInOutcome.LockedOut, last.Outcome);
        Assert.Equal(SignInOutcome.LockedOut, signIn.Check("dana", Staff.DispatcherPassword, "10.0.0.9").Outcome); // refused while locked: not counted
        var listed = (await Administration.ListUsersAsync(Ada(), null)).Items.Single(u => u.Name == "dana");
        Assert.NotNull(listed.LockedUntil);
        Assert.Equal(SignInService.MaxFailures, listed.FailedSignIns);
    }
}
