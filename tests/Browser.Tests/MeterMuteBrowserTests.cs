using System.Net;
using System.Net.Http.Json;
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
using static Microsoft.Playwright.Assertions;

namespace OpsConsole.Browser.Tests;

/// <summary>
/// A server of its own for <see cref="MeterMuteBrowserTests"/>: one false-positive clear makes a meter chronic, no
/// automatic verification (the test clears), short meter-request timeouts.
/// </summary>
public sealed class MuteServer : ServerProcess
{
    private static readonly string ApiKeyValue = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public MuteServer()
        : base(work => new Dictionary<string, string>
        {
            ["Api__Keys__0__Key"] = ApiKeyValue,
            ["Api__Keys__0__Role"] = "admin",
            ["Correlation__WindowMs"] = "500",
            ["Security__MasterKeyFile"] = Path.Combine(work, "data", "keys", "master.key"),
            ["Topology__File"] = DispatcherServer.Topology,
            ["Verification__Auto"] = "false",
            ["Verification__ChronicClears"] = "1",
            ["MeterClient__AckTimeoutMs"] = "200",
            ["MeterClient__MaxRetransmit"] = "1",
        })
    {
    }

    public string ApiKey => ApiKeyValue;

    public string MasterKeyFile => Path.Combine(WorkDirectory, "data", "keys", "master.key");
}

