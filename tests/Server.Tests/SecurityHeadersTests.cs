using System.Net;

namespace OpsConsole.Server.Tests;

/// <summary>Content-Security-Policy, nosniff, referrer policy and no framing, on pages, API answers and refusals.</summary>
public sealed class SecurityHeadersTests : IAsyncLifetime
{
    private RunningHost _host = null!;

    public async Task InitializeAsync() => _host = (await RunningHost.StartAsync("--Map:TileUrl=https://{s}.tiles.utility.example/{z}/{x}/{y}.png")).WithStaff();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static void AssertHeaders(HttpResponseMessage response, string what)
    {
        string csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal); // no inline script, no eval
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("object-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("img-src 'self' data: blob: https://*.tiles.utility.example;", csp, StringComparison.Ordinal);
        Assert.True(response.Headers.TryGetValues("X-Content-Type-Options", out var nosniff) && nosniff.Single() == "nosniff", what);
        Assert.True(response.Headers.TryGetValues("Referrer-Policy", out var referrer) && referrer.Single() == "same-origin", what);
        Assert.True(response.Headers.TryGetValues("X-Frame-Options", out var frame) && frame.Single() == "DENY", what);
    }

    [Fact]
    public async Task PagesApiAnswersAndRefusals_CarryTheSecurityHeaders()
    {
        using var dana = await _host.SignedInAsync("dana", Staff.DispatcherPassword);
        using var anonymous = new Browser(_host.BaseAddress);

        using var page = await dana.Http.GetAsync("/map");
        using var signIn = await anonymous.Http.GetAsync("/signin");
        using var api = await dana.Http.GetAsync("/api/stats");
        using var refused = await anonymous.Http.GetAsync("/api/stats");
        using var health = await anonymous.Http.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        AssertHeaders(page, "page");
        AssertHeaders(signIn, "sign-in page");
        AssertHeaders(api, "API answer");
        AssertHeaders(refused, "401");
        AssertHeaders(health, "/healthz");
    }
}
