using System.Net;
using System.Security.Claims;
using LiteDB;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using OpsConsole.Console.Server.Security.Administration;
using OpsConsole.Console.Server.Security;
using OpsConsole.Console.Server.Security.Sessions;
using OpsConsole.Console.Server.Security.Users;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.LiteDb;

namespace OpsConsole.Server.Tests;

/// <summary>
/// Security stamps over real HTTP in the running host: a password reset or change ends the sessions issued
/// before it, on their next request, audited once per cookie.
/// </summary>
public sealed class SessionStampTests : IAsyncLifetime
{
    private RunningHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = (await RunningHost.StartAsync()).WithStaff();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>The browser's sign-in cookie, to replay after the browser has dropped it.</summary>
    private string AuthCookie(Browser browser) => browser.Cookies.GetCookies(_host.BaseAddress)["opsconsole.auth"]!.Value;

    /// <summary>A client that sends exactly this cookie on every request, whatever the answers say.</summary>
    private HttpClient Replaying(string cookie)
    {
        var http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = _host.BaseAddress };
        http.DefaultRequestHeaders.Add("Cookie", $"opsconsole.auth={cookie}");
        return http;
    }

    private AuditEntry[] Revoked(string user) =>
        [.. _host.Get<AuditLog>().Recent(100).Where(e => e.User == user && e.Action == SessionStamps.RevokedAction)];

    private static ClaimsPrincipal Admin() =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "ada"), new Claim(ClaimTypes.Role, Roles.Admin)], "test"));

    [Fact]
    public async Task PasswordReset_OldCookie_IsSignedOutOnItsNextRequest_AuditedOnce()
    {
        using var dana = await _host.SignedInAsync("dana", Staff.DispatcherPassword);
        string oldCookie = AuthCookie(dana);
        Assert.Equal(HttpStatusCode.OK, (await dana.Http.GetAsync("/api/outages")).StatusCode);

        var reset = await _host.Get<UserAdministration>().ResetPasswordAsync(Admin(), "dana", "10.0.0.5");
        Assert.True(reset.Succeeded);

        var api = await dana.Http.GetAsync("/api/outages");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Contains(api.Headers.GetValues("Set-Cookie"), c => c.StartsWith("opsconsole.auth=;", StringComparison.Ordinal)); // deleted
        using var replay = Replaying(oldCookie);
        var page = await replay.GetAsync("/outages");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/signin", page.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await replay.GetAsync("/api/stats")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await replay.PostAsync("/_blazor/negotiate?negotiateVersion=1", null)).StatusCode);

        var revoked = Assert.Single(Revoked("dana")); // four requests with the revoked cookie, one entry
        Assert.Equal(UserStore.PasswordResetReason, revoked.Detail);
        Assert.Equal("127.0.0.1", revoked.RemoteAddress);
        Assert.Contains(_host.Get<AuditLog>().Recent(100), e => e.User == "ada" && e.Action == "password-reset" && e.RemoteAddress == "10.0.0.5");

        var again = await dana.SignInAsync("dana", reset.TemporaryPassword!); // the temporary password works; it must be changed first
        Assert.Equal("/account/password", again.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task OwnPasswordChange_KeepsThisBrowserSignedIn_AndSignsOutTheOthers()
    {
        using var desk = await _host.SignedInAsync("dana", Staff.DispatcherPassword);
        using var laptop = await _host.SignedInAsync("dana", Staff.DispatcherPassword);
        using var ada = await _host.SignedInAsync("ada", Staff.AdminPassword);

        var changed = await desk.PostFormAsync("/account/password", "/account/password",
            ("current", Staff.DispatcherPassword), ("password", "storm-night-2026!"), ("confirm", "storm-night-2026!"));

        Assert.Equal("/", changed.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await desk.Http.GetAsync("/api/outages")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await desk.Http.GetAsync("/map")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await laptop.Http.GetAsync("/api/outages")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ada.Http.GetAsync("/api/outages")).StatusCode); // another user's session is not touched
        Assert.Equal(UserStore.PasswordChangedReason, Assert.Single(Revoked("dana")).Detail);
        Assert.Empty(Revoked("ada"));
    }

    [Fact]
    public async Task UserStoredBeforeStamps_GetsOneOnFirstRead_ItsOldCookieSignsInAgain()
    {
        // A user as an older console stored it: no stamp fields.
        var hash = new PasswordHasher<ConsoleUser>().HashPassword(new ConsoleUser(), Staff.DispatcherPassword);
        _host.Get<LiteStore>().Database.GetCollection(LiteUserAccountStore.CollectionName).Insert(new BsonDocument
        {
            ["_id"] = "olga",
            ["Name"] = "olga",
            ["Role"] = Roles.Dispatcher,
            ["PasswordHash"] = hash,
            ["MustChangePassword"] = false,
            ["FailedSignIns"] = 0,
            ["CreatedAt"] = DateTime.UtcNow,
        });
        // Its cookie, as that console issued it: no stamp claim.
        var options = _host.Get<IOptionsMonitor<CookieAuthenticationOptions>>().Get(CookieAuthenticationDefaults.AuthenticationScheme);
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "olga"), new Claim(ClaimTypes.Role, Roles.Dispatcher)], CookieAuthenticationDefaults.AuthenticationScheme);
        var now = DateTimeOffset.UtcNow;
        string oldCookie = options.TicketDataFormat.Protect(new AuthenticationTicket(
            new ClaimsPrincipal(identity), new AuthenticationProperties { IssuedUtc = now, ExpiresUtc = now.AddHours(1) }, CookieAuthenticationDefaults.AuthenticationScheme));

        var users = _host.Get<UserStore>();
        string stamp = users.Find("olga")!.SecurityStamp;
        Assert.Matches("^[0-9A-F]{32}$", stamp);
        Assert.Equal(stamp, users.Find("olga")!.SecurityStamp); // stored, not made anew on each read
        Assert.True(users.Verify(users.Find("olga")!, Staff.DispatcherPassword));

        using var replay = Replaying(oldCookie);
        Assert.Equal(HttpStatusCode.Unauthorized, (await replay.GetAsync("/api/outages")).StatusCode);
        Assert.Equal(SessionStamps.NoStampReason, Assert.Single(Revoked("olga")).Detail);
        using var olga = await _host.SignedInAsync("olga", Staff.DispatcherPassword);
        Assert.Equal(HttpStatusCode.OK, (await olga.Http.GetAsync("/api/outages")).StatusCode);
    }

    [Fact]
    public void UpdateWithACopyReadBeforeAReset_DoesNotBringBackTheOldPasswordOrStamp()
    {
        var users = _host.Get<UserStore>();
        var stale = users.Find("dana")!;
        string oldStamp = stale.SecurityStamp;
        users.SetTemporaryPassword(users.Find("dana")!, "a-temporary-password-1");

        stale.FailedSignIns = 2; // what a sign-in attempt that read the user before the reset writes back
        users.Update(stale);

        var stored = users.Find("dana")!;
        Assert.Equal(2, stored.FailedSignIns);
        Assert.NotEqual(oldStamp, stored.SecurityStamp);
        Assert.Equal(stored.SecurityStamp, users.SecurityStampOf("dana")!.Value.Value);
        Assert.True(stored.MustChangePassword);
        Assert.True(users.Verify(stored, "a-temporary-password-1"));
        Assert.False(users.Verify(stored, Staff.DispatcherPassword));
    }
}
