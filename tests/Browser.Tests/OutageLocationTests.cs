using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;
using OpsConsole.Tools.AmiTestUtility;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace OpsConsole.Browser.Tests;

/// <summary>
/// Finding an outage on the board without another system, in a real browser against the real server with the
/// simulator's meters over UDP: each row says where the outage is (name, address, feeder, start, age), and the search
/// box finds it by one of its meters or by address, through the page's address like the other filters.
/// </summary>
public sealed class OutageLocationTests(AddressedServer server, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<AddressedServer>, IClassFixture<BrowserFixture>
{
    private const float StormTimeoutMs = 60_000;
    private const float ActionTimeoutMs = 30_000;

    private readonly PageDiagnostics _diagnostics = new(output, server);
    private string? _truth;

    [Fact]
    public Task Board_ShowsWhereEachOutageIs_AndTheSearchFindsItByMeterAndAddress() => _diagnostics.Run(async () =>
    {
        var import = await TopologyGeoJsonReader.ReadFileAsync(AddressedServer.TopologyFile);
        Assert.True(import.IsValid);
        var net = NetworkTopology.Build(import.Features, keepExtraProperties: false);

        // Two transformers that fail together as two transformer outages (no roll-up), each with a clear nearest meter.
        var candidates = Enumerable.Range(0, net.ElementCount)
            .Where(e => net.KindOf(e) == ElementKind.Transformer && net.MeterCountBelow(e) is >= 3 and <= 12 && Nearest(net, e).Clear)
            .OrderBy(e => net[e].Id, StringComparer.Ordinal).ToList();
        var (a, b) = candidates.SelectMany(x => candidates.Where(y => y > x).Select(y => (x, y)))
            .First(p => OutagePredictor.Predict(net, [.. net.MetersBelow(p.x).ToArray(), .. net.MetersBelow(p.y).ToArray()]) is { Count: 2 } o
                && o.All(x => x.Level == "Transformer"));
        output.WriteLine($"Failing {net[a].Id} ({net.MeterCountBelow(a)} meters) and {net[b].Id} ({net.MeterCountBelow(b)} meters).");

        var page = await browser.NewPageAsync(server.BaseAddress);
        _diagnostics.Watch(page, "locate");
        await server.SignInAsync(page);
        await page.GotoAsync("outages");
        await Expect(page.GetByText("No active outages.")).ToBeVisibleAsync(new() { Timeout = ActionTimeoutMs });

        _truth = Path.Combine(server.WorkDirectory, "locate-truth.json");
        var storm = await DispatcherConsoleTests.Simulate(["storm", "--fail", net[a].Id, "--fail", net[b].Id, "--loss", "0", "--seed", "1", "--spread-ms", "300",
            "--duplicates", "0", "--drift", "0", "--rogue", "0", "--unmapped", "0", "--tests", "0", "--truth", _truth, .. await server.SimulatorOptionsAsync()]);
        Assert.True(storm.Exit == 0, storm.Out + storm.Err);

        var rows = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.Locator("td[data-label='State']") });
        await Expect(rows).ToHaveCountAsync(2, new() { Timeout = StormTimeoutMs });
        foreach (int t in new[] { a, b })
        {
            var row = RowOf(page, net[t].Name ?? net[t].Id);
            await Expect(row.Locator("td[data-label='Address']")).ToHaveTextAsync(net[Nearest(net, t).Meter].Address!);
            await Expect(row.Locator("td[data-label='Feeder']")).ToHaveTextAsync(net[net.AncestorOfKind(t, ElementKind.Feeder)].Id);
            await Expect(row.Locator("td[data-label='Started']")).ToHaveTextAsync(new Regex(@"^\d\d:\d\d$"));
            await Expect(row.Locator("td[data-label='Age']")).ToHaveTextAsync(new Regex(@"^\d+ (s|min)$"));
        }

        await _diagnostics.Screenshot(page, "locate-board.png");

        // A customer calls in with a meter number, typed in lower case: the board keeps the outage it is behind.
        var search = page.Locator("input[aria-label='Search outages'], [aria-label='Search outages'] input");
        string meter = net[net.MetersBelow(a)[^1]].Id;
        await search.FillAsync(meter.ToLowerInvariant());
        await Expect(page).ToHaveURLAsync(new Regex("[?&]q=" + Regex.Escape(Uri.EscapeDataString(meter.ToLowerInvariant())) + "($|&)"), new() { Timeout = ActionTimeoutMs });
        await Expect(rows).ToHaveCountAsync(1, new() { Timeout = ActionTimeoutMs });
        await Expect(RowOf(page, net[a].Name ?? net[a].Id)).ToHaveCountAsync(1);

        // By address (part of it, another case): the other outage.
        string address = net[Nearest(net, b).Meter].Address!;
        await search.FillAsync(address.Split(',')[0].ToUpperInvariant());
        await Expect(RowOf(page, net[b].Name ?? net[b].Id)).ToHaveCountAsync(1, new() { Timeout = ActionTimeoutMs });
        await Expect(rows).ToHaveCountAsync(1);

        // Its detail says where it is.
        await RowOf(page, net[b].Name ?? net[b].Id).Locator("td[data-label='Address']").ClickAsync();
        var detail = page.GetByRole(AriaRole.Complementary, new() { Name = "Outage details", Exact = true });
        await Expect(detail.GetByLabel("Address", new() { Exact = true })).ToContainTextAsync(address, new() { Timeout = ActionTimeoutMs });
        await Expect(detail.GetByLabel("Address", new() { Exact = true })).ToContainTextAsync(net[Nearest(net, b).Meter].Id);
        await Expect(detail.GetByLabel("Feeder", new() { Exact = true })).ToHaveTextAsync(net[net.AncestorOfKind(b, ElementKind.Feeder)].Id);
        await Expect(detail.GetByLabel("Started", new() { Exact = true })).ToContainTextAsync(" UTC · ");
        await _diagnostics.Screenshot(page, "locate-search-detail.png");

        // Cleared, the board shows both again.
        await search.FillAsync("");
        await Expect(rows).ToHaveCountAsync(2, new() { Timeout = ActionTimeoutMs });
        Assert.DoesNotContain("q=", page.Url, StringComparison.Ordinal);

        _diagnostics.AssertNoPageErrors();
        await page.Context.CloseAsync();
    }, async () =>
    {
        if (_truth is not null)
        {
            var restore = await DispatcherConsoleTests.Simulate(["restore", "--truth", _truth, "--leave-down", "0", .. await server.SimulatorOptionsAsync()]);
            output.WriteLine($"Restore: exit {restore.Exit} {restore.Out.Trim()}");
        }
    });

    private static ILocator RowOf(IPage page, string element) =>
        page.GetByRole(AriaRole.Row).Filter(new()
        {
            Has = page.Locator("td[data-label='Element']", new() { HasTextRegex = new Regex("^" + Regex.Escape(element) + "$") }),
        });

    /// <summary>The meter below <paramref name="element"/> nearest to it (longitude scaled by the cosine of the latitude), and whether no other is nearly as near.</summary>
    private static (int Meter, bool Clear) Nearest(NetworkTopology net, int element)
    {
        net[element].TryGetPoint(out double x0, out double y0);
        double scale = Math.Cos(y0 * Math.PI / 180);
        var byDistance = net.MetersBelow(element).ToArray().Select(m =>
        {
            net[m].TryGetPoint(out double x, out double y);
            double dx = (x - x0) * scale, dy = y - y0;
            return (Meter: m, D: Math.Sqrt((dx * dx) + (dy * dy)));
        }).OrderBy(p => p.D).ToList();
        return (byDistance[0].Meter, byDistance.Count == 1 || byDistance[1].D > byDistance[0].D * 1.01);
    }
}
