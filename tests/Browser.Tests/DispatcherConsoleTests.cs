using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OpsConsole.Tools.AmiTestUtility;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace OpsConsole.Browser.Tests;

/// <summary>
/// A dispatcher's night in a real browser against the real server process: a seeded storm from the simulator
/// (real CoAP over loopback UDP) appears on the outage board and on the map without a reload, one outage is
/// acknowledged and dispatched through the page, and the simulator's power-ups clear both pages again.
/// </summary>
public sealed class DispatcherConsoleTests(DispatcherServer server, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<DispatcherServer>, IClassFixture<BrowserFixture>
{
    /// <summary>A storm on a busy 2-core machine: correlation window, qualification and the push over the circuit.</summary>
    private const float StormTimeoutMs = 60_000;
    private const float ActionTimeoutMs = 30_000;
    private const int Seed = 7;

    /// <summary>
    /// Records, in the page, when each outage count was first shown (Date.now(), ms since the epoch): the board's
    /// rows and the map's data-outages. A MutationObserver sees every change; Playwright's polling would add its
    /// own interval to the measured latency.
    /// </summary>
    private const string WatchBoard = """
        () => {
          window.__boardSeen = {};
          const note = () => {
            const n = document.querySelectorAll("td[data-label='State']").length;
            if (!(n in window.__boardSeen)) window.__boardSeen[n] = Date.now();
          };
          note();
          new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
        }
        """;

    private const string WatchMap = """
        el => {
          window.__mapSeen = {};
          const note = () => {
            const n = el.dataset.outages;
            if (n !== undefined && !(n in window.__mapSeen)) window.__mapSeen[n] = Date.now();
          };
          note();
          new MutationObserver(note).observe(el, { attributes: true, attributeFilter: ['data-outages'] });
        }
        """;

    private readonly PageDiagnostics _diagnostics = new(output, server);

    [Fact]
    public Task Storm_AppearsOnBoardAndMapLive_IsAcknowledgedAndDispatched_AndRestoreClearsBoth() => WithDiagnostics(async () =>
    {
        var board = await browser.NewPageAsync(server.BaseAddress);
        Watch(board, "board");
        await server.SignInAsync(board);
        var map = await board.Context.NewPageAsync();
        Watch(map, "map");

        await board.GotoAsync("outages");
        var activeChip = board.GetByRole(AriaRole.Region, new() { Name = "Summary", Exact = true }).GetByLabel("Active outages", new() { Exact = true });
        await Expect(activeChip).ToHaveTextAsync("Active outages: 0", new() { Timeout = ActionTimeoutMs });
        await Expect(board.GetByText("No active outages.")).ToBeVisibleAsync(new() { Timeout = ActionTimeoutMs });
        var rows = board.GetByRole(AriaRole.Row).Filter(new() { Has = board.Locator("td[data-label='State']") });

        await map.GotoAsync("map");
        var mapElement = map.GetByRole(AriaRole.Region, new() { Name = "Network map", Exact = true });
        await Expect(mapElement).ToHaveAttributeAsync("data-state", "drawn", new() { Timeout = ActionTimeoutMs });
        await Expect(mapElement).ToHaveAttributeAsync("data-outages", "0", new() { Timeout = ActionTimeoutMs });

        await board.EvaluateAsync(WatchBoard);
        await mapElement.EvaluateAsync(WatchMap);

        // The storm: seeded faults on ckt24, a quarter of the last gasps lost, plus the simulator's usual noise
        // (duplicates, drift, rogue keys, unmapped meters, test power-downs).
        var truthFile = Path.Combine(server.WorkDirectory, "storm-truth.json");
        var simulator = await server.SimulatorOptionsAsync();
        long stormStartMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var storm = await Simulate(["storm", "--random-faults", "3", "--loss", "0.25", "--seed", Seed.ToString(CultureInfo.InvariantCulture),
            "--spread-ms", "500", "--truth", truthFile, .. simulator]);
        long stormEndMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.True(storm.Exit == 0, storm.Out + storm.Err);
        var truth = GroundTruth.Read(truthFile, "test");
        int expected = truth.Expected.Count;
        Assert.True(expected > 0, "The storm expects outages.\n" + storm.Out);
        output.WriteLine($"Storm (seed {Seed}): {truth.Faults.Count} faults, {expected} expected outages; sent {stormEndMs - stormStartMs} ms after it started.");

        // Both pages follow without a reload.
        await Expect(rows).ToHaveCountAsync(expected, new() { Timeout = StormTimeoutMs });
        await Expect(activeChip).ToHaveTextAsync($"Active outages: {expected}", new() { Timeout = StormTimeoutMs });
        await Expect(mapElement).ToHaveAttributeAsync("data-outages", expected.ToString(CultureInfo.InvariantCulture), new() { Timeout = StormTimeoutMs });
        long boardSeenMs = await board.EvaluateAsync<long>("n => window.__boardSeen[n]", expected);
        long mapSeenMs = await map.EvaluateAsync<long>("n => window.__mapSeen[String(n)]", expected);
        output.WriteLine($"Board shows all {expected} outages {boardSeenMs - stormEndMs} ms after the storm's last datagram (the simulator returned), " +
            $"{boardSeenMs - stormStartMs} ms after its first.");
        output.WriteLine($"Map data-outages = {expected} {mapSeenMs - stormEndMs} ms after the storm's last datagram, {mapSeenMs - stormStartMs} ms after its first.");

        // The page shows the outages the REST API reports (the API key of this server).
        using (var api = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) })
        {
            api.DefaultRequestHeaders.Add("X-Api-Key", server.ApiKey);
            using var active = System.Text.Json.JsonDocument.Parse(await api.GetStringAsync("api/outages?state=active"));
            var ids = active.RootElement.EnumerateArray().Select(o => o.GetProperty("id").GetString()!).Order(StringComparer.Ordinal).ToList();
            var shown = (await mapElement.GetAttributeAsync("data-outage-ids") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(ids, shown);
        }

        await Screenshot(board, "dispatcher-board-storm.png");
        await Screenshot(map, "dispatcher-map-storm.png");

        // One outage, through the detail panel: Confirmed (QualifyMs), then Acknowledge, then Dispatch with a crew.
        var element = await rows.First.Locator("td[data-label='Element']").InnerTextAsync();
        var row = rows.Filter(new() { Has = board.Locator("td[data-label='Element']", new() { HasTextRegex = new Regex("^" + Regex.Escape(element.Trim()) + "$") }) });
        var state = row.Locator("td[data-label='State']");
        await row.Locator("td[data-label='Element']").ClickAsync();
        var detail = board.GetByRole(AriaRole.Complementary, new() { Name = "Outage details", Exact = true });
        await Expect(detail).ToBeVisibleAsync(new() { Timeout = ActionTimeoutMs });
        await Expect(state).ToHaveTextAsync("Confirmed", new() { Timeout = StormTimeoutMs });

        await detail.GetByRole(AriaRole.Button, new() { Name = "Acknowledge", Exact = true }).ClickAsync();
        await Expect(state).ToHaveTextAsync("Acknowledged", new() { Timeout = ActionTimeoutMs });

        await detail.GetByLabel("Crew", new() { Exact = true }).FillAsync("Crew 7 (Nguyen)");
        await detail.GetByLabel("Dispatch note", new() { Exact = true }).FillAsync("Storm night, north section");
        await detail.GetByRole(AriaRole.Button, new() { Name = "Dispatch", Exact = true }).ClickAsync();
        await Expect(state).ToHaveTextAsync("Dispatched", new() { Timeout = ActionTimeoutMs });
        // MudSimpleTable puts its aria-label on the wrapper around the table.
        var timeline = detail.GetByLabel("Timeline", new() { Exact = true });
        // One tbody per entry: its row (time, what, who) and the note under it.
        var byAdmin = timeline.Locator("tbody").Filter(new() { Has = board.GetByRole(AriaRole.Cell, new() { Name = "admin", Exact = true }) });
        await Expect(byAdmin.Filter(new() { HasText = "Crew 7 (Nguyen)" })).ToHaveCountAsync(1, new() { Timeout = ActionTimeoutMs });
        Assert.True(await byAdmin.CountAsync() >= 2, "The timeline names admin for the acknowledgement and the dispatch.");
        output.WriteLine($"Acknowledged and dispatched {element.Trim()}; timeline:\n" + string.Join("\n", await timeline.GetByRole(AriaRole.Row).AllInnerTextsAsync()));
        await Screenshot(board, "dispatcher-board-dispatched.png");
        await Screenshot(map, "dispatcher-map-dispatched.png");

        // Power comes back: every meter of the storm's faults powers up.
        await board.EvaluateAsync("() => { window.__boardSeen = {}; }");
        await map.EvaluateAsync("() => { window.__mapSeen = {}; }");
        long restoreStartMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var restore = await Simulate(["restore", "--truth", truthFile, "--leave-down", "0", .. simulator]);
        long restoreEndMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.True(restore.Exit == 0, restore.Out + restore.Err);
        output.WriteLine($"Restore: {restore.Out.Trim()} ({restoreEndMs - restoreStartMs} ms)");

        await Expect(board.GetByText("No active outages.")).ToBeVisibleAsync(new() { Timeout = StormTimeoutMs });
        await Expect(activeChip).ToHaveTextAsync("Active outages: 0", new() { Timeout = StormTimeoutMs });
        await Expect(mapElement).ToHaveAttributeAsync("data-outages", "0", new() { Timeout = StormTimeoutMs });
        long boardClearMs = await board.EvaluateAsync<long>("() => window.__boardSeen[0]");
        long mapClearMs = await map.EvaluateAsync<long>("() => window.__mapSeen['0']");
        output.WriteLine($"After the restore returned: board empty after {boardClearMs - restoreEndMs} ms, map data-outages = 0 after {mapClearMs - restoreEndMs} ms.");
        await Screenshot(board, "dispatcher-board-restored.png");
        await Screenshot(map, "dispatcher-map-restored.png");

        AssertNoPageErrors();
        await board.Context.CloseAsync();
    });

    [Fact]
    public Task SignIn_WithAWrongPassword_ShowsTheError() => WithDiagnostics(async () =>
    {
        var page = await browser.NewPageAsync(server.BaseAddress); // a fresh context: no cookie
        Watch(page, "signin");
        await page.GotoAsync("signin");
        await page.GetByLabel("User name").FillAsync("admin");
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("not-the-password-" + Guid.NewGuid().ToString("N"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong user name or password.", new() { Timeout = ActionTimeoutMs });
        await Expect(page).ToHaveURLAsync(new Regex("/signin"));
        await Screenshot(page, "signin-wrong-password.png");
        AssertNoPageErrors();
        await page.Context.CloseAsync();
    });

    [Fact]
    public Task Dispatcher_CreatedByAdmin_Gets403OnAnAdminUrl_AndAFailedSignInIsAudited() => WithDiagnostics(async () =>
    {
        const string Name = "dana";
        const string Temporary = "temporary-pass-2026";
        const string Chosen = "night-shift-2026!";

        // The admin creates a dispatcher through the users page.
        var admin = await browser.NewPageAsync(server.BaseAddress);
        Watch(admin, "admin");
        await server.SignInAsync(admin);
        await admin.GotoAsync("admin/users");
        var form = admin.GetByRole(AriaRole.Form, new() { Name = "New user" });
        await form.GetByLabel("User name").FillAsync(Name);
        await form.GetByLabel("Temporary password").FillAsync(Temporary);
        await form.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();
        var row = admin.GetByRole(AriaRole.Row).Filter(new() { Has = admin.Locator("td[data-label='Name']", new() { HasTextRegex = new Regex("^" + Name + "$") }) });
        await Expect(row.Locator("td[data-label='Role']")).ToHaveTextAsync("dispatcher", new() { Timeout = ActionTimeoutMs });

        // One wrong password for her, from a fresh browser context.
        var stranger = await browser.NewPageAsync(server.BaseAddress);
        Watch(stranger, "stranger");
        await stranger.GotoAsync("signin");
        await stranger.GetByLabel("User name").FillAsync(Name);
        await stranger.GetByLabel("Password", new() { Exact = true }).FillAsync("not-her-password-" + Guid.NewGuid().ToString("N"));
        await stranger.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(stranger.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong user name or password.", new() { Timeout = ActionTimeoutMs });
        await stranger.Context.CloseAsync();

        // She signs in, chooses her password, and an admin address answers 403 on the server.
        var dispatcher = await browser.NewPageAsync(server.BaseAddress); // not watched: the 403s below are console errors by design
        await dispatcher.GotoAsync("signin");
        await dispatcher.GetByLabel("User name").FillAsync(Name);
        await dispatcher.GetByLabel("Password", new() { Exact = true }).FillAsync(Temporary);
        await dispatcher.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await dispatcher.WaitForURLAsync("**/account/password");
        await dispatcher.GetByLabel("Current password").FillAsync(Temporary);
        await dispatcher.GetByLabel("New password", new() { Exact = true }).FillAsync(Chosen);
        await dispatcher.GetByLabel("New password again").FillAsync(Chosen);
        await dispatcher.GetByRole(AriaRole.Button, new() { Name = "Save password" }).ClickAsync();
        await dispatcher.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal) && !url.Contains("/account/", StringComparison.Ordinal));
        await Expect(dispatcher.GetByRole(AriaRole.Link, new() { Name = "Users" })).ToHaveCountAsync(0); // not offered either

        foreach (var url in new[] { "admin/users", "admin/audit" })
        {
            var response = await dispatcher.GotoAsync(url);
            Assert.NotNull(response);
            Assert.Equal(403, response.Status);
        }

        await Screenshot(dispatcher, "dispatcher-admin-403.png");
        await dispatcher.Context.CloseAsync();

        // The admin's audit page shows the failed sign-in, with the browser's address.
        await admin.GotoAsync("admin/audit");
        await admin.GetByLabel("Filter").FillAsync(Name);
        var entries = admin.GetByRole(AriaRole.Row).Filter(new() { Has = admin.Locator("td[data-label='Action']") });
        var failed = entries.Filter(new() { Has = admin.Locator("td[data-label='Action']", new() { HasTextString = "sign-in-failed" }) });
        await Expect(failed).ToHaveCountAsync(1, new() { Timeout = ActionTimeoutMs });
        await Expect(failed.Locator("td[data-label='User']")).ToHaveTextAsync(Name);
        await Expect(failed.Locator("td[data-label='Remote']")).ToHaveTextAsync(new Regex("127\\.0\\.0\\.1"));
        output.WriteLine("Audit for " + Name + ":\n" + string.Join("\n", await entries.AllInnerTextsAsync()));
        await Screenshot(admin, "admin-audit-failed-sign-in.png");

        AssertNoPageErrors();
        await admin.Context.CloseAsync();
    });

    [Fact]
    public async Task OutageHub_RefusesAnonymousNegotiation()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "hubs/outages/negotiate?negotiateVersion=1");
        using var response = await server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    /// <summary>Runs the simulator in-process, as <c>ami-test-utility args…</c> would.</summary>
    internal static async Task<(int Exit, string Out, string Err)> Simulate(string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        int exit = await Cli.RunAsync(args, stdout, stderr, _ => null, timeout.Token);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private void Watch(IPage page, string name) => _diagnostics.Watch(page, name);

    private Task Screenshot(IPage page, string name) => _diagnostics.Screenshot(page, name);

    private void AssertNoPageErrors() => _diagnostics.AssertNoPageErrors();

    private Task WithDiagnostics(Func<Task> body) => _diagnostics.Run(body);
}