/// <summary>
/// Issue 13 item 8 in a real browser against the real server process: two simulated meters (real CoAP over loopback)
/// gasp, answer energised, and their outage is cleared as a false positive, so they are chronic. The admin mutes one
/// from <c>/admin/chronic</c>; the outage detail, where the meter is shown, says "Muted until … — reason (by admin)";
/// the admin unmutes it and the mute is gone from both.
/// </summary>
public sealed class MeterMuteBrowserTests(MuteServer server, BrowserFixture browser)
    : IClassFixture<MuteServer>, IClassFixture<BrowserFixture>
{
    private const float ActionTimeoutMs = 30_000;
    private const string Reason = "cleared as a false gasp";

    [Fact]
    public async Task Admin_MutesAChronicMeter_SeesTheMuteOnTheMeter_AndUnmutesIt()
    {
        var import = await TopologyGeoJsonReader.ReadFileAsync(DispatcherServer.Topology, CancellationToken.None);
        var net = NetworkTopology.Build(import.Features, keepExtraProperties: false);
        var master = MasterKeyFile.Load(server.MasterKeyFile);
        int tx = Enumerable.Range(0, net.ElementCount).First(e => net.KindOf(e) == ElementKind.Transformer && net.MeterCountBelow(e) >= 3);
        var identities = net.MetersBelow(tx).ToArray().Take(2).Select(m => net[m])
            .Select(f => new MeterIdentity(f.Id, f.Guid, f.SystemTitle, MeterKeys.Derive(master, f.Guid))).ToList();
        await using var fleet = MeterFleet.StartProtected(identities, 20_000 + Random.Shared.Next(20_000), firstAddress: 170);
        foreach (var m in fleet.Meters)
        {
            m.Behaviour!.PoweredUpAt = DateTimeOffset.UtcNow.AddMinutes(-30); // energised all along: a false positive
        }

        var headEnd = new IPEndPoint(IPAddress.Loopback, await server.UdpPortAsync());
        uint counter = RunCounter.BaseFor(DateTimeOffset.UtcNow);
        var now = DateTimeOffset.UtcNow;
        foreach (var (meter, i) in fleet.Meters.Select((m, i) => (m, i)))
        {
            var id = meter.Behaviour!.Identity;
            uint n = counter + (uint)i;
            await fleet.SendFromAsync(meter, MeterNetwork.BuildFrame(id.Guid, id.SystemTitle, id.Keys, MeterEventCode.PowerDown, n, n, CoapType.Confirmable, (ushort)(400 + i), now, now), headEnd);
        }

        // The transformer's outage, cleared over REST (both meters answer energised): both meters are chronic now.
        using var api = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        api.DefaultRequestHeaders.Add("X-Api-Key", server.ApiKey);
        string outageId = await OutageOfAsync(api, net[tx].Id);
        using (var cleared = await api.PostAsJsonAsync($"api/outages/{outageId}/clear", new { reason = "false gasp" }))
        {
            Assert.True(cleared.IsSuccessStatusCode, await cleared.Content.ReadAsStringAsync());
        }

        string meterId = identities[0].Id;
        var page = await browser.NewPageAsync(server.BaseAddress);
        await server.SignInAsync(page);

        // 1. Mute it from the chronic gaspers page.
        await page.GotoAsync("admin/chronic");
        var row = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.Locator("td[data-label='Meter']", new() { HasTextRegex = new Regex("^" + Regex.Escape(meterId) + "$") }) });
        await Expect(row.Locator("td[data-label='Mute']")).ToHaveTextAsync("not muted", new() { Timeout = ActionTimeoutMs });
        var mute = row.GetByRole(AriaRole.Button, new() { Name = $"Mute {meterId}", Exact = true });
        await Expect(mute).ToBeEnabledAsync(new() { Timeout = ActionTimeoutMs }); // interactive
        await mute.ClickAsync();
        await page.Locator("input[aria-label='Mute reason']").FillAsync(Reason);
        await page.Locator("input[aria-label='Mute reason']").PressAsync("Tab");
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm mute", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"{meterId} is muted for 30 days", new() { Timeout = ActionTimeoutMs });
        await Expect(row.Locator("td[data-label='Mute']")).ToContainTextAsync($"by admin: {Reason}");

        // 2. Shown on the meter where a dispatcher sees it: the outage detail's meter list.
        using var meterJson = JsonDocument.Parse(await api.GetStringAsync($"api/meters/{meterId}"));
        var until = meterJson.RootElement.GetProperty("mute").GetProperty("until").GetDateTime();
        string shown = $"Muted until {until:yyyy-MM-dd HH:mm} UTC — {Reason} (by admin)";
        var detail = await OpenOutageAsync(page, outageId);
        await Expect(detail.GetByLabel($"Mute of {meterId}", new() { Exact = true })).ToHaveTextAsync(shown, new() { Timeout = ActionTimeoutMs });
        await Expect(detail.GetByLabel($"Mute of {identities[1].Id}", new() { Exact = true })).ToHaveCountAsync(0);

        // 3. Unmuted: the chronic page says so, and the meter no longer shows a mute.
        await page.GotoAsync("admin/chronic");
        var unmute = row.GetByRole(AriaRole.Button, new() { Name = $"Unmute {meterId}", Exact = true });
        await Expect(unmute).ToBeEnabledAsync(new() { Timeout = ActionTimeoutMs });
        await unmute.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"{meterId} takes part in correlation again", new() { Timeout = ActionTimeoutMs });
        await Expect(row.Locator("td[data-label='Mute']")).ToHaveTextAsync("not muted");
        detail = await OpenOutageAsync(page, outageId);
        await Expect(detail.GetByLabel("Meters", new() { Exact = true })).ToContainTextAsync(meterId, new() { Timeout = ActionTimeoutMs });
        await Expect(detail.GetByLabel($"Mute of {meterId}", new() { Exact = true })).ToHaveCountAsync(0);
    }

    private static async Task<ILocator> OpenOutageAsync(IPage page, string outageId)
    {
        await page.GotoAsync($"outages?outage={Uri.EscapeDataString(outageId)}&state=all");
        var detail = page.GetByRole(AriaRole.Complementary, new() { Name = "Outage details", Exact = true });
        await Expect(detail).ToBeVisibleAsync(new() { Timeout = ActionTimeoutMs });
        return detail;
    }

    /// <summary>The id of the element's outage, once correlation has opened it (polled over REST, bounded).</summary>
    private static async Task<string> OutageOfAsync(HttpClient api, string element)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var outages = JsonDocument.Parse(await api.GetStringAsync("api/outages"));
            if (outages.RootElement.EnumerateArray().FirstOrDefault(o => o.GetProperty("deviceId").GetString() == element) is { ValueKind: JsonValueKind.Object } o)
            {
                return o.GetProperty("id").GetString()!;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no outage of {element} was opened");
            await Task.Delay(100);
        }
    }
}
