using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace OpsConsole.Browser.Tests;

/// <summary>
/// The map page in a real browser against the real server with the bundled ckt24 network
/// (1 substation "SubXFMR", 1 feeder, 98 devices, 818 transformers, 3,890 meters, 5,220 line segments).
/// Elements are found by role and accessible name; waits are Playwright's auto-waiting assertions.
/// </summary>
public sealed class MapPageTests(ServerProcess server, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<ServerProcess>, IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private const int MeterMinZoom = 17;
    private static readonly LocatorAssertionsToHaveAttributeOptions DrawTimeout = new() { Timeout = 30_000 };

    /// <summary>
    /// Test-only access to the page's Leaflet map without a product hook: Leaflet's public plugin API
    /// (L.Map.addInitHook) records every map the page creates. leaflet.js is a classic script at the
    /// end of body, so it has run by DOMContentLoaded, long before the Blazor circuit creates the map.
    /// </summary>
    private const string CaptureLeafletMaps = """
        window.__opsConsoleTestMaps = [];
        document.addEventListener('DOMContentLoaded', () => {
          if (window.L && L.Map) L.Map.addInitHook(function () { window.__opsConsoleTestMaps.push(this); });
        });
        """;

    /// <summary>A JS function <c>(el, arg) => …</c> whose body sees <c>map</c>, the Leaflet map of the element <c>el</c>.</summary>
    private static string WithMap(string body) => $$"""
        (el, arg) => {
          const map = (window.__opsConsoleTestMaps || []).find(m => m.getContainer() === el);
          if (!map) throw new Error('No Leaflet map was created on the map element.');
          {{body}}
        }
        """;

    private readonly ConcurrentQueue<string> _pageErrors = new(); // filled from Playwright's event thread
    private IPage _page = null!;

    public async Task InitializeAsync()
    {
        _page = await browser.NewPageAsync(server.BaseAddress);
        _page.PageError += (_, e) => _pageErrors.Enqueue("pageerror: " + e);
        _page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                _pageErrors.Enqueue("console.error: " + m.Text);
            }
        };
        await _page.AddInitScriptAsync(CaptureLeafletMaps);
        await server.SignInAsync(_page, ScreenshotAsync);
    }

    public async Task DisposeAsync() => await _page.Context.CloseAsync();

    [Fact]
    public Task MapPage_DrawsAll818TransformersOfCkt24() => WithDiagnostics(async () =>
    {
        output.WriteLine($"Server healthy after {server.StartupTime.TotalSeconds:0.0} s, Chromium up after {browser.StartupTime.TotalSeconds:0.0} s.");
        var map = await OpenMapAsync();

        await Expect(map).ToHaveAttributeAsync("data-drawn-transformers", "818");
        await Expect(map).ToHaveAttributeAsync("data-drawn-devices", "98");
        // Lines: vectors where they fit a tile's budget, a 1-px raster where denser (the middle of ckt24 at this zoom);
        // every one of the 5,220 is in one or the other.
        int vectorLines = int.Parse(await map.GetAttributeAsync("data-drawn-lines") ?? "0");
        int rasterLines = int.Parse(await map.GetAttributeAsync("data-raster-lines") ?? "0");
        output.WriteLine($"Lines in the first view: {vectorLines} as vectors, {rasterLines} in {await map.GetAttributeAsync("data-raster-tiles")} raster tiles.");
        Assert.True(vectorLines > 0 && vectorLines + rasterLines >= 5220, $"{vectorLines} vector + {rasterLines} raster lines");
        await Expect(map).ToHaveAttributeAsync("data-drawn-meters", "0"); // below street zoom the feed sends none
        await Expect(_page.GetByRole(AriaRole.Status)).ToContainTextAsync("818 transformers, 98 devices, 5220 line segments; the 3890 meters appear from zoom 17");

        await ScreenshotAsync("map-ckt24.png");
        AssertNoPageErrors();
    });

    [Fact]
    public Task MapPage_ClickingATransformer_ShowsItsDetails() => WithDiagnostics(async () =>
    {
        var map = await OpenMapAsync();
        var nodes = await DrawingNodesAsync(map);
        Assert.Equal(818, nodes.Count(n => n.Kind == "transformer")); // the whole network is in the first view
        var target = await PickIsolatedTransformerAsync(map, nodes);
        output.WriteLine($"Clicking transformer {target.Id} ({target.Customers} customers) at ({target.X:0.#}, {target.Y:0.#}); nearest other node {target.Nearest:0.#} px away.");

        await map.ClickAsync(new LocatorClickOptions { Position = new Position { X = target.X, Y = target.Y } });

        var details = _page.GetByLabel("Element details", new PageGetByLabelOptions { Exact = true });
        await Expect(details.GetByText(target.Id, new LocatorGetByTextOptions { Exact = true })).ToBeVisibleAsync();
        await Expect(Field(details, "Kind")).ToHaveTextAsync(new Regex("^transformer\\b"));
        await Expect(Field(details, "Customers below")).ToHaveTextAsync(target.Customers.ToString());

        var chain = details.GetByRole(AriaRole.List, new LocatorGetByRoleOptions { Name = "Upstream chain", Exact = true });
        var links = chain.GetByRole(AriaRole.Listitem);
        await Expect(links.Last).ToHaveTextAsync("substation: SubXFMR");
        await Expect(links.Filter(new LocatorFilterOptions { HasTextRegex = new Regex("^feeder: ") })).ToHaveCountAsync(1);
        await Expect(links.Filter(new LocatorFilterOptions { HasTextRegex = new Regex("^device: ") })).Not.ToHaveCountAsync(0);
        int chainLength = await links.CountAsync();
        output.WriteLine("Upstream chain: " + string.Join(" → ", await links.AllInnerTextsAsync()));
        await ScreenshotAsync("map-details.png");

        // Follow the chain up to the feeder breaker (the device right below the feeder): the panel switches to it.
        var breaker = nodes.Single(n => n is { Kind: "device", Subtype: "breaker" });
        await chain.GetByRole(AriaRole.Button, new LocatorGetByRoleOptions { NameRegex = new Regex("^device: ") }).Last.ClickAsync();

        await Expect(details.GetByText(breaker.Id, new LocatorGetByTextOptions { Exact = true })).ToBeVisibleAsync();
        await Expect(details.GetByText(target.Id, new LocatorGetByTextOptions { Exact = true })).ToHaveCountAsync(0);
        await Expect(Field(details, "Kind")).ToHaveTextAsync("device (breaker)");
        await Expect(Field(details, "Customers below")).ToHaveTextAsync(breaker.Customers.ToString());
        await Expect(links).ToHaveTextAsync([new Regex("^feeder: "), new Regex("^substation: SubXFMR$")]);
        Assert.True(await links.CountAsync() < chainLength, "The breaker's upstream chain is shorter than its transformer's.");

        AssertNoPageErrors();
    });

    [Fact]
    public Task MapPage_ZoomingInToATransformer_ShowsMeters() => WithDiagnostics(async () =>
    {
        var map = await OpenMapAsync();
        var nodes = await DrawingNodesAsync(map);
        await Expect(map).ToHaveAttributeAsync("data-meters-visible", "false");
        var initialZoom = await map.EvaluateAsync<double>(WithMap("return map.getZoom();"));
        Assert.True(initialZoom < MeterMinZoom, $"The whole network fits below zoom {MeterMinZoom}, was {initialZoom}.");

        var transformer = nodes.First(n => n.Kind == "transformer" && n.Customers > 0);
        await map.EvaluateAsync(WithMap("map.setView([arg.lat, arg.lon], arg.zoom);"),
            new { lat = transformer.Lat, lon = transformer.Lon, zoom = MeterMinZoom });

        await Expect(map).ToHaveAttributeAsync("data-meters-visible", "true");
        await Expect(map).Not.ToHaveAttributeAsync("data-drawn-meters", "0");
        var zoom = await map.EvaluateAsync<double>(WithMap("return map.getZoom();"));
        Assert.True(zoom >= MeterMinZoom, $"zoom {zoom}");
        output.WriteLine($"Zoom {initialZoom} → {zoom} at transformer {transformer.Id}: meters visible.");
        await ScreenshotAsync("map-meters.png");
        AssertNoPageErrors();
    });

    /// <summary>Opens the map page and waits until opsmap.js has drawn the network.</summary>
    private async Task<ILocator> OpenMapAsync()
    {
        await _page.GotoAsync("map");
        var map = _page.GetByRole(AriaRole.Region, new PageGetByRoleOptions { Name = "Network map", Exact = true });
        await Expect(map).ToHaveAttributeAsync("data-state", "drawn", DrawTimeout);
        return map;
    }

    /// <summary>The value cell of the details table row whose header is <paramref name="header"/>.</summary>
    private static ILocator Field(ILocator details, string header) =>
        details.GetByRole(AriaRole.Row, new LocatorGetByRoleOptions { NameRegex = new Regex("^" + Regex.Escape(header) + "\\b") })
            .GetByRole(AriaRole.Cell);

    /// <summary>
    /// The nodes (not meters) of the map's feed for the current view: every tile of the view at the zoom Leaflet loads,
    /// GET /console/network/tiles/{z}/{x}/{y}.json with the signed-in page's cookies (as opsmap.js does; the feed is
    /// not served anonymously), positions turned back from tile pixels into longitude/latitude, each node once.
    /// </summary>
    private async Task<List<DrawingNode>> DrawingNodesAsync(ILocator map)
    {
        var json = await map.EvaluateAsync<string>(WithMap("""
              return (async () => {
                const z = Math.round(map.getZoom());
                const b = map.getPixelBounds(), k = map.getZoomScale(z, map.getZoom());
                const nodes = new Map();
                for (let x = Math.floor(b.min.x * k / 256); x <= Math.floor((b.max.x * k - 1) / 256); x++) {
                  for (let y = Math.floor(b.min.y * k / 256); y <= Math.floor((b.max.y * k - 1) / 256); y++) {
                    const r = await fetch(`console/network/tiles/${z}/${x}/${y}.json`, { credentials: 'same-origin' });
                    if (!r.ok) throw new Error(`tile ${z}/${x}/${y}: ${r.status}`);
                    const tile = await r.json();
                    for (const [level, kind] of [['substations', 'substation'], ['feeders', 'feeder'], ['devices', 'device'], ['transformers', 'transformer']]) {
                      for (const [id, px, py, customers, subtype] of tile[level] || []) {
                        const at = map.unproject([x * 256 + px, y * 256 + py], z);
                        if (!nodes.has(id)) nodes.set(id, { id, kind, lon: at.lng, lat: at.lat, customers, subtype });
                      }
                    }
                  }
                }
                return JSON.stringify([...nodes.values()]);
              })();
            """));
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray()
            .Select(n => new DrawingNode(n.GetProperty("id").GetString()!, n.GetProperty("kind").GetString()!, n.GetProperty("lon").GetDouble(),
                n.GetProperty("lat").GetDouble(), n.GetProperty("customers").GetInt32(), n.GetProperty("subtype").GetString()))
            .ToList();
    }

    /// <summary>
    /// A transformer with customers, inside the view and as far as possible from every other node,
    /// with its pixel position in the map element: a click there can only hit that transformer.
    /// </summary>
    private async Task<ClickTarget> PickIsolatedTransformerAsync(ILocator map, List<DrawingNode> nodes)
    {
        var best = await map.EvaluateAsync<JsonElement>(WithMap("""
              const nodes = arg;
              // The element's own size, not map.getSize(): Leaflet caches that one, and the page header
              // grows by a line once the network is drawn.
              const size = { x: el.clientWidth, y: el.clientHeight };
              const pts = nodes.map(n => ({ ...n, p: map.latLngToContainerPoint([n.lat, n.lon]) }));
              let best = null;
              for (const a of pts) {
                if (a.kind !== 'transformer' || a.customers <= 0) continue;
                if (a.p.x < 40 || a.p.y < 40 || a.p.x > size.x - 40 || a.p.y > size.y - 40) continue;
                let nearest = Infinity;
                for (const b of pts) if (b !== a) nearest = Math.min(nearest, a.p.distanceTo(b.p));
                if (!best || nearest > best.nearest) best = { id: a.id, customers: a.customers, x: a.p.x, y: a.p.y, nearest };
              }
              return best;
            """), nodes.Select(n => new { id = n.Id, kind = n.Kind, lon = n.Lon, lat = n.Lat, customers = n.Customers }).ToArray());

        Assert.Equal(JsonValueKind.Object, best.ValueKind);
        var target = new ClickTarget(best.GetProperty("id").GetString()!, best.GetProperty("customers").GetInt32(),
            best.GetProperty("x").GetSingle(), best.GetProperty("y").GetSingle(), best.GetProperty("nearest").GetDouble());

        // Transformer radius ≤ 11 px, device 4 px, click tolerance 4 px: farther than 20 px is unambiguous.
        Assert.True(target.Nearest > 20, $"No transformer is clearly apart at the initial view (best {target.Nearest:0.#} px).");
        return target;
    }

    private async Task ScreenshotAsync(string name)
    {
        var directory = Path.Combine(ServerProcess.RepoRoot, "artifacts", "screenshots");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine("Screenshot: " + path);
    }

    private void AssertNoPageErrors() => Assert.True(_pageErrors.IsEmpty, "The page reported errors:\n" + string.Join("\n", _pageErrors));

    /// <summary>Runs a test body; on failure, writes what the browser and the server said to the test output.</summary>
    private async Task WithDiagnostics(Func<Task> body)
    {
        try
        {
            await body();
        }
        catch
        {
            output.WriteLine("Page errors:\n" + string.Join("\n", _pageErrors));
            output.WriteLine("Server log:\n" + server.Log);
            throw;
        }
    }

    private sealed record DrawingNode(string Id, string Kind, double Lon, double Lat, int Customers, string? Subtype);

    private sealed record ClickTarget(string Id, int Customers, float X, float Y, double Nearest);
}
