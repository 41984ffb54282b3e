using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace OpsConsole.Browser.Tests;

/// <summary>Skipped unless OPSCONSOLE_MAP_SCALE_URL names a running server: the map-at-scale measurement is run by hand.</summary>
public sealed class MapScaleFactAttribute : FactAttribute
{
    public MapScaleFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(MapScaleMeasurement.UrlVariable)))
        {
            Skip = $"measurement of the map on a big network for the README, not a check; run by hand with {MapScaleMeasurement.UrlVariable} (see README, Benchmarks)";
        }
    }
}

/// <summary>
/// The map on a server already running on a big network (README: "One server at utility scale — the map"), in
/// Debian's Chromium at 1920×1080: per view (the whole network, a middle zoom, street zoom) the bytes of the
/// network feed on the wire (Resource Timing transferSize: compressed body and headers) and decoded; the time
/// from navigation to the first map paint (opsmap.js's 'opsmap.drawn' mark, every tile of the first view painted);
/// the longest main-thread task (PerformanceObserver 'longtask', ≥ 50 ms) while panning and zooming. Each run in a
/// fresh browser context (no cache). Prints figures; asserts only that the map drew.
/// </summary>
public sealed class MapScaleMeasurement(BrowserFixture browser, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    public const string UrlVariable = "OPSCONSOLE_MAP_SCALE_URL";

    private const string Hooks = """
        window.__longTasks = [];
        new PerformanceObserver(l => { for (const e of l.getEntries()) window.__longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });
        performance.setResourceTimingBufferSize(100000);
        window.__opsConsoleTestMaps = [];
        document.addEventListener('DOMContentLoaded', () => {
          if (window.L && L.Map) L.Map.addInitHook(function () { window.__opsConsoleTestMaps.push(this); });
        });
        window.__feed = () => {
          let wire = 0, decoded = 0, count = 0;
          for (const e of performance.getEntriesByType('resource')) {
            if (!e.name.includes('/console/network/')) continue;
            wire += e.transferSize; decoded += e.decodedBodySize; count++;
          }
          return { wire, decoded, count };
        };
        // Sets the view and resolves once every tile of it is painted (the network layer's 'load'), or at once when none was needed.
        window.__view = (lat, lon, zoom) => new Promise(resolve => {
          const map = window.__opsConsoleTestMaps[0];
          let layer = null;
          map.eachLayer(l => { if (l.options && l.options.feed) layer = l; });
          performance.clearResourceTimings();
          let settled = false;
          const done = () => { if (!settled) { settled = true; resolve(window.__feed()); } };
          layer.once('load', done);
          map.setView([lat, lon], zoom, { animate: false });
          requestAnimationFrame(() => requestAnimationFrame(() => { if (!layer.isLoading()) done(); }));
        });
        """;

    [MapScaleFact]
    public async Task Map_OnABigNetwork_BytesPerView_FirstPaint_LongestTask()
    {
        var baseAddress = new Uri(Environment.GetEnvironmentVariable(UrlVariable)!);
        string password = Environment.GetEnvironmentVariable("OPSCONSOLE_MAP_SCALE_PASSWORD") ?? ServerProcess.ChosenAdminPassword;
        int runs = int.Parse(Environment.GetEnvironmentVariable("OPSCONSOLE_MAP_SCALE_RUNS") ?? "5", CultureInfo.InvariantCulture);
        var rows = new List<Dictionary<string, double>>();
        for (int run = 1; run <= runs; run++)
        {
            await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
            {
                BaseURL = baseAddress.ToString(),
                ViewportSize = new ViewportSize { Width = 1920, Height = 1080 },
            });
            var page = await context.NewPageAsync();
            await page.GotoAsync("signin");
            await page.GetByLabel("User name").FillAsync("admin");
            await page.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
            if (page.Url.Contains("/account/password", StringComparison.Ordinal))
            {
                // A fresh folder's one-time password (OPSCONSOLE_MAP_SCALE_PASSWORD): replaced as ServerProcess does.
                await page.GetByLabel("Current password").FillAsync(password);
                await page.GetByLabel("New password", new() { Exact = true }).FillAsync(ServerProcess.ChosenAdminPassword);
                await page.GetByLabel("New password again").FillAsync(ServerProcess.ChosenAdminPassword);
                await page.GetByRole(AriaRole.Button, new() { Name = "Save password" }).ClickAsync();
                await page.WaitForURLAsync(url => !url.Contains("/account/", StringComparison.Ordinal));
                password = ServerProcess.ChosenAdminPassword;
            }
            await page.AddInitScriptAsync(Hooks);

            await page.GotoAsync("map");
            var map = page.GetByRole(AriaRole.Region, new() { Name = "Network map", Exact = true });
            await Expect(map).ToHaveAttributeAsync("data-state", "drawn", new() { Timeout = 120_000 });
            var row = new Dictionary<string, double>
            {
                ["first paint ms"] = await page.EvaluateAsync<double>("() => performance.getEntriesByName('opsmap.drawn')[0].startTime"),
            };
            var first = await page.EvaluateAsync<JsonElement>("() => window.__feed()");
            row["low wire KB"] = first.GetProperty("wire").GetDouble() / 1024;
            row["low decoded KB"] = first.GetProperty("decoded").GetDouble() / 1024;
            row["low zoom"] = double.Parse(await map.GetAttributeAsync("data-tile-zoom") ?? "0", CultureInfo.InvariantCulture);
            var centre = await page.EvaluateAsync<JsonElement>("() => { const c = window.__opsConsoleTestMaps[0].getCenter(); return { lat: c.lat, lon: c.lng }; }");
            double lat = centre.GetProperty("lat").GetDouble(), lon = centre.GetProperty("lon").GetDouble();
            // Views away from the centre in each run, so no run reuses another's tiles on the server side either.
            double shift = run * 0.004;
            foreach (var (name, zoom) in new[] { ("middle", 14), ("street", 17), ("street18", 18) })
            {
                var view = await page.EvaluateAsync<JsonElement>("a => window.__view(a.lat, a.lon, a.zoom)", new { lat = lat + shift, lon = lon + shift, zoom });
                row[name + " wire KB"] = view.GetProperty("wire").GetDouble() / 1024;
                row[name + " decoded KB"] = view.GetProperty("decoded").GetDouble() / 1024;
                row[name + " tiles"] = view.GetProperty("count").GetDouble();
                row[name + " meters drawn"] = double.Parse(await map.GetAttributeAsync("data-drawn-meters") ?? "0", CultureInfo.InvariantCulture);
                row[name + " reduced tiles"] = double.Parse(await map.GetAttributeAsync("data-reduced-tiles") ?? "0", CultureInfo.InvariantCulture);
            }

            // Pan and zoom as a person does: drags at street, middle and low zoom, wheel zooms in and out.
            await page.EvaluateAsync("() => { window.__longTasks = []; }");
            var box = (await map.BoundingBoxAsync())!;
            float cx = box.X + (box.Width / 2), cy = box.Y + (box.Height / 2);
            foreach (int zoom in new[] { 17, 14, (int)row["low zoom"] })
            {
                await page.EvaluateAsync("a => window.__view(a.lat, a.lon, a.zoom)", new { lat, lon, zoom });
                for (int d = 0; d < 4; d++)
                {
                    await page.Mouse.MoveAsync(cx, cy);
                    await page.Mouse.DownAsync();
                    await page.Mouse.MoveAsync(cx + (d % 2 == 0 ? 300 : -300), cy + (d < 2 ? 200 : -200), new() { Steps = 15 });
                    await page.Mouse.UpAsync();
                }

                for (int w = 0; w < 3; w++)
                {
                    await page.Mouse.WheelAsync(0, -300);
                    await page.WaitForTimeoutAsync(300); // a person's pace between wheel turns; not a wait for a result
                }

                for (int w = 0; w < 3; w++)
                {
                    await page.Mouse.WheelAsync(0, 300);
                    await page.WaitForTimeoutAsync(300);
                }
            }

            await page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
            var tasks = await page.EvaluateAsync<double[]>("() => window.__longTasks");
            row["long tasks"] = tasks.Length;
            row["longest task ms"] = tasks.Length == 0 ? 0 : tasks.Max();
            output.WriteLine($"run {run}: " + string.Join(", ", row.Select(kv => $"{kv.Key} {kv.Value:0.#}")));
            rows.Add(row);
        }

        output.WriteLine($"medians (worst) of {rows.Count} runs:");
        foreach (var key in rows[0].Keys)
        {
            var values = rows.Select(r => r[key]).Order().ToArray();
            output.WriteLine($"  {key}: {values[values.Length / 2]:0.#} ({values.Min():0.#}–{values.Max():0.#})");
        }
    }
}
