using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
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
/// A server of its own for <see cref="UnmappedQueueTests"/>: ckt24 with one meter's parent removed (written into the
/// server's work folder before it starts), so that meter is the work queue's.
/// </summary>
public sealed class UnmappedServer : ServerProcess
{
    private static readonly string ApiKeyValue = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public UnmappedServer()
        : base(work => new Dictionary<string, string>
        {
            ["Api__Keys__0__Key"] = ApiKeyValue,
            ["Api__Keys__0__Role"] = "admin",
            ["Correlation__WindowMs"] = "500",
            ["Security__MasterKeyFile"] = Path.Combine(work, "data", "keys", "master.key"),
            ["Topology__File"] = WriteNetwork(work),
        })
    {
    }

    /// <summary>The meter left without its parent, its true transformer (also its nearest) and two of its siblings.</summary>
    public static (TopologyFeature Orphan, string Transformer, TopologyFeature[] Siblings) Chosen { get; } = Choose();

    public string ApiKey => ApiKeyValue;

    public string MasterKeyFile => Path.Combine(WorkDirectory, "data", "keys", "master.key");

    private static (TopologyFeature, string, TopologyFeature[]) Choose()
    {
        var import = TopologyGeoJsonReader.ReadFileAsync(DispatcherServer.Topology, CancellationToken.None).GetAwaiter().GetResult();
        var net = NetworkTopology.Build(import.Features, keepExtraProperties: false);
        foreach (int tx in Enumerable.Range(0, net.ElementCount).Where(e => net.KindOf(e) == ElementKind.Transformer && net.MeterCountBelow(e) >= 3))
        {
            var meters = net.MetersBelow(tx).ToArray();
            var orphan = net[meters[0]].Location;
            if (net.NearestTransformers(orphan.X, orphan.Y, 1) is [var nearest] && nearest == tx)
            {
                return (net[meters[0]], net[tx].Id, [net[meters[1]], net[meters[2]]]);
            }
        }

        throw new InvalidOperationException("no ckt24 transformer with three meters is the nearest to its first meter");
    }

    private static string WriteNetwork(string work)
    {
        var import = TopologyGeoJsonReader.ReadFileAsync(DispatcherServer.Topology, CancellationToken.None).GetAwaiter().GetResult();
        string orphan = Chosen.Orphan.Id;
        var path = Path.Combine(work, "ckt24-one-unmapped.geojson");
        using var file = File.Create(path);
        TopologyGeoJsonWriter.WriteAsync(file, import.Features.Select(f => f.Id == orphan ? f with { Parent = null } : f)).GetAwaiter().GetResult();
        return path;
    }
}

