using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace OpsConsole.Browser.Tests;

/// <summary>
/// The server stops under an open page (killed, as a crash or a power cut would): the page says its data is stale and
/// since when, instead of showing old figures behind the stock "Rejoin failed" dialog, and once the server is back it
/// reconnects by itself (a fresh page: the restarted server no longer knows the old circuit) and is live again.
/// </summary>
public sealed class ConnectionLostTests(RestartedServer server, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<RestartedServer>, IClassFixture<BrowserFixture>
{
    private const float ActionTimeoutMs = 30_000;

    /// <summary>The server's restart included: start, store, network, healthy.</summary>
    private const float BackTimeoutMs = 90_000;

    private readonly PageDiagnostics _diagnostics = new(output, server);

    [Fact]
    public Task ServerStops_BannerSaysDataIsStaleSinceTheLastUpdate_AndThePageReconnectsByItselfWhenItIsBack() => _diagnostics.Run(async () =>
    {
        var page = await browser.NewPageAsync(server.BaseAddress); // not watched: the failed reconnection attempts are console errors by design
        await server.SignInAsync(page);
        await page.GotoAsync("outages");
        var strip = page.GetByRole(AriaRole.Region, new() { Name = "Summary", Exact = true });
        await Expect(strip.GetByLabel("Active outages", new() { Exact = true })).ToHaveTextAsync("Active outages: 0", new() { Timeout = ActionTimeoutMs });
        var asOf = strip.GetByLabel("Data as of", new() { Exact = true });
        await Expect(asOf).ToHaveTextAsync(new Regex("^as of \\d\\d:\\d\\d:\\d\\d$"), new() { Timeout = ActionTimeoutMs });
        var banner = page.GetByRole(AriaRole.Alert, new() { Name = "Connection lost", Exact = true });
        await Expect(banner).ToBeHiddenAsync();

        await server.KillAsync();
        var killedAt = DateTimeOffset.UtcNow;

        // Stale, and since when: the time of the last figures the page received, which it keeps showing.
        await Expect(banner).ToBeVisibleAsync(new() { Timeout = ActionTimeoutMs });
        string last = (await asOf.GetAttributeAsync("data-as-of"))!;
        await Expect(banner).ToContainTextAsync("Connection lost — data as of " + last);
        var lastTime = DateTimeOffset.ParseExact(killedAt.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) + "T" + last + "Z",
            "yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        output.WriteLine($"Killed at {killedAt:HH:mm:ss.fff}; banner: \"{(await banner.InnerTextAsync()).Trim()}\".");
        Assert.InRange((killedAt - lastTime).TotalSeconds, -1, 5); // the strip is refreshed every second while connected
        await Expect(page.Locator("body")).ToHaveClassAsync(new Regex("\\boc-stale\\b")); // the old figures are greyed out
        await Expect(page.Locator("#components-reconnect-modal")).ToHaveCountAsync(0); // not the stock dialog
        await Expect(banner).ToContainTextAsync(new Regex("reconnecting \\(attempt [1-9]"), new() { Timeout = ActionTimeoutMs }); // it keeps trying
        await _diagnostics.Screenshot(page, "connection-lost.png");

        // Back: the page reconnects by itself, live again (the as-of time moves on).
        await server.StartAgainAsync();
        var backAt = DateTimeOffset.UtcNow;
        await Expect(banner).ToBeHiddenAsync(new() { Timeout = BackTimeoutMs });
        await Expect(page.Locator("body")).Not.ToHaveClassAsync(new Regex("\\boc-stale\\b"));
        await Expect(strip.GetByLabel("Active outages", new() { Exact = true })).ToHaveTextAsync("Active outages: 0", new() { Timeout = ActionTimeoutMs });
        await Expect(asOf).Not.ToHaveTextAsync("as of " + last, new() { Timeout = ActionTimeoutMs });
        string first = (await asOf.GetAttributeAsync("data-as-of"))!;
        await Expect(asOf).Not.ToHaveTextAsync("as of " + first, new() { Timeout = ActionTimeoutMs }); // and it keeps moving: a live circuit
        output.WriteLine($"Server healthy again at {backAt:HH:mm:ss.fff}; the page live again, data as of {await asOf.GetAttributeAsync("data-as-of")} at {DateTimeOffset.UtcNow:HH:mm:ss.fff}.");
        Assert.EndsWith("/outages", new Uri(page.Url).AbsolutePath, StringComparison.Ordinal);
        await _diagnostics.Screenshot(page, "connection-back.png");
        await page.Context.CloseAsync();
    });
}
