using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Gis.Topology;
using OpsConsole.Tools.AmiTestUtility;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace OpsConsole.Browser.Tests;

/// <summary>
/// Storm scale: a thousand simultaneous outages on ckt24 (see <see cref="StormScaleNetwork"/>) reach the board and
/// the map without a reload, the board stays virtualised, selecting and filtering keep working while the storm is
/// on the pages, the critical alerts of a thousand confirmations stay readable, and the restore empties both pages.
/// Speed is printed, not asserted: the figures go to the test output (README "Storm scale").
/// </summary>
public sealed class StormScaleTests(StormScaleServer server, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<StormScaleServer>, IClassFixture<BrowserFixture>
{
    private const float StormTimeoutMs = 90_000;
    private const float ActionTimeoutMs = 30_000;

    /// <summary>At most this many rows are in the board's DOM at once, however many outages there are.</summary>
    private const int MaxRenderedRows = 150;

    /// <summary>
    /// In every page of the context, from its start: long tasks of the main thread (over 50 ms), the map's own
    /// redraw timings (User Timing 'opsmap.setOutages'), the time of the last pointer press, and
    /// <c>__watch(name, selector, attribute)</c>, which notes when each value of an element's text (or attribute)
    /// was first seen (Date.now()). It observes the whole body and looks the element up again on every change,
    /// because Blazor replaces the prerendered DOM when the circuit starts.
    /// </summary>
    private const string Instrument = """
        window.__longTasks = [];
        new PerformanceObserver(l => { for (const e of l.getEntries()) window.__longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });
        window.__redraws = [];
        new PerformanceObserver(l => { for (const e of l.getEntries()) if (e.name === 'opsmap.setOutages') window.__redraws.push([e.duration, e.detail.outages]); })
          .observe({ type: 'measure', buffered: true });
        window.__pressed = 0;
        document.addEventListener('pointerdown', () => { window.__pressed = Date.now(); }, true);
        window.__seen = {};
        window.__watch = (name, selector, attribute) => {
          const seen = window.__seen[name] = {};
          const note = () => {
            const el = document.querySelector(selector);
            if (!el) return;
            const v = attribute ? el.getAttribute(attribute) : el.textContent.trim();
            if (v !== null && !(v in seen)) seen[v] = Date.now();
          };
          note();
          new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: !!attribute });
        };
        """;

    /// <summary>The board shows this many critical alerts in full (OutageBoardPage.MaxAlertsShown).</summary>
    private const int OutageBoardPageAlerts = 3;

    /// <summary>Clicks the n-th outage row's element cell (as a pointer would: the row's click handler runs) and returns "level element".</summary>
    private const string ClickNthRow = """
        n => {
          const row = [...document.querySelectorAll("tr")].filter(tr => tr.querySelector("td[data-label='State']"))[n];
          const cell = name => row.querySelector(`td[data-label='${name}']`).textContent.trim();
          const heading = `${cell('Level')} ${cell('Element')}`;
          window.__pressed = Date.now();
          row.querySelector("td[data-label='Element']").click();
          return heading;
        }
        """;

    private const string BoardChip = "[aria-label='Summary'] [aria-label='Active outages']";
    private const string MapRegion = "[aria-label='Network map']";

    [Fact]
    public Task AThousandOutages_ReachBoardAndMapLive_AndThePagesStayUsable()
    {
        var diagnostics = new PageDiagnostics(output, server);
        return diagnostics.Run(async () =>
        {
            var network = server.Network;
            int total = StormScaleNetwork.Target;
            int unknown = network.UnmappedMeters.Count;
            var down = network.DownMeters.ToList();
            output.WriteLine($"Network: ckt24 with {unknown} meters unmapped; storm: {network.FailedTransformers.Count} transformers ({down.Count - unknown} meters) " +
                $"and {unknown} unmapped meters down = {total} outages, {down.Count} last gasps.");

            var board = await browser.NewPageAsync(server.BaseAddress);
            await board.Context.AddInitScriptAsync(Instrument); // the board page gets it from its next navigation on
            diagnostics.Watch(board, "board");
            await server.SignInAsync(board);
            var map = await board.Context.NewPageAsync();
            diagnostics.Watch(map, "map");

            await board.GotoAsync("outages");
            var chip = board.Locator(BoardChip);
            await Expect(chip).ToHaveTextAsync("Active outages: 0", new() { Timeout = ActionTimeoutMs });
            await map.GotoAsync("map");
            var mapElement = map.Locator(MapRegion);
            await Expect(mapElement).ToHaveAttributeAsync("data-state", "drawn", new() { Timeout = ActionTimeoutMs });
            await Expect(mapElement).ToHaveAttributeAsync("data-outages", "0", new() { Timeout = ActionTimeoutMs });
            await board.EvaluateAsync("s => { __watch('chip', s); __watch('detail', \"[aria-label='Outage details'] h6\"); __watch('count', '.oc-board-count'); }", BoardChip);
            await map.EvaluateAsync("s => __watch('outages', s, 'data-outages')", MapRegion);

            // The storm: every meter's last gasp (NON) through eight gateways, a transformer's meters back to back.
            var meters = server.Meters();
            var (sentMs, lastDatagramMs) = await SendAsync(meters, down, MeterEventCode.PowerDown);
            output.WriteLine($"Sent {down.Count} last gasps in {sentMs:0} ms.");

            string all = total.ToString(CultureInfo.InvariantCulture);
            await Expect(chip).ToHaveTextAsync($"Active outages: {total}", new() { Timeout = StormTimeoutMs });
            await Expect(mapElement).ToHaveAttributeAsync("data-outages", all, new() { Timeout = StormTimeoutMs });
            long boardAt = await Seen(board, "chip", $"Active outages: {total}");
            long mapAt = await Seen(map, "outages", all);
            output.WriteLine($"Last datagram → board shows {total} outages: {boardAt - lastDatagramMs} ms; → map shows them: {mapAt - lastDatagramMs} ms " +
                $"(window {StormScaleServer.WindowMs} ms included).");
            await Expect(mapElement).ToHaveAttributeAsync("data-unknown-outages", unknown.ToString(CultureInfo.InvariantCulture));

            // Virtualised: the board's DOM holds a screenful of rows, not a thousand.
            var rows = board.Locator("td[data-label='State']");
            await Expect(board.GetByText($"{total} of {total} shown")).ToBeVisibleAsync();
            await Expect(rows.First).ToBeVisibleAsync(); // the virtualised body renders once it has measured itself
            int rendered = await rows.CountAsync();
            output.WriteLine($"Board rows in the DOM with {total} outages: {rendered}.");
            Assert.InRange(rendered, 1, MaxRenderedRows);

            // Selecting outages while the storm is on the pages (the thousand are confirmed meanwhile): the detail panel follows each click.
            var detail = board.GetByRole(AriaRole.Complementary, new() { Name = "Outage details", Exact = true });
            var clicks = new List<double>();
            for (int i = 0; i < 7; i++)
            {
                // Read the i-th row and click it in one step of the page: the board re-renders up to four times a second
                // while the storm qualifies, so a row read in one round trip may have been re-rendered by the next.
                string heading = await board.EvaluateAsync<string>(ClickNthRow, i);
                await Expect(detail.Locator("h6").First).ToHaveTextAsync(heading, new() { Timeout = ActionTimeoutMs });
                clicks.Add(await Seen(board, "detail", heading) - await board.EvaluateAsync<long>("() => __pressed"));
            }

            output.WriteLine($"Press on a row → its detail panel shown ({clicks.Count} rows): median {Median(clicks):0} ms, max {clicks.Max():0} ms.");

            // Qualification confirms the thousand at once: the newest critical alerts stay readable, the rest are counted.
            int critical = CriticalOutages(network);
            output.WriteLine($"{critical} of the {total} outages have critical customers.");
            Assert.True(critical > OutageBoardPageAlerts, "The storm should confirm more critical outages than the board shows alerts for.");
            await Expect(board.GetByLabel("More critical alerts")).ToContainTextAsync($"{critical - OutageBoardPageAlerts} more", new() { Timeout = StormTimeoutMs });
            await Expect(board.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Confirmed outage with" })).ToHaveCountAsync(OutageBoardPageAlerts);
            // The alerts take room from the rows, not from the page: it does not scroll, the rows do.
            var heights = await board.EvaluateAsync<int[]>("() => [document.documentElement.scrollHeight, window.innerHeight]");
            Assert.True(heights[0] <= heights[1], $"The board page scrolls ({heights[0]} px in a {heights[1]} px window): alerts pushed the rows off screen.");

            // Filtering through the selects: the Unknown outages only, then the Confirmed among them (all, by now).
            await board.GetByLabel("Filter by level").ClickAsync();
            await board.GetByRole(AriaRole.Option, new() { Name = "Unknown", Exact = true }).ClickAsync();
            string filtered = $"{unknown} of {total} shown";
            await Expect(board.GetByText(filtered)).ToBeVisibleAsync(new() { Timeout = ActionTimeoutMs });
            output.WriteLine($"Press on the level Unknown → '{filtered}': {await Seen(board, "count", filtered) - await board.EvaluateAsync<long>("() => __pressed")} ms.");
            Assert.Equal("Unknown", (await board.Locator("td[data-label='Level']").First.InnerTextAsync()).Trim());
            await board.GetByLabel("Filter by state").ClickAsync();
            await board.GetByRole(AriaRole.Option, new() { Name = "Confirmed", Exact = true }).ClickAsync();
            await Expect(board).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("state=Confirmed.*level=Unknown|level=Unknown.*state=Confirmed"));
            await Expect(board.GetByText(filtered)).ToBeVisibleAsync(new() { Timeout = StormTimeoutMs });
            await diagnostics.Screenshot(board, "storm-scale-board.png");
            await diagnostics.Screenshot(map, "storm-scale-map.png");

            await PrintPageCosts(board, "board");
            await PrintPageCosts(map, "map");

            // Power comes back everywhere: both pages empty without a reload.
            await board.GetByRole(AriaRole.Link, new() { Name = "Outages" }).First.ClickAsync();
            await Expect(board).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/outages$"));
            await board.EvaluateAsync("s => __watch('chip', s)", BoardChip);
            await map.EvaluateAsync("s => __watch('outages', s, 'data-outages')", MapRegion);
            var (restoreMs, lastPowerUpMs) = await SendAsync(meters, down, MeterEventCode.PowerUp);
            await Expect(chip).ToHaveTextAsync("Active outages: 0", new() { Timeout = StormTimeoutMs });
            await Expect(mapElement).ToHaveAttributeAsync("data-outages", "0", new() { Timeout = StormTimeoutMs });
            output.WriteLine($"Sent {down.Count} power-ups in {restoreMs:0} ms; last → board empty {await Seen(board, "chip", "Active outages: 0") - lastPowerUpMs} ms, " +
                $"map empty {await Seen(map, "outages", "0") - lastPowerUpMs} ms.");

            diagnostics.AssertNoPageErrors();
            await board.Context.CloseAsync();
        });
    }

    /// <summary>When the page first showed <paramref name="value"/> in the watched element <paramref name="name"/> (Unix ms).</summary>
    private static async Task<long> Seen(IPage page, string name, string value) =>
        await page.EvaluateAsync<long?>("([n, v]) => window.__seen[n][v] ?? null", new[] { name, value })
            ?? throw new InvalidOperationException($"The page never showed '{value}' in {name}.");

    /// <summary>One event per meter, NON, as fast as the sockets take them; returns the send time and when the last went out (Unix ms).</summary>
    private async Task<(double Ms, long LastAt)> SendAsync(MeterNetwork meters, IReadOnlyList<int> down, MeterEventCode code)
    {
        const int Gateways = 8;
        var peer = await server.HeadEndAsync();
        await using var gateways = Tools.AmiTestUtility.Gateways.Open(peer, Gateways, new CommonOptions());
        var now = DateTimeOffset.UtcNow;
        uint counter = RunCounter.BaseFor(now) + (code == MeterEventCode.PowerUp ? 1u : 0u);
        var clock = Stopwatch.StartNew();
        foreach (int m in down)
        {
            int t = meters.Topology.ParentOf(m);
            var gw = gateways[(t >= 0 ? t : m) % Gateways];
            await gw.SendAsync(meters.Frame(m, code, counter, counter, CoapType.NonConfirmable, gw.NextMessageId(), now, DateTimeOffset.UtcNow), CancellationToken.None);
        }

        long lastAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.False(gateways.AnyRefused, "The head-end refused the datagrams.");
        return (clock.Elapsed.TotalMilliseconds, lastAt);
    }

    private static int CriticalOutages(StormScaleNetwork network)
    {
        var net = network.Topology;
        bool Critical(int m) => net[m].IsCritical;
        return network.FailedTransformers.Count(t => net.MetersBelow(t).ToArray().Any(Critical)) + network.UnmappedMeters.Count(Critical);
    }

    private async Task PrintPageCosts(IPage page, string name)
    {
        var longTasks = (await page.EvaluateAsync<double[]>("() => window.__longTasks")).ToList();
        output.WriteLine(longTasks.Count == 0
            ? $"{name}: no main-thread task over 50 ms during the storm."
            : $"{name}: {longTasks.Count} main-thread tasks over 50 ms during the storm, median {Median(longTasks):0} ms, max {longTasks.Max():0} ms, total {longTasks.Sum():0} ms.");
        using var redraws = JsonDocument.Parse(await page.EvaluateAsync<string>("() => JSON.stringify(window.__redraws)"));
        var big = redraws.RootElement.EnumerateArray().Where(r => r[1].GetInt32() >= StormScaleNetwork.Target / 2).Select(r => r[0].GetDouble()).ToList();
        if (big.Count > 0)
        {
            output.WriteLine($"{name}: {redraws.RootElement.GetArrayLength()} overlay redraws; with ≥ {StormScaleNetwork.Target / 2} outages: median {Median(big):0.0} ms, max {big.Max():0.0} ms.");
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
