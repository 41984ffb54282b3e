using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;
using OpsConsole.Tools.AmiTestUtility;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace OpsConsole.Browser.Tests;

/// <summary>
/// What the dispatcher console's README promises about one outage, in a real browser against the real server:
/// zoomed in, an outage's meters are filled in the outage's state colour when they reported, and ringed in it with a
/// dark centre when silent (presumed out: never the healthy green); and a new Confirmed outage with critical customers raises a red alert and a tone, one without raises
/// none. The faults are chosen from ckt24 in code (transformers apart enough that each is its own outage), and the
/// storm is seeded: which last gasps are lost is known before it is sent (<see cref="StormPlanner"/>, the plan the
/// simulator itself follows). Every test restores what it failed, so the class leaves no open outage.
/// </summary>
public sealed class MapOutageDetailTests(DispatcherServer server, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<DispatcherServer>, IClassFixture<BrowserFixture>
{
    private const float StormTimeoutMs = 60_000;
    private const float ActionTimeoutMs = 30_000;
    private const int MeterMinZoom = 17;
    private const int SpreadMs = 300;
    private const double Loss = 0.5;

    /// <summary>
    /// Test-only hooks, installed before any page script runs:
    /// the page's Leaflet maps (Leaflet's public L.Map.addInitHook, as in <see cref="MapPageTests"/>);
    /// <c>__outageMeterMarks({ color, reporting, silent })</c>, how each of the given meters is drawn in that colour on
    /// the map right now: "filled", "presumed" (dark centre: presumed out), "hollow", combinations, "none", with " (out of view)" when it is off screen,
    /// needing <c>__meterAt</c> (meter id → "lat,lon" of its marker, from the network file as the server rounds it);
    /// and a spy on the alert tone: <c>__beeps</c> counts calls of window.opsConsoleBeep (whatever opsconsole.js
    /// assigns is wrapped), <c>__tones</c> the oscillators the page started.
    /// </summary>
    private const string TestHooks = """
        window.__opsConsoleTestMaps = [];
        document.addEventListener('DOMContentLoaded', () => {
          if (window.L && L.Map) L.Map.addInitHook(function () { window.__opsConsoleTestMaps.push(this); });
        });
        window.__outageMeterMarks = arg => {
          const el = document.querySelector('[role=region][aria-label="Network map"]');
          const map = (window.__opsConsoleTestMaps || []).find(m => m.getContainer() === el);
          if (!map || !window.__meterAt) return null;
          const view = map.getBounds();
          const at = new Map();
          map.eachLayer(l => {
            if (!(l instanceof L.CircleMarker) || l.options.color !== arg.color) return;
            const o = l.options;
            // Filled: the fill in the state colour, opaque. Presumed out: the dark fill of a silent meter, opaque.
            // Hollow: no fill at all. A plain meter marker (green fill, critical ones ringed in the Confirmed red) is none of them.
            const kind = o.fill === false ? 'hollow' : o.fillColor === arg.color && o.fillOpacity === 1 ? 'filled'
              : o.fillColor === '#37474f' && o.fillOpacity === 1 ? 'presumed' : null;
            if (!kind) return;
            const p = l.getLatLng();
            const key = p.lat + ',' + p.lng;
            if (!at.has(key)) at.set(key, []);
            at.get(key).push(kind + (view.contains(p) ? '' : ' (out of view)'));
          });
          const mark = id => (at.get(window.__meterAt.get(id)) || []).sort().join('+') || 'none';
          return {
            zoom: map.getZoom(),
            reporting: Object.fromEntries(arg.reporting.map(id => [id, mark(id)])),
            silent: Object.fromEntries(arg.silent.map(id => [id, mark(id)])),
          };
        };
        window.__beeps = 0;
        window.__tones = 0;
        if (window.OscillatorNode) {
          const start = OscillatorNode.prototype.start;
          OscillatorNode.prototype.start = function (...a) { window.__tones++; return start.apply(this, a); };
        }
        let beep;
        Object.defineProperty(window, 'opsConsoleBeep', {
          configurable: true,
          get: () => beep,
          set: f => { beep = typeof f === 'function' ? (...a) => { window.__beeps++; return f(...a); } : f; },
        });
        """;

    /// <summary>
    /// Where each meter is (<c>[[id, lon, lat], …]</c>, from the network file, rounded to 1e-6° as the server sends
    /// positions) for <c>__outageMeterMarks</c>: the map loads the network by area, so it has no table of every meter.
    /// </summary>
    private const string LoadMeterPositions = """
        meters => {
          window.__meterAt = new Map(meters.map(([id, lon, lat]) => [id, lat + ',' + lon]));
          return window.__meterAt.size;
        }
        """;

    /// <summary><c>__outageMeterMarks(arg)</c> as JSON text (parsed with System.Text.Json, not Playwright's value mapping).</summary>
    private const string MarksJson = "arg => JSON.stringify(window.__outageMeterMarks(arg))";

    private static readonly Lazy<Task<Ckt24Picks>> Picks = new(PickAsync);

    private readonly PageDiagnostics _diagnostics = new(output, server);
    private readonly List<string> _unrestored = []; // truth files of storms not restored yet

    [Fact]
    public Task ShowOnMap_ZoomedIn_DrawsReportingMetersFilled_AndSilentMetersPresumedOut_InTheStateColour() => WithDiagnostics(async () =>
    {
        var picks = await Picks.Value;
        var net = picks.Network;
        var t = picks.MapTransformer;
        var meters = net.MetersBelow(t).ToArray().Select(m => net[m].Id).ToList();

        // A seed whose plan loses some of the transformer's last gasps and delivers at least two (a Transformer outage).
        var (seed, plan) = Enumerable.Range(1, 200)
            .Select(s => (Seed: s, Plan: StormPlanner.Plan(net, Settings(s, net[t].Id, Loss))))
            .First(x => Delivered(net, x.Plan).Count is var n && n >= 2 && meters.Count - n >= 2);
        var planned = Delivered(net, plan);
        output.WriteLine($"Transformer {net[t].Id} ({net[t].Name}), {meters.Count} meters; storm seed {seed}, loss {Loss}: " +
            $"{planned.Count} last gasps delivered ({string.Join(' ', planned.Order(StringComparer.Ordinal))}), {meters.Count - planned.Count} lost.");

        var page = await NewPageAsync("map-outage");
        await page.GotoAsync("outages");
        await Expect(page.GetByText("No active outages.")).ToBeVisibleAsync(new() { Timeout = ActionTimeoutMs });

        var truth = await StormAsync("map-outage-truth.json", seed, net[t].Id, Loss);
        Assert.Equal(plan.Expected, truth.Expected);
        Assert.Equal(new[] { new ExpectedOutage("Transformer", net[t].Id, meters.Count) }, truth.Expected);

        var row = RowOf(page, ElementName(net, t));
        await Expect(row.Locator("td[data-label='State']")).ToHaveTextAsync("Confirmed", new() { Timeout = StormTimeoutMs });

        // What the head-end knows: exactly the planned last gasps arrived.
        var (outage, reported) = await OutageOfAsync(net[t].Id);
        Assert.Equal("Confirmed", outage.GetProperty("state").GetString());
        Assert.Equal(meters.Count, outage.GetProperty("meters").GetInt32());
        int reportingCount = outage.GetProperty("reportingMeters").GetInt32();
        Assert.Equal(planned.Order(StringComparer.Ordinal), reported.Where(kv => kv.Value).Select(kv => kv.Key).Order(StringComparer.Ordinal));
        Assert.Equal(meters.Order(StringComparer.Ordinal), reported.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(planned.Count, reportingCount);
        var reporting = reported.Where(kv => kv.Value).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToArray();
        var silent = reported.Where(kv => !kv.Value).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToArray();
        string id = outage.GetProperty("id").GetString()!;

        // The board's "Show on map" opens the map zoomed to the outage.
        await row.Locator("td[data-label='Element']").ClickAsync();
        var detail = page.GetByRole(AriaRole.Complementary, new() { Name = "Outage details", Exact = true });
        // The list says it too: a silent meter behind the failed element is presumed out, not "up".
        var listed = detail.GetByLabel("Meters", new() { Exact = true });
        await Expect(listed.Locator(".oc-presumed-out")).ToHaveCountAsync(silent.Length, new() { Timeout = ActionTimeoutMs });
        await Expect(listed.Locator(".oc-presumed-out").First).ToHaveTextAsync("silent · presumed out");
        await Screenshot(page, "board-outage-presumed-out.png");
        await detail.GetByRole(AriaRole.Link, new() { Name = "Show on map", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/map\\?outage=" + Regex.Escape(Uri.EscapeDataString(id)) + "$"), new() { Timeout = ActionTimeoutMs });
        var map = page.GetByRole(AriaRole.Region, new() { Name = "Network map", Exact = true });
        await Expect(map).ToHaveAttributeAsync("data-state", "drawn", new() { Timeout = ActionTimeoutMs });
        await Expect(map).ToHaveAttributeAsync("data-outage-ids", id, new() { Timeout = ActionTimeoutMs });
        await Expect(page.GetByLabel("Selected outage", new() { Exact = true })).ToContainTextAsync($"Outage {id}: Transformer", new() { Timeout = ActionTimeoutMs });
        await Expect(map).ToHaveAttributeAsync("data-meters-visible", "true", new() { Timeout = ActionTimeoutMs });

        // The legend's Confirmed swatch is the colour the outage is drawn in.
        var swatch = page.GetByLabel("Legend", new() { Exact = true }).Locator("div", new() { HasTextRegex = new Regex("^Confirmed$") }).Locator(".oc-swatch");
        string color = Regex.Match(await swatch.GetAttributeAsync("style") ?? "", "background:\\s*(#[0-9a-fA-F]{6})").Groups[1].Value;
        Assert.Equal("#d50000", color); // README: Confirmed red

        var meterPositions = Enumerable.Range(0, net.ElementCount).Where(e => net.KindOf(e) == ElementKind.Meter)
            .Select(e => new object[] { net[e].Id, Math.Round(net[e].Location.X, 6), Math.Round(net[e].Location.Y, 6) }).ToArray();
        Assert.Equal(3890, await page.EvaluateAsync<int>(LoadMeterPositions, meterPositions));
        var arg = new { color, reporting, silent };
        try
        {
            await page.WaitForFunctionAsync("""
                arg => {
                  const s = window.__outageMeterMarks(arg);
                  return !!s && s.zoom >= 17 && Object.values(s.reporting).every(k => k === 'filled') && Object.values(s.silent).every(k => k === 'presumed');
                }
                """, arg, new() { Timeout = ActionTimeoutMs, PollingInterval = 200 });
        }
        catch (TimeoutException)
        {
            // Not as expected in time: the assertions below say how it differs.
        }

        string marksJson = await page.EvaluateAsync<string>(MarksJson, arg);
        output.WriteLine("Outage meters as drawn: " + marksJson);
        using var marksDoc = JsonDocument.Parse(marksJson);
        var marks = marksDoc.RootElement;
        Assert.Equal(JsonValueKind.Object, marks.ValueKind);
        double zoom = marks.GetProperty("zoom").GetDouble();
        var filled = Marks(marks, "reporting");
        var presumed = Marks(marks, "silent");
        Assert.True(zoom >= MeterMinZoom, $"zoom {zoom}");
        Assert.All(filled.Values, k => Assert.Equal("filled", k));
        Assert.All(presumed.Values, k => Assert.Equal("presumed", k));
        Assert.Equal(reportingCount, filled.Count);
        Assert.Equal(meters.Count - reportingCount, presumed.Count);
        output.WriteLine($"Map at zoom {zoom}: {filled.Count} reporting meters filled, {presumed.Count} silent meters presumed out, in {color}; " +
            $"REST: {reportingCount} reporting of {meters.Count}.");

        // What a person sees, not what the map says about itself: the screenshot's pixels.
        await AssertPixelsAsync(page, map, Rgb.Parse(color), net[t].Id, reporting, silent);
        await Screenshot(page, "map-outage-meters.png");

        await RestoreAsync("map-outage-truth.json");
        await Expect(map).ToHaveAttributeAsync("data-outages", "0", new() { Timeout = StormTimeoutMs });
        await AssertNoActiveOutagesAsync();
        AssertNoPageErrors();
        await page.Context.CloseAsync();
    });

    [Fact]
    public Task Board_ConfirmedOutageWithCriticalCustomers_RaisesAlertAndTone_OneWithoutRaisesNone() => WithDiagnostics(async () =>
    {
        var picks = await Picks.Value;
        var net = picks.Network;
        int plain = picks.PlainTransformer, critical = picks.CriticalTransformer;
        int criticalCustomers = net.MetersBelow(critical).ToArray().Count(m => net[m].IsCritical);
        output.WriteLine($"Without critical customers: {net[plain].Id} ({net.MeterCountBelow(plain)} meters); " +
            $"with: {net[critical].Id} ({net.MeterCountBelow(critical)} meters, {criticalCustomers} critical).");

        var page = await NewPageAsync("board-alert");
        await page.GotoAsync("outages");
        await Expect(page.GetByText("No active outages.")).ToBeVisibleAsync(new() { Timeout = ActionTimeoutMs });
        var alerts = page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Confirmed outage with" });
        var sound = page.GetByLabel("Sound on critical alerts", new() { Exact = true });
        await Expect(sound).Not.ToBeCheckedAsync();
        await sound.CheckAsync();
        await Expect(sound).ToBeCheckedAsync();
        // MudSwitch renders mud-checked from the component's value: the circuit has the switch on, not only the DOM.
        await Expect(page.Locator("label", new() { HasText = "Sound on critical alerts" }).Locator(".mud-switch-base")).ToHaveClassAsync(new Regex("\\bmud-checked\\b"), new() { Timeout = ActionTimeoutMs });
        Assert.Equal(0, await page.EvaluateAsync<int>("() => window.__beeps"));

        // No critical customers: Confirmed on the board, no alert, no tone.
        await StormAsync("alert-plain-truth.json", 1, net[plain].Id, 0);
        await Expect(RowOf(page, ElementName(net, plain)).Locator("td[data-label='State']")).ToHaveTextAsync("Confirmed", new() { Timeout = StormTimeoutMs });
        var (plainOutage, _) = await OutageOfAsync(net[plain].Id);
        Assert.Equal(0, plainOutage.GetProperty("criticalMeters").GetInt32());
        await Expect(alerts).ToHaveCountAsync(0);
        Assert.Equal(0, await page.EvaluateAsync<int>("() => window.__beeps"));

        // Critical customers: the red alert names the element, and the tone sounds once.
        await StormAsync("alert-critical-truth.json", 1, net[critical].Id, 0);
        await Expect(RowOf(page, ElementName(net, critical)).Locator("td[data-label='State']")).ToHaveTextAsync("Confirmed", new() { Timeout = StormTimeoutMs });
        var (criticalOutage, _) = await OutageOfAsync(net[critical].Id);
        Assert.Equal(criticalCustomers, criticalOutage.GetProperty("criticalMeters").GetInt32());
        await Expect(alerts).ToHaveCountAsync(1, new() { Timeout = ActionTimeoutMs });
        await Expect(alerts).ToBeVisibleAsync();
        await Expect(alerts).ToHaveClassAsync(new Regex("\\bmud-alert-filled-error\\b")); // red, filled
        await Expect(alerts).ToContainTextAsync(
            $"Confirmed outage with {criticalCustomers} critical customer(s): Transformer {ElementName(net, critical)} ({net.MeterCountBelow(critical)} customers out)");
        Assert.DoesNotContain(ElementName(net, plain), await alerts.InnerTextAsync(), StringComparison.Ordinal);
        await page.WaitForFunctionAsync("() => window.__beeps >= 1", null, new() { Timeout = ActionTimeoutMs, PollingInterval = 100 });
        Assert.Equal(1, await page.EvaluateAsync<int>("() => window.__beeps"));
        int tones = await page.EvaluateAsync<int>("() => window.__tones");
        output.WriteLine($"Alert: {(await alerts.InnerTextAsync()).Trim()}; opsConsoleBeep called once, oscillators started: {tones}.");
        Assert.Equal(1, tones);
        await Screenshot(page, "board-critical-alert.png");

        await RestoreAsync("alert-plain-truth.json");
        await RestoreAsync("alert-critical-truth.json");
        await Expect(page.GetByText("No active outages.")).ToBeVisibleAsync(new() { Timeout = StormTimeoutMs });
        await AssertNoActiveOutagesAsync();
        Assert.Equal(1, await page.EvaluateAsync<int>("() => window.__beeps"));
        AssertNoPageErrors();
        await page.Context.CloseAsync();
    });

    /// <summary>
    /// The transformers the tests fail, first by id among those that fit: one of 4–10 meters without critical
    /// customers for the map, one of 2–10 with critical customers and one of 2–10 without for the alert; all
    /// three, failed together, still three Transformer outages (no roll-up into a device), meters at distinct places.
    /// </summary>
    private static async Task<Ckt24Picks> PickAsync()
    {
        var import = await TopologyGeoJsonReader.ReadFileAsync(DispatcherServer.Topology);
        Assert.True(import.IsValid);
        var net = NetworkTopology.Build(import.Features, keepExtraProperties: false);
        var transformers = Enumerable.Range(0, net.ElementCount)
            .Where(e => net.KindOf(e) == ElementKind.Transformer && net.MeterCountBelow(e) is >= 2 and <= 10 && DistinctPlaces(net, e))
            .OrderBy(e => net[e].Id, StringComparer.Ordinal)
            .ToList();
        bool HasCritical(int t) => net.MetersBelow(t).ToArray().Any(m => net[m].IsCritical);
        bool Apart(params int[] tx)
        {
            var predicted = OutagePredictor.Predict(net, tx.SelectMany(t => net.MetersBelow(t).ToArray()));
            return predicted.Count == tx.Length && tx.All(t => predicted.Any(p => p.Level == "Transformer" && p.DeviceId == net[t].Id));
        }

        int critical = transformers.First(HasCritical);
        int map = transformers.First(t => !HasCritical(t) && net.MeterCountBelow(t) >= 4 && Apart(critical, t));
        int plain = transformers.First(t => t != map && !HasCritical(t) && Apart(critical, map, t));
        return new Ckt24Picks(net, map, plain, critical);
    }

    private static bool DistinctPlaces(NetworkTopology net, int transformer)
    {
        var places = net.MetersBelow(transformer).ToArray().Select(m => (net[m].Location.X, net[m].Location.Y)).ToList();
        return places.Distinct().Count() == places.Count && !places.Contains((net[transformer].Location.X, net[transformer].Location.Y));
    }

    private static StormSettings Settings(int seed, string element, double loss) => new()
    {
        Seed = seed, Fail = [element], Loss = loss, SpreadMs = SpreadMs, Duplicates = 0, Drift = 0, Rogue = 0, Unmapped = 0, Tests = 0,
    };

    /// <summary>The meters whose last gasp the plan delivers.</summary>
    private static HashSet<string> Delivered(NetworkTopology net, StormPlan plan) =>
        plan.Messages.Where(m => m.Kind == MessageKind.LastGasp && !m.Lost).Select(m => net[m.Meter].Id).ToHashSet(StringComparer.Ordinal);

    /// <summary>What the board's Element column shows for an element.</summary>
    private static string ElementName(NetworkTopology net, int element) => net[element].Name ?? net[element].Id;

    private static ILocator RowOf(IPage page, string element) =>
        page.GetByRole(AriaRole.Row).Filter(new()
        {
            Has = page.Locator("td[data-label='Element']", new() { HasTextRegex = new Regex("^" + Regex.Escape(element) + "$") }),
        });

    private static Dictionary<string, string> Marks(JsonElement marks, string group) =>
        marks.GetProperty(group).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);

    /// <summary>Runs <c>storm --fail element</c> with the settings of <see cref="Settings"/> and returns its ground truth.</summary>
    private async Task<GroundTruth> StormAsync(string truthName, int seed, string element, double loss)
    {
        var truthFile = Path.Combine(server.WorkDirectory, truthName);
        var storm = await DispatcherConsoleTests.Simulate(["storm", "--fail", element, "--loss", loss.ToString(CultureInfo.InvariantCulture),
            "--seed", seed.ToString(CultureInfo.InvariantCulture), "--spread-ms", SpreadMs.ToString(CultureInfo.InvariantCulture),
            "--duplicates", "0", "--drift", "0", "--rogue", "0", "--unmapped", "0", "--tests", "0", "--truth", truthFile,
            .. await server.SimulatorOptionsAsync()]);
        _unrestored.Add(truthName);
        Assert.True(storm.Exit == 0, storm.Out + storm.Err);
        return GroundTruth.Read(truthFile, "test");
    }

    /// <summary>Power-ups for every meter of a storm's faults.</summary>
    private async Task RestoreAsync(string truthName)
    {
        var restore = await DispatcherConsoleTests.Simulate(["restore", "--truth", Path.Combine(server.WorkDirectory, truthName), "--leave-down", "0",
            .. await server.SimulatorOptionsAsync()]);
        Assert.True(restore.Exit == 0, restore.Out + restore.Err);
        _unrestored.Remove(truthName);
        output.WriteLine($"Restore {truthName}: {restore.Out.Trim()}");
    }

    private HttpClient Api()
    {
        var api = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        api.DefaultRequestHeaders.Add("X-Api-Key", server.ApiKey);
        return api;
    }

    /// <summary>The open outage at <paramref name="element"/> from the REST API, and each of its meters: reported or silent.</summary>
    private async Task<(JsonElement Outage, Dictionary<string, bool> Reported)> OutageOfAsync(string element)
    {
        using var api = Api();
        using var active = JsonDocument.Parse(await api.GetStringAsync("api/outages?state=active"));
        var outage = active.RootElement.EnumerateArray().Where(o => o.GetProperty("deviceId").GetString() == element).ToList();
        var single = Assert.Single(outage);
        using var detail = JsonDocument.Parse(await api.GetStringAsync("api/outages/" + Uri.EscapeDataString(single.GetProperty("id").GetString()!)));
        var reported = detail.RootElement.GetProperty("meters").EnumerateArray()
            .ToDictionary(m => m.GetProperty("id").GetString()!, m => m.GetProperty("reported").GetBoolean(), StringComparer.Ordinal);
        return (detail.RootElement.GetProperty("outage").Clone(), reported);
    }

    private async Task AssertNoActiveOutagesAsync()
    {
        using var api = Api();
        using var active = JsonDocument.Parse(await api.GetStringAsync("api/outages?state=active"));
        Assert.Equal(0, active.RootElement.GetArrayLength());
    }

    private async Task<IPage> NewPageAsync(string name)
    {
        var page = await browser.NewPageAsync(server.BaseAddress);
        _diagnostics.Watch(page, name);
        await page.AddInitScriptAsync(TestHooks);
        await server.SignInAsync(page);
        return page;
    }

    private Task Screenshot(IPage page, string name) => _diagnostics.Screenshot(page, name);

    /// <summary>
    /// Container pixels of the named elements (meter or node ids) on the network map, after two animation frames
    /// (so the canvases have painted what the layers hold), with the map's size.
    /// </summary>
    private const string ContainerPoints = """
        async places => {
          const el = document.querySelector('[role=region][aria-label="Network map"]');
          const map = (window.__opsConsoleTestMaps || []).find(m => m.getContainer() === el);
          const ids = places.map(p => p[0]);
          const at = new Map(places.map(([id, lon, lat]) => [id, [lat, lon]]));
          await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
          const points = Object.fromEntries(ids.map(id => { const p = map.latLngToContainerPoint(at.get(id)); return [id, [p.x, p.y]]; }));
          return JSON.stringify({ width: el.clientWidth, height: el.clientHeight, points });
        }
        """;

    /// <summary>
    /// Reads the map's screenshot where Leaflet projects the outage's transformer and meters: the transformer ringed
    /// (radius 15) in the state colour and filled with it; each reporting meter's centre in the state colour; each
    /// silent meter (clear of other outage marks) ringed in it with a centre that is neither the state colour nor the
    /// healthy meters' green (presumed out).
    /// </summary>
    private async Task AssertPixelsAsync(IPage page, ILocator map, Rgb state, string transformer, string[] reporting, string[] silent)
    {
        string[] ids = [transformer, .. reporting, .. silent];
        var net = (await Picks.Value).Network;
        var places = ids.Select(id => net.TryGetElement(id, out int e) ? new object[] { id, net[e].Location.X, net[e].Location.Y } : throw new InvalidOperationException(id)).ToArray();
        string before = await page.EvaluateAsync<string>(ContainerPoints, places);
        var png = Png.Decode(await map.ScreenshotAsync());
        string after = await page.EvaluateAsync<string>(ContainerPoints, places);
        Assert.Equal(before, after); // the view did not move while the screenshot was taken

        using var doc = JsonDocument.Parse(before);
        double scale = png.Width / doc.RootElement.GetProperty("width").GetDouble();
        var points = doc.RootElement.GetProperty("points").EnumerateObject()
            .ToDictionary(p => p.Name, p => (X: p.Value[0].GetDouble(), Y: p.Value[1].GetDouble()));
        Rgb At((double X, double Y) p, double dx = 0, double dy = 0) => png[(int)Math.Floor((p.X + dx) * scale), (int)Math.Floor((p.Y + dy) * scale)];
        int RingMatches((double X, double Y) p, double radius) => Enumerable.Range(0, 8)
            .Count(k => At(p, radius * Math.Cos(k * Math.PI / 4), radius * Math.Sin(k * Math.PI / 4)).DistanceTo(state) <= 24);
        const int Tolerance = 24;

        var tx = points[transformer];
        var txCentre = At(tx);
        output.WriteLine($"Pixels: transformer {transformer} centre {txCentre}, ring at 15 px {RingMatches(tx, 15)}/8 in {state}.");
        Assert.True(RingMatches(tx, 15) >= 6, $"transformer {transformer}: ring at 15 px is not {state}");
        // Filled with the state colour (partly transparent over the transformer's own marker): red stays dominant.
        Assert.True(txCentre.R >= 140 && txCentre.G <= 90 && txCentre.B <= 90, $"transformer {transformer}: centre {txCentre} does not read as {state}");

        foreach (var id in reporting)
        {
            var c = At(points[id]);
            Assert.True(c.DistanceTo(state) <= Tolerance, $"reporting meter {id}: centre {c}, not filled {state}");
        }

        static double Distance((double X, double Y) a, (double X, double Y) b) => Math.Sqrt(((a.X - b.X) * (a.X - b.X)) + ((a.Y - b.Y) * (a.Y - b.Y)));
        var clear = silent.Where(id =>
            Distance(points[id], tx) >= 20 && ids.Skip(1).Where(o => o != id).All(o => Distance(points[id], points[o]) >= 10)).ToList();
        output.WriteLine($"Pixels: {reporting.Length} reporting meters filled; {clear.Count} of {silent.Length} silent meters clear of other marks: " +
            string.Join(' ', clear.Select(id => $"{id} centre {At(points[id])} ring {RingMatches(points[id], 4)}/8")));
        Assert.NotEmpty(clear);
        foreach (var id in clear)
        {
            var c = At(points[id]);
            Assert.True(RingMatches(points[id], 4) >= 6, $"silent meter {id}: no {state} ring at 4 px");
            Assert.True(c.DistanceTo(state) > 80, $"silent meter {id}: centre {c} is filled in {state}, as if it had reported");
            // Not green at all (the healthy meters' #2e7d32 has green 75 above red and blue): green no more than either.
            Assert.True(c.G <= Math.Max(c.R, c.B) + 8, $"silent meter {id}: centre {c} is green, like a healthy meter ({HealthyGreen}), inside a failed area");
        }
    }

    /// <summary>The fill of a healthy meter on the map (opsmap.js STYLE.meter).</summary>
    private static readonly Rgb HealthyGreen = Rgb.Parse("#2e7d32");

    private void AssertNoPageErrors() => _diagnostics.AssertNoPageErrors();

    /// <summary>Runs a test body; on failure, the diagnostics, and the storm's meters are powered back up so the next test starts without open outages.</summary>
    private Task WithDiagnostics(Func<Task> body) => _diagnostics.Run(body, async () =>
    {
        foreach (var truth in _unrestored.ToList())
        {
            var restore = await DispatcherConsoleTests.Simulate(["restore", "--truth", Path.Combine(server.WorkDirectory, truth), "--leave-down", "0",
                .. await server.SimulatorOptionsAsync()]);
            output.WriteLine($"Cleanup restore {truth}: exit {restore.Exit} {restore.Out.Trim()}");
        }
    });

    private sealed record Ckt24Picks(NetworkTopology Network, int MapTransformer, int PlainTransformer, int CriticalTransformer);
}
