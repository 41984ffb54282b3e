using System.Net;
using OpsConsole.Console.Server.Security;
using OpsConsole.Console.Server.Security.Users;

namespace OpsConsole.Server.Tests;

/// <summary>The admin pages over real HTTP in the running host: roles enforced by the server, 403 in place of a redirect.</summary>
public sealed class AdminPagesTests : IAsyncLifetime
{
    private RunningHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = (await RunningHost.StartAsync()).WithStaff();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("/admin/users")]
    [InlineData("/admin/audit")]
    [InlineData("/admin/network")]
    [InlineData("/admin/unmapped")]
    [InlineData("/admin/chronic")]
    public async Task Dispatcher_GetsA403_NotARedirect(string page)
    {
        using var browser = await _host.SignedInAsync("dana", Staff.DispatcherPassword);

        var response = await browser.Http.GetAsync(page);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("Your role does not allow this page", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispatcher_ApiForbidden_StaysABare403()
    {
        using var browser = await _host.SignedInAsync("dana", Staff.DispatcherPassword);

        var response = await browser.Http.PutAsync("/api/meters/M1/parent", System.Net.Http.Json.JsonContent.Create(new { transformer = "T2" }));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain("Your role does not allow", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/admin/users", "dana")]
    [InlineData("/admin/audit", "sign-in")]
    [InlineData("/admin/network", "small.geojson")]
    [InlineData("/admin/unmapped", "Transformer for M9")]
    [InlineData("/admin/chronic", "No meter has been cleared that often.")]
    public async Task Admin_Gets200_WithThePage(string page, string expected)
    {
        using var browser = await _host.SignedInAsync("ada", Staff.AdminPassword);

        var response = await browser.Http.GetAsync(page);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string html = await response.Content.ReadAsStringAsync();
        Assert.Contains(expected, html, StringComparison.Ordinal);
        Assert.Contains("ada (admin)", html, StringComparison.Ordinal); // the app bar names who is signed in
    }

    [Theory]
    [InlineData("/admin/users")]
    [InlineData("/admin/audit")]
    [InlineData("/admin/network")]
    [InlineData("/admin/unmapped")]
    public async Task Anonymous_IsRedirectedToSignIn(string page)
    {
        using var browser = new Browser(_host.BaseAddress);

        var response = await browser.Http.GetAsync(page);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/signin", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }
}
