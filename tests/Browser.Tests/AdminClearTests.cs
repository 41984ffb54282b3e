using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;
using OpsConsole.Tools.AmiTestUtility;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace OpsConsole.Browser.Tests;

/// <summary>
/// A server of its own for <see cref="AdminClearTests"/>: no automatic verification (the admin is the one who clears),
/// and short meter-request timeouts so a silent meter is known silent quickly.
/// </summary>
public sealed class ClearServer : ServerProcess
{
    private static readonly string ApiKeyValue = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public ClearServer()
        : base(work => new Dictionary<string, string>
        {
            ["Api__Keys__0__Key"] = ApiKeyValue,
            ["Api__Keys__0__Role"] = "admin",
            ["Correlation__WindowMs"] = "500",
            ["Security__MasterKeyFile"] = Path.Combine(work, "data", "keys", "master.key"),
            ["Topology__File"] = DispatcherServer.Topology,
            ["Verification__Auto"] = "false",
            ["MeterClient__AckTimeoutMs"] = "200",
            ["MeterClient__MaxRetransmit"] = "1",
        })
    {
    }

    public string ApiKey => ApiKeyValue;

    public string MasterKeyFile => Path.Combine(WorkDirectory, "data", "keys", "master.key");
}

/// <summary>
/// Issue 13 item 3 in a real browser against the real server process: simulated meters (real CoAP over loopback,
/// answering <c>GET /ami/status</c> per wire-format.md §6) send last gasps; the admin presses <i>Clear as false
/// positive</i> on the outage detail. With one meter without supply the panel refuses, naming it and showing each
/// meter's answer; once it answers energised (and was never down) the same button clears the outage, audited once.
/// </summary>
public sealed class AdminClearTests(ClearServer server, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<ClearServer>, IClassFixture<BrowserFixture>
{
    private const float ActionTimeoutMs = 30_000;

    [Fact]
    public async Task Admin_ClearsAFalsePositive_FromTheOutageDetail_AfterARefusalNamingTheSilentMeter()
    {
        var import = await TopologyGeoJsonReader.ReadFileAsync(DispatcherServer.Topology, CancellationToken.None);
        var net = NetworkTopology.Build(import.Features, keepExtraProperties: false);
        var master = MasterKeyFile.Load(server.MasterKeyFile);
        int tx = Enumerable.Range(0, net.ElementCount).First(e => net.KindOf(e) == ElementKind.Transformer && net.MeterCountBelow(e) >= 3);
        var identities = net.MetersBelow(tx).ToArray().Take(2).Select(m => net[m])
            .Select(f => new MeterIdentity(f.Id, f.Guid, f.SystemTitle, MeterKeys.Derive(master, f.Guid))).ToList();
        await using var fleet = MeterFleet.StartProtected(identities, 20_000 + Random.Shared.Next(20_000), firstAddress: 150);
        var (up, silent) = (fleet.Meters[0], fleet.Meters[1]);
        up.Behaviour!.PoweredUpAt = DateTimeOffset.UtcNow.AddMinutes(-30);
        silent.Behaviour!.PoweredUpAt = DateTimeOffset.UtcNow.AddMinutes(-30);

        // The last gasps, each from the meter's own endpoint (where the head-end asks it later).
        var headEnd = new IPEndPoint(IPAddress.Loopback, await server.UdpPortAsync());
        uint counter = RunCounter.BaseFor(DateTimeOffset.UtcNow);
        var now = DateTimeOffset.UtcNow;
        foreach (var (meter, i) in fleet.Meters.Select((m, i) => (m, i)))
        {
            var id = meter.Behaviour!.Identity;
            uint n = counter + (uint)i;
            await fleet.SendFromAsync(meter, MeterNetwork.BuildFrame(id.Guid, id.SystemTitle, id.Keys, MeterEventCode.PowerDown, n, n, CoapType.Confirmable, (ushort)(300 + i), now, now), headEnd);
        }

        silent.Behaviour.Silent = true; // no supply now: no answer, and its latest event is its last gasp

        var page = await browser.NewPageAsync(server.BaseAddress);
        await server.SignInAsync(page);
        await page.GotoAsync("outages");
        string element = net[tx].Name ?? net[tx].Id;
        var row = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.Locator("td[data-label='Element']", new() { HasTextRegex = new Regex("^" + Regex.Escape(element) + "$") }) });
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = ActionTimeoutMs });
        await row.Locator("td[data-label='Element']").ClickAsync();
        var detail = page.GetByRole(AriaRole.Complementary, new() { Name = "Outage details", Exact = true });
        await Expect(detail).ToBeVisibleAsync(new() { Timeout = ActionTimeoutMs });
        var clear = detail.GetByRole(AriaRole.Button, new() { Name = "Clear as false positive", Exact = true });

        // 1. One meter has no supply: refused, naming it, with each meter's answer; the outage stays.
        await clear.ClickAsync();
        await Expect(detail.GetByRole(AriaRole.Alert)).ToContainTextAsync($"{silent.Id} (off)", new() { Timeout = ActionTimeoutMs });
        var verification = detail.GetByLabel("Verification", new() { Exact = true });
        await Expect(verification.GetByRole(AriaRole.Row).Filter(new() { HasText = silent.Id })).ToContainTextAsync("off");
        await Expect(verification.GetByRole(AriaRole.Row).Filter(new() { HasText = up.Id })).ToContainTextAsync("on");
        await Expect(row).ToHaveCountAsync(1);
        output.WriteLine("Refused: " + await detail.GetByRole(AriaRole.Alert).InnerTextAsync());

        // 2. It answers now, energised and up for half an hour (longer than the outage): a false positive, cleared.
        silent.Behaviour.Silent = false;
        await clear.ClickAsync();
        await Expect(detail).ToContainTextAsync("Cleared", new() { Timeout = ActionTimeoutMs });
        await Expect(row).ToHaveCountAsync(0, new() { Timeout = ActionTimeoutMs });
        var timeline = detail.GetByLabel("Timeline", new() { Exact = true });
        await Expect(timeline.GetByRole(AriaRole.Row).Filter(new() { HasText = "Cleared" })).ToContainTextAsync("admin");

        // The REST view agrees, and the audit has one refusal and one clear by admin, each with the meters' answers.
        using var api = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        api.DefaultRequestHeaders.Add("X-Api-Key", server.ApiKey);
        using var all = JsonDocument.Parse(await api.GetStringAsync("api/outages?state=all"));
        var outage = all.RootElement.EnumerateArray().Single(o => o.GetProperty("deviceId").GetString() == net[tx].Id);
        Assert.Equal("Cleared", outage.GetProperty("state").GetString());
        string outageId = outage.GetProperty("id").GetString()!;
        using var audit = JsonDocument.Parse(await api.GetStringAsync("api/audit?user=admin"));
        var rows = audit.RootElement.EnumerateArray()
            .Where(r => (r.GetProperty("detail").GetString() ?? "").StartsWith($"clear {outageId}", StringComparison.Ordinal))
            .Select(r => (Action: r.GetProperty("action").GetString(), Detail: r.GetProperty("detail").GetString()!)).Reverse().ToList();
        Assert.Equal(["outage-action-failed", "outage-action"], rows.Select(r => r.Action));
        Assert.Contains($"{silent.Id}=off", rows[0].Detail, StringComparison.Ordinal);
        Assert.Contains($"{silent.Id}=on up ", rows[1].Detail, StringComparison.Ordinal);
        output.WriteLine(string.Join("\n", rows.Select(r => $"{r.Action}: {r.Detail}")));
    }
}
