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
/// A dispatcher's everyday experience, in a real browser against the real server with the simulator's meters over UDP:
/// the header strip and critical alerts on the map (the start page), restoration shown as it happens, nested outages
/// that keep the crew already out and link their parent, actions offered only when the server accepts them, and a
/// timeline whose notes can be read. Every test powers back up what it failed.
/// </summary>
public sealed class EverydayConsoleTests(EverydayServer server, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<EverydayServer>, IClassFixture<BrowserFixture>
{
    private const float StormTimeoutMs = 60_000;
    private const float ActionTimeoutMs = 30_000;

    /// <summary>Counts calls of window.opsConsoleBeep (whatever opsconsole.js assigns is wrapped), before any page script runs.</summary>
    private const string BeepSpy = """
        window.__beeps = 0;
        let beep;
        Object.defineProperty(window, 'opsConsoleBeep', {
          configurable: true,
          get: () => beep,
          set: f => { beep = typeof f === 'function' ? (...a) => { window.__beeps++; return f(...a); } : f; },
        });
        """;

    private static readonly Lazy<Task<NetworkTopology>> Network = new(async () =>
    {
        var import = await TopologyGeoJsonReader.ReadFileAsync(DispatcherServer.Topology);
        Assert.True(import.IsValid);
        return NetworkTopology.Build(import.Features, keepExtraProperties: false);
    });

    private readonly PageDiagnostics _diagnostics = new(output, server);
    private readonly List<string> _unrestored = [];

    [Fact]
    public Task MapStartPage_ShowsTheHeaderStrip_AndACriticalAlertWithItsTone_AndShowOpensTheOutageOnTheBoard() => WithDiagnostics(async () =>
    {
        var net = await Network.Value;
        int critical = Enumerable.Range(0, net.ElementCount)
            .Where(e => net.KindOf(e) == ElementKind.Transformer && net.MeterCountBelow(e) is >= 2 and <= 10
                && net.MetersBelow(e).ToArray().Any(m => net[m].IsCritical)
                && OutagePredictor.Predict(net, net.MetersBelow(e).ToArray()) is [{ Level: "Transformer" } p] && p.DeviceId == net[e].Id)
            .OrderBy(e => net[e].Id, StringComparer.Ordinal).First();
        int criticalCustomers = net.MetersBelow(critical).ToArray().Count(m => net[m].IsCritical);

        var page = await NewPageAsync("map-alert");
        await page.AddInitScriptAsync(BeepSpy);
        await page.GotoAsync("");
        var map = page.GetByRole(AriaRole.Region, new() { Name = "Network map", Exact = true });
        await Expect(map).ToHaveAttributeAsync("data-state", "drawn", new() { Timeout = ActionTimeoutMs });
        var strip = page.GetByRole(AriaRole.Region, new() { Name = "Summary", Exact = true });
        await Expect(strip.GetByLabel("Active outages", new() { Exact = true })).ToHaveTextAsync("Active outages: 0", new() { Timeout = ActionTimeoutMs });
        var sound = page.GetByLabel("Sound on critical alerts", new() { Exact = true });
        await sound.CheckAsync();
        await Expect(page.Locator("label", new() { HasText = "Sound on critical alerts" }).Locator(".mud-switch-base")).ToHaveClassAsync(new Regex("\\bmud-checked\\b"), new() { Timeout = ActionTimeoutMs });

        await StormAsync("alert-map-truth.json", net[critical].Id);

        // On the map, not the board: the figures, the red alert and the tone.
        var alert = page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Confirmed outage with" });
        await Expect(alert).ToHaveCountAsync(1, new() { Timeout = StormTimeoutMs });
        await Expect(alert).ToContainTextAsync($"Confirmed outage with {criticalCustomers} critical customer(s): Transformer {net[critical].Name ?? net[critical].Id}");
        await Expect(strip.GetByLabel("Active outages", new() { Exact = true })).ToHaveTextAsync("Active outages: 1", new() { Timeout = ActionTimeoutMs });
        await Expect(strip.GetByLabel("Customers out", new() { Exact = true })).ToHaveTextAsync($"Customers out: {net.MeterCountBelow(critical)}");
        await Expect(strip.GetByLabel("Critical customers out", new() { Exact = true })).ToHaveTextAsync($"Critical customers out: {criticalCustomers}");
        await page.WaitForFunctionAsync("() => window.__beeps >= 1", null, new() { Timeout = ActionTimeoutMs, PollingInterval = 100 });
        Assert.Equal(1, await page.EvaluateAsync<int>("() => window.__beeps"));
        Assert.EndsWith("/", new Uri(page.Url).AbsolutePath, StringComparison.Ordinal); // still the start page
        await Screenshot(page, "everyday-map-critical-alert.png");

        // "Show" opens it on the board, with its detail.
        await alert.GetByRole(AriaRole.Button, new() { Name = "Show", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/outages\\?outage=O-\\d+$"), new() { Timeout = ActionTimeoutMs });
        var detail = page.GetByRole(AriaRole.Complementary, new() { Name = "Outage details", Exact = true });
        await Expect(detail).ToContainTextAsync(net[critical].Name ?? net[critical].Id, new() { Timeout = ActionTimeoutMs });

        await RestoreAsync("alert-map-truth.json", 0);
        await Expect(alert).ToHaveCountAsync(0, new() { Timeout = StormTimeoutMs }); // it leaves with its outage
        await Expect(strip.GetByLabel("Active outages", new() { Exact = true })).ToHaveTextAsync("Active outages: 0", new() { Timeout = StormTimeoutMs });
        _diagnostics.AssertNoPageErrors();
        await page.Context.CloseAsync();
    });

    [Fact]
    public Task DeviceOutage_RestorationShowsAsItHappens_NestedOutagesKeepTheCrewAndLinkTheirParent_ActionsFollowTheState() => WithDiagnostics(async () =>
    {
        var net = await Network.Value;
        int device = Enumerable.Range(0, net.ElementCount)
            .Where(e => net.KindOf(e) == ElementKind.Device && net.MeterCountBelow(e) is >= 12 and <= 60
                && OutagePredictor.Predict(net, net.MetersBelow(e).ToArray()) is [{ Level: "Device" } p] && p.DeviceId == net[e].Id)
            .OrderBy(e => net[e].Id, StringComparer.Ordinal).First();
        string name = net[device].Name ?? net[device].Id;
        int customers = net.MeterCountBelow(device);
        output.WriteLine($"Device {net[device].Id} ({name}): {customers} meters.");

        var page = await NewPageAsync("restoration");
        await page.GotoAsync("outages");
        await Expect(page.GetByText("No active outages.")).ToBeVisibleAsync(new() { Timeout = ActionTimeoutMs });

        var truth = await StormAsync("device-truth.json", net[device].Id);
        Assert.Equal([new ExpectedOutage("Device", net[device].Id, customers)], truth.Expected);
        var row = RowOf(page, name);
        await Expect(row.Locator("td[data-label='State']")).ToHaveTextAsync("Confirmed", new() { Timeout = StormTimeoutMs });
        await row.Locator("td[data-label='Element']").ClickAsync();
        var detail = page.GetByRole(AriaRole.Complementary, new() { Name = "Outage details", Exact = true });
        var actions = detail.GetByRole(AriaRole.Group, new() { Name = "Actions", Exact = true });
        Task ExpectEnabled(string button, bool enabled) => enabled
            ? Expect(actions.GetByRole(AriaRole.Button, new() { Name = button, Exact = true })).ToBeEnabledAsync(new() { Timeout = ActionTimeoutMs })
            : Expect(actions.GetByRole(AriaRole.Button, new() { Name = button, Exact = true })).ToBeDisabledAsync(new() { Timeout = ActionTimeoutMs });

        // Confirmed: everything offered. Dispatched straight away: acknowledging or dispatching again would be refused.
        await ExpectEnabled("Acknowledge", true);
        await ExpectEnabled("Dispatch", true);
        const string Note = "Storm night: north section, the recloser by the school, check the fuse on the way back";
        await detail.GetByLabel("Crew", new() { Exact = true }).FillAsync("Crew 7 (Nguyen)");
        await detail.GetByLabel("Dispatch note", new() { Exact = true }).FillAsync(Note);
        await actions.GetByRole(AriaRole.Button, new() { Name = "Dispatch", Exact = true }).ClickAsync();
        await Expect(row.Locator("td[data-label='State']")).ToHaveTextAsync("Dispatched", new() { Timeout = ActionTimeoutMs });
        await ExpectEnabled("Acknowledge", false);
        await ExpectEnabled("Dispatch", false);
        await ExpectEnabled("Restore manually", true);
        await ExpectEnabled("Check power", true);

        // The timeline's note has the panel's width, not a squeezed fourth column.
        var noteCell = detail.GetByLabel("Timeline", new() { Exact = true }).Locator(".oc-timeline-note", new() { HasText = "Crew 7 (Nguyen)" });
        await Expect(noteCell).ToHaveCountAsync(1, new() { Timeout = ActionTimeoutMs });
        var noteBox = await noteCell.BoundingBoxAsync();
        var panelBox = await detail.BoundingBoxAsync();
        output.WriteLine($"Timeline note: {noteBox!.Width:0} × {noteBox.Height:0} px in a panel {panelBox!.Width:0} px wide.");
        Assert.True(noteBox.Width >= panelBox.Width * 0.75, $"the note is {noteBox.Width:0} px wide in a {panelBox.Width:0} px panel");
        await Screenshot(page, "everyday-dispatched.png");

        // Power comes back but for a few meters: the board shows it at once ("Restoring: n of m back"), long before the grace ends.
        var meters = truth.Faults.SelectMany(f => f.Meters).Distinct(StringComparer.Ordinal).ToList();
        const double LeaveDown = 0.15;
        int seed = Enumerable.Range(1, 500).First(s =>
        {
            var rng = new Random(s);
            int left = meters.Count(_ => rng.NextDouble() < LeaveDown);
            return left is >= 2 && left <= meters.Count - 3;
        });
        var restoreClock = System.Diagnostics.Stopwatch.StartNew();
        var partial = await RestoreAsync("device-truth.json", LeaveDown, seed, keepUnrestored: true);
        var leftDown = Regex.Match(partial, "left down: (.+)").Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(leftDown);
        int back = meters.Count - leftDown.Length;
        var restoration = row.Locator("td[data-label='Restoration']");
        await Expect(restoration).ToHaveTextAsync($"Restoring: {back} of {meters.Count} back", new() { Timeout = ActionTimeoutMs });
        output.WriteLine($"Restoring: {back} of {meters.Count} back shown {restoreClock.ElapsedMilliseconds} ms after the power-ups were sent (grace {EverydayServer.NestedMs} ms); left down: {string.Join(' ', leftDown)}.");
        Assert.True(restoreClock.ElapsedMilliseconds < EverydayServer.NestedMs, "restoration showed only after the grace");
        await Expect(row.Locator("td[data-label='State']")).ToHaveTextAsync("Dispatched");
        await Expect(detail.GetByLabel("Restoration", new() { Exact = true })).ToHaveTextAsync($"Restoring: {back} of {meters.Count} back", new() { Timeout = ActionTimeoutMs });
        await Screenshot(page, "everyday-restoring.png");

        // The grace ends: the meters still off become nested outages, dispatched to the same crew, linked to their parent.
        string parentId;
        using (var api = Api())
        using (var all = JsonDocument.Parse(await api.GetStringAsync("api/outages?state=all")))
        {
            parentId = all.RootElement.EnumerateArray().Single(o => o.GetProperty("deviceId").GetString() == net[device].Id).GetProperty("id").GetString()!;
        }

        var nestedRows = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.Locator("td[data-label='State']") });
        await Expect(row).ToHaveCountAsync(0, new() { Timeout = EverydayServer.NestedMs + StormTimeoutMs }); // the parent is restored
        await Expect(nestedRows.First).ToBeVisibleAsync(new() { Timeout = ActionTimeoutMs });
        int nestedCount = await nestedRows.CountAsync();
        Assert.True(nestedCount >= 1);
        for (int i = 0; i < nestedCount; i++)
        {
            await Expect(nestedRows.Nth(i).Locator("td[data-label='State']")).ToHaveTextAsync("Dispatched", new() { Timeout = ActionTimeoutMs });
        }

        // Each carried crew is audited once, as the system.
        using (var api = Api())
        {
            var nestedIds = new List<string>();
            using (var active = JsonDocument.Parse(await api.GetStringAsync("api/outages?state=active")))
            {
                nestedIds.AddRange(active.RootElement.EnumerateArray().Select(o => o.GetProperty("id").GetString()!));
            }

            using var audit = JsonDocument.Parse(await api.GetStringAsync("api/audit?user=system&action=outage-action"));
            var details = audit.RootElement.EnumerateArray().Select(e => e.GetProperty("detail").GetString()!).ToList();
            output.WriteLine("Audit (system, outage-action):\n" + string.Join("\n", details));
            Assert.Equal(nestedCount, nestedIds.Count);
            Assert.All(nestedIds, id => Assert.Single(details, d => d.StartsWith($"dispatch {id} (nested under {parentId}): crew Crew 7 (Nguyen)", StringComparison.Ordinal)));
            Assert.Equal(nestedCount, details.Count);
        }

        await nestedRows.First.Locator("td[data-label='Element']").ClickAsync();
        await Expect(detail.GetByLabel("Parent outage", new() { Exact = true })).ToHaveTextAsync($"Nested under {parentId}", new() { Timeout = ActionTimeoutMs });
        var carried = detail.GetByLabel("Timeline", new() { Exact = true }).Locator("tbody")
            .Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = "system", Exact = true }) });
        await Expect(carried).ToHaveCountAsync(1, new() { Timeout = ActionTimeoutMs });
        await Expect(carried).ToContainTextAsync($"Confirmed → Dispatched");
        await Expect(carried).ToContainTextAsync($"crew Crew 7 (Nguyen): {Note} (carried from {parentId})");
        await ExpectEnabled("Acknowledge", false);
        await ExpectEnabled("Dispatch", false);
        output.WriteLine($"{nestedCount} nested outage(s), each Dispatched; timeline of the first:\n" +
            string.Join("\n", await detail.GetByLabel("Timeline", new() { Exact = true }).GetByRole(AriaRole.Row).AllInnerTextsAsync()));
        await Screenshot(page, "everyday-nested.png");

        // The link opens the parent, restored.
        await detail.GetByLabel("Parent outage", new() { Exact = true }).GetByRole(AriaRole.Link, new() { Name = parentId, Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/outages\\?outage=" + Regex.Escape(parentId) + "&state=all$"), new() { Timeout = ActionTimeoutMs });
        await Expect(detail.Locator("h6")).ToContainTextAsync(name, new() { Timeout = ActionTimeoutMs });
        await Expect(detail).ToContainTextAsync(new Regex(Regex.Escape(parentId) + "\\s*·\\s*Restored"), new() { Timeout = ActionTimeoutMs });
        await ExpectEnabled("Restore manually", false);

        await RestoreAsync("device-truth.json", 0);
        await page.GotoAsync("outages");
        await Expect(page.GetByText("No active outages.")).ToBeVisibleAsync(new() { Timeout = StormTimeoutMs });
        _diagnostics.AssertNoPageErrors();
        await page.Context.CloseAsync();
    });

    private static ILocator RowOf(IPage page, string element) =>
        page.GetByRole(AriaRole.Row).Filter(new()
        {
            Has = page.Locator("td[data-label='Element']", new() { HasTextRegex = new Regex("^" + Regex.Escape(element) + "$") }),
        });

    private HttpClient Api()
    {
        var api = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        api.DefaultRequestHeaders.Add("X-Api-Key", server.ApiKey);
        return api;
    }

    /// <summary><c>storm --fail element</c>, nothing lost, no noise; its ground truth.</summary>
    private async Task<GroundTruth> StormAsync(string truthName, string element)
    {
        var truthFile = Path.Combine(server.WorkDirectory, truthName);
        _unrestored.Add(truthName);
        var storm = await DispatcherConsoleTests.Simulate(["storm", "--fail", element, "--loss", "0", "--seed", "1", "--spread-ms", "300",
            "--duplicates", "0", "--drift", "0", "--rogue", "0", "--unmapped", "0", "--tests", "0", "--truth", truthFile,
            .. await server.SimulatorOptionsAsync()]);
        Assert.True(storm.Exit == 0, storm.Out + storm.Err);
        return GroundTruth.Read(truthFile, "test");
    }

    /// <summary>Power-ups for a storm's meters, leaving a seeded share down; the simulator's report.</summary>
    private async Task<string> RestoreAsync(string truthName, double leaveDown, int seed = 1, bool keepUnrestored = false)
    {
        var restore = await DispatcherConsoleTests.Simulate(["restore", "--truth", Path.Combine(server.WorkDirectory, truthName),
            "--leave-down", leaveDown.ToString(CultureInfo.InvariantCulture), "--seed", seed.ToString(CultureInfo.InvariantCulture),
            .. await server.SimulatorOptionsAsync()]);
        Assert.True(restore.Exit == 0, restore.Out + restore.Err);
        if (!keepUnrestored)
        {
            _unrestored.Remove(truthName);
        }

        output.WriteLine($"Restore {truthName} (leave down {leaveDown}, seed {seed}): {restore.Out.Trim()}");
        return restore.Out;
    }

    private async Task<IPage> NewPageAsync(string name)
    {
        var page = await browser.NewPageAsync(server.BaseAddress);
        _diagnostics.Watch(page, name);
        await server.SignInAsync(page);
        return page;
    }

    private Task Screenshot(IPage page, string name) => _diagnostics.Screenshot(page, name);

    private Task WithDiagnostics(Func<Task> body) => _diagnostics.Run(body, async () =>
    {
        foreach (var truth in _unrestored.ToList())
        {
            var restore = await DispatcherConsoleTests.Simulate(["restore", "--truth", Path.Combine(server.WorkDirectory, truth), "--leave-down", "0",
                .. await server.SimulatorOptionsAsync()]);
            output.WriteLine($"Cleanup restore {truth}: exit {restore.Exit} {restore.Out.Trim()}");
        }
    });
}