/// <summary>
/// Issue 13 item 6 in a real browser against the real server process: the unmapped meter and two of its true siblings
/// send last gasps at one instant (real CoAP over loopback); the admin opens the work queue, finds the true transformer
/// as the meter's top suggestion with its co-timed evidence, ticks the meter and assigns it. The meter leaves the queue,
/// the audit has the remap once, the export carries the new parent, and a map open meanwhile loses its unmapped-meter
/// count and the meter's line to its suggestion without a reload.
/// </summary>
public sealed class UnmappedQueueTests(UnmappedServer server, BrowserFixture browser)
    : IClassFixture<UnmappedServer>, IClassFixture<BrowserFixture>
{
    private const float ActionTimeoutMs = 30_000;

    [Fact]
    public async Task Admin_MapsAnUnmappedMeter_FromTheWorkQueue_WithItsTopSuggestion()
    {
        var (orphan, transformer, siblings) = UnmappedServer.Chosen;
        var master = MasterKeyFile.Load(server.MasterKeyFile);
        var headEnd = new IPEndPoint(IPAddress.Loopback, await server.UdpPortAsync());
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        uint counter = RunCounter.BaseFor(DateTimeOffset.UtcNow);
        var instant = DateTimeOffset.UtcNow;
        ushort mid = 700;
        foreach (var (meter, i) in siblings.Append(orphan).Select((m, i) => (m, i)))
        {
            var at = instant.AddMilliseconds(100 * i);
            var frame = MeterNetwork.BuildFrame(meter.Guid, meter.SystemTitle, MeterKeys.Derive(master, meter.Guid), MeterEventCode.PowerDown, counter, counter, CoapType.Confirmable, mid++, at, at);
            await udp.SendAsync(frame, headEnd);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var answer = await udp.ReceiveAsync(timeout.Token); // durable once acknowledged
            Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(answer.Buffer, out var view));
            Assert.Equal(CoapCode.Changed, view.Code);
        }

        // Correlation has taken the orphan's last gasp once its Unknown outage shows in the queue.
        using var api = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        api.DefaultRequestHeaders.Add("X-Api-Key", server.ApiKey);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await InUnknownOutageAsync(api, orphan.Id))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{orphan.Id} never reached an Unknown outage");
            await Task.Delay(100);
        }

        var page = await browser.NewPageAsync(server.BaseAddress);
        await server.SignInAsync(page);

        // A map open beside the queue: the meter in purple with a line to its top suggestion, and the count.
        var mapPage = await browser.NewPageAsync(server.BaseAddress);
        await server.SignInAsync(mapPage);
        await mapPage.GotoAsync("map");
        var map = mapPage.GetByRole(AriaRole.Region, new() { Name = "Network map", Exact = true });
        await Expect(map).ToHaveAttributeAsync("data-unmapped-lines", "1", new() { Timeout = ActionTimeoutMs });
        var chip = mapPage.GetByLabel("Unmapped meters", new() { Exact = true });
        await Expect(chip).ToHaveTextAsync("1 unmapped meters", new() { Timeout = ActionTimeoutMs });

        await page.GotoAsync("admin/unmapped");
        var table = page.GetByLabel("Unmapped meters", new() { Exact = true }); // MudSimpleTable puts the label on its wrapper
        var row = table.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Checkbox, new() { Name = $"Select {orphan.Id}", Exact = true }) });
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = ActionTimeoutMs });
        var picker = row.GetByRole(AriaRole.Combobox, new() { Name = $"Transformer for {orphan.Id}", Exact = true });
        await Expect(picker).ToHaveValueAsync(transformer, new() { Timeout = ActionTimeoutMs });
        await Expect(row).ToContainTextAsync($"2 of {OtherMeters(transformer)} meters of {transformer} went down within");

        var select = row.GetByRole(AriaRole.Checkbox, new() { Name = $"Select {orphan.Id}", Exact = true });
        await Expect(select).ToBeEnabledAsync(new() { Timeout = ActionTimeoutMs }); // interactive
        await select.CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Assign selected", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "1 meter(s) mapped" })).ToBeVisibleAsync(new() { Timeout = ActionTimeoutMs });
        await Expect(row).ToHaveCountAsync(0, new() { Timeout = ActionTimeoutMs });

        // The open map follows without a reload: no count, no line.
        await Expect(chip).ToHaveCountAsync(0, new() { Timeout = ActionTimeoutMs });
        await Expect(map).ToHaveAttributeAsync("data-unmapped-lines", "0", new() { Timeout = ActionTimeoutMs });

        using var queue = JsonDocument.Parse(await api.GetStringAsync("api/meters?mapped=false"));
        Assert.DoesNotContain(queue.RootElement.EnumerateArray(), m => m.GetProperty("id").GetString() == orphan.Id);
        using var audit = JsonDocument.Parse(await api.GetStringAsync("api/audit?user=admin&action=outage-action"));
        Assert.Single(audit.RootElement.EnumerateArray(), r => r.GetProperty("detail").GetString() == $"remap {orphan.Id} to {transformer}");
        using var exported = JsonDocument.Parse(await api.GetStringAsync("api/topology"));
        var feature = exported.RootElement.GetProperty("features").EnumerateArray().Single(f => f.GetProperty("properties").GetProperty("id").GetString() == orphan.Id);
        Assert.Equal(transformer, feature.GetProperty("properties").GetProperty("parent").GetString());
    }

    /// <summary>The transformer's meters once the orphan is taken away.</summary>
    private static int OtherMeters(string transformer)
    {
        var import = TopologyGeoJsonReader.ReadFileAsync(DispatcherServer.Topology, CancellationToken.None).GetAwaiter().GetResult();
        return import.Features.Count(f => f.Kind == ElementKind.Meter && f.Parent == transformer) - 1;
    }

    private static async Task<bool> InUnknownOutageAsync(HttpClient api, string meter)
    {
        using var queue = JsonDocument.Parse(await api.GetStringAsync("api/meters?mapped=false"));
        return queue.RootElement.EnumerateArray().Any(m => m.GetProperty("id").GetString() == meter && m.GetProperty("unknownOutageId").ValueKind == JsonValueKind.String);
    }
}
