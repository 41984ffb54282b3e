using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using OpsConsole.Console.Server.Security.Sessions;
using OpsConsole.Console.Server.Security.Users;
using OpsConsole.Engine.Tests.Coap;

namespace OpsConsole.Server.Tests;

/// <summary>Sign-out ends the session on the server (a copied cookie is refused, across a restart); sessions have an absolute lifetime.</summary>
public sealed class SessionSignOutTests
{
    private static string AuthCookie(RunningHost host, Browser browser) => browser.Cookies.GetCookies(host.BaseAddress)["opsconsole.auth"]!.Value;

    /// <summary>A client that sends exactly this cookie (and this site's Origin) on every request, whatever the answers say.</summary>
    private static HttpClient Replaying(RunningHost host, string cookie)
    {
        var http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };
        http.DefaultRequestHeaders.Add("Cookie", $"opsconsole.auth={cookie}");
        http.DefaultRequestHeaders.Add("Origin", host.BaseAddress.GetLeftPart(UriPartial.Authority));
        return http;
    }

    [Fact]
    public async Task SignOut_ACopyOfTheCookieTakenBefore_IsRefused_EvenAfterARestart_TheUsersOtherBrowserStaysIn()
    {
        using var folder = new TempFolder();
        var host = (await RunningHost.StartAsync(folder)).WithStaff();
        string copy;
        string otherBrowser;
        try
        {
            using var desk = await host.SignedInAsync("ada", Staff.AdminPassword);
            using var laptop = await host.SignedInAsync("ada", Staff.AdminPassword);
            copy = AuthCookie(host, desk);
            otherBrowser = AuthCookie(host, laptop);
            using (var before = Replaying(host, copy))
            {
                Assert.Equal(HttpStatusCode.OK, (await before.GetAsync("/api/stats")).StatusCode);
            }

            var signOut = await desk.PostFormAsync("/map", "/account/signout");
            Assert.Equal("/signin", signOut.Headers.Location!.OriginalString);

            using var replay = Replaying(host, copy);
            Assert.Equal(HttpStatusCode.Unauthorized, (await replay.GetAsync("/api/stats")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await replay.PutAsync("/api/meters/M1/parent", JsonContent.Create(new { transformer = "T2" }))).StatusCode);
            Assert.Equal(HttpStatusCode.Redirect, (await replay.GetAsync("/admin/users")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await laptop.Http.GetAsync("/api/stats")).StatusCode); // one browser's sign-out, not the user's
            Assert.Contains(host.Get<AuditLog>().Recent(50), e => e.User == "ada" && e.Action == SessionStamps.RevokedAction && e.Detail == SessionStamps.SignedOutReason);
        }
        finally
        {
            await host.StopKeepingFolderAsync();
        }

        await using var restarted = await RunningHost.StartAsync(folder);
        using var afterRestart = Replaying(restarted, copy);
        using var otherAfterRestart = Replaying(restarted, otherBrowser);
        Assert.Equal(HttpStatusCode.Unauthorized, (await afterRestart.GetAsync("/api/stats")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await otherAfterRestart.GetAsync("/api/stats")).StatusCode);
    }

    [Fact]
    public async Task Session_EndsTwelveHoursAfterSignIn_HoweverActive_AndTheCookieAfterAnHourIdle()
    {
        await using var host = (await RunningHost.StartAsync()).WithStaff();
        var clock = new ManualTimeProvider();
        var sessions = new SessionStamps(host.Get<UserStore>(), host.Get<RevokedSessions>(), clock);
        var ada = host.Get<UserStore>().Find("ada")!;
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, ada.Name), new Claim(ClaimTypes.Role, ada.Role), SessionStamps.Claim(ada), .. sessions.NewSession()],
            CookieAuthenticationDefaults.AuthenticationScheme));

        clock.Advance(TimeSpan.FromHours(12) - TimeSpan.FromMinutes(1));
        Assert.Null(sessions.WhyRevoked(principal));
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(SessionStamps.ExpiredReason, sessions.WhyRevoked(principal));

        var cookie = host.Get<IOptionsMonitor<CookieAuthenticationOptions>>().Get(CookieAuthenticationDefaults.AuthenticationScheme);
        Assert.Equal(TimeSpan.FromHours(1), cookie.ExpireTimeSpan);
        Assert.True(cookie.SlidingExpiration);
    }
}
