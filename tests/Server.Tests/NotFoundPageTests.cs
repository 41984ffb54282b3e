using System.Net;

namespace OpsConsole.Server.Tests;

/// <summary>
/// An address that is no page gets a "not found" page in the console's layout with the ways back, still a 404; the
/// API, assets and anonymous callers keep their own answers.
/// </summary>
public sealed class NotFoundPageTests : IAsyncLifetime
{
    private RunningHost _host = null!;

    public async Task InitializeAsync() => _host = (await RunningHost.StartAsync()).WithStaff();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("/no/such/page")]
    [InlineData("/outage")]
    [InlineData("/outages/O-1/typo?x=1")]
    public async Task UnknownAddress_SignedIn_Is404WithTheNotFoundPageInTheLayout_AndTheWaysBack(string path)
    {
        using var browser = await _host.SignedInAsync("dana", Staff.DispatcherPassword);

        var response = await browser.Http.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(response.Headers.Location); // no redirect: the address stays
        Assert.StartsWith("text/html", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        Assert.Contains("Nothing at this address.", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"/map\">Back to the map</a>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"/outages\">Outages board</a>", html, StringComparison.Ordinal);
        Assert.Contains("mud-appbar", html, StringComparison.Ordinal); // the console's own layout
        Assert.Contains("<title>Not found · OpsConsole</title>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownApiRoute_IsA404Problem_NotThePage()
    {
        using var browser = await _host.SignedInAsync("dana", Staff.DispatcherPassword);

        var response = await browser.Http.GetAsync("/api/no-such-thing");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"status\":404", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Nothing at this address", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KnownApiRoute_NotFoundAnswer_IsUnchanged()
    {
        using var browser = await _host.SignedInAsync("dana", Staff.DispatcherPassword);

        var response = await browser.Http.GetAsync("/api/outages/O-999");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no outage 'O-999'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/lib/leaflet/nope.js")]
    [InlineData("/_content/OpsConsole.Console.Client/nope.css")]
    [InlineData("/favicon-missing.ico")]
    public async Task MissingAsset_StaysABare404(string path)
    {
        using var browser = await _host.SignedInAsync("dana", Staff.DispatcherPassword);

        var response = await browser.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("Nothing at this address", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownAddress_Anonymous_GoesToTheSignInPage()
    {
        using var browser = new Browser(_host.BaseAddress);

        var response = await browser.Http.GetAsync("/no/such/page");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/signin?returnUrl=", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }
}
