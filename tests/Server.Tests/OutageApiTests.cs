using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;

namespace OpsConsole.Server.Tests;

/// <summary>
/// Real encrypted frames over UDP into the running host, through correlation, out of REST and the SignalR hub.
/// Waits on explicit signals (hub messages, the feed), never on sleeps.
/// </summary>
public sealed class OutageApiTests : IAsyncLifetime
{
    private const string DispatcherKey = "dispatcher-key-0123456789";
    private const string AdminKey = "admin-key-0123456789abcdef";
    private static readonly string[] Args = ["--Correlation:WindowMs=200", $"--Api:Keys:0:Key={DispatcherKey}", "--Api:Keys:0:Role=dispatcher",
        $"--Api:Keys:1:Key={AdminKey}", "--Api:Keys:1:Role=admin"];

    private readonly TempFolder _folder = new();
    private RunningHost _host = null!;
    private UdpClient _udp = null!;
    private HttpClient _http = null!;
    private ushort _mid;

    public async Task InitializeAsync() => await StartAsync();

    private async Task StartAsync()
    {
        _host = await RunningHost.StartAsync(_folder, Args);
        _udp = _host.Connect();
        _http = new HttpClient { BaseAddress = _host.BaseAddress };
    }

    private async Task StopAsync()
    {
        _http.Dispose();
        _udp.Dispose();
        await _host.StopKeepingFolderAsync();
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        _folder.Dispose();
    }

    /// <summary>A CON power-down from meter Mn (SmallNetwork GUID and system title), answered once it is durable.</summary>
    private async Task PowerDown(int n, uint counter)
    {
        var guid = Guid.Parse($"00000000-0000-4000-8000-{n:x12}");
        var keys = MeterKeys.Derive(File.ReadAllBytes(_host.KeyFile), guid);
        var now = DateTimeOffset.UtcNow;
        var e = new MeterEvent(guid, MeterEventCode.PowerDown, counter, 1, now, now, 4200, -70, 0x8000_0000u);
        var frame = MeterFrameWriter.Post(CoapType.Confirmable, ++_mid, [0x42], MeterFrameWriter.Apdu(e, 0x4F50530000000000UL + (ulong)n, counter, keys));
        await _udp.SendAsync(frame);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var answer = await _udp.ReceiveAsync(timeout.Token);
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(answer.Buffer, out var view));
        Assert.Equal(CoapCode.Changed, view.Code);
    }

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, string? key, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Add("X-Api-Key", key);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return await _http.SendAsync(request);
    }

    private async Task<JsonElement> Json(HttpMethod method, string path, string? key = DispatcherKey, HttpStatusCode expected = HttpStatusCode.OK, object? body = null)
    {
        using var response = await Send(method, path, key, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Completes when the feed has published an outage matching <paramref name="match"/>.</summary>
    private Task<Engine.Correlation.Outage> WaitForOutage(Func<Engine.Correlation.Outage, bool> match)
    {
        var feed = _host.Get<IOutageFeed>();
        var tcs = new TaskCompletionSource<Engine.Correlation.Outage>(TaskCreationOptions.RunContinuationsAsynchronously);
        feed.Changed += changes =>
        {
            foreach (var c in changes)
            {
                if (match(c.Outage))
                {
                    tcs.TrySetResult(c.Outage);
                }
            }
        };
        if (feed.Current.All.FirstOrDefault(match) is { } already)
        {
            tcs.TrySetResult(already);
        }

        return tcs.Task.WaitAsync(TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task TwoLastGaspsUnderT1_BecomeOneTransformerOutage_InRestAndOnTheHub()
    {
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(_host.BaseAddress, "/hubs/outages"), o => o.Headers["X-Api-Key"] = DispatcherKey)
            .Build();
        var received = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.On<JsonElement>("OutageChanged", o =>
        {
            if (o.GetProperty("level").GetString() == "Transformer")
            {
                received.TrySetResult(o);
            }
        });
        await hub.StartAsync();

        await PowerDown(1, 1);
        await PowerDown(2, 1);
        var pushed = await received.Task.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal("T1", pushed.GetProperty("deviceId").GetString());
        var list = await Json(HttpMethod.Get, "/api/outages?state=active");
        var outage = Assert.Single(list.EnumerateArray());
        Assert.Equal(("Transformer", "T1", 3, 2, 1), (outage.GetProperty("level").GetString(), outage.GetProperty("deviceId").GetString(),
            outage.GetProperty("meters").GetInt32(), outage.GetProperty("reportingMeters").GetInt32(), outage.GetProperty("criticalMeters").GetInt32()));
        Assert.EndsWith("Z", outage.GetProperty("startedAt").GetString(), StringComparison.Ordinal);
        string id = outage.GetProperty("id").GetString()!;
        Assert.Equal(id, pushed.GetProperty("id").GetString());

        var one = await Json(HttpMethod.Get, $"/api/outages/{id}");
        // Every customer behind T1, reporting or not, with its state and last event (null when it sent none).
        var meters = one.GetProperty("meters").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!);
        Assert.Equal(["M1", "M2", "M3"], meters.Keys.Order());
        foreach (var reporting in new[] { "M1", "M2" })
        {
            Assert.True(meters[reporting].GetProperty("reported").GetBoolean());
            Assert.Equal("Down", meters[reporting].GetProperty("state").GetString());
            Assert.Equal("PowerDown", meters[reporting].GetProperty("lastEvent").GetProperty("code").GetString());
        }

        Assert.False(meters["M3"].GetProperty("reported").GetBoolean());
        Assert.Equal("Up", meters["M3"].GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, meters["M3"].GetProperty("lastEvent").ValueKind);

        var meter = await Json(HttpMethod.Get, "/api/meters/00000000-0000-4000-8000-000000000001");
        Assert.Equal(("M1", "T1", "Down", id), (meter.GetProperty("id").GetString(), meter.GetProperty("mapping").GetProperty("transformer").GetString(),
            meter.GetProperty("state").GetString(), meter.GetProperty("outageId").GetString()));
        Assert.Single(meter.GetProperty("lastEvents").EnumerateArray());

        var stats = await Json(HttpMethod.Get, "/api/stats");
        Assert.Equal(1, stats.GetProperty("outages").GetProperty("Transformer").GetInt32());
    }

    [Fact]
    public async Task RestoredOutage_LeavesTheBoardsOpenRows_AndIsAmongItsClosedRows()
    {
        await PowerDown(1, 1);
        await PowerDown(2, 1);
        var open = await WaitForOutage(o => o.DeviceId == "T1" && o.IsActive);
        var board = _host.Get<OpsConsole.Console.Server.Outages.OutageBoardSource>();
        var dispatcher = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Name, "dana"), new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Role, "dispatcher")], "test"));

        var result = await board.RestoreAsync(open.Id, dispatcher, "crew closed the fuse", null);
        Assert.True(result.Succeeded, result.Error);
        await WaitForOutage(o => o.Id == open.Id && !o.IsActive);

        Assert.DoesNotContain(board.Current.Rows, r => r.Id == open.Id);
        var closed = Assert.Single(board.ClosedRows(), r => r.Id == open.Id);
        Assert.Equal(OpsConsole.Console.Client.Outages.OutageStateView.Restored, closed.State);
        Assert.Equal("T1", closed.DeviceId);
        Assert.NotNull(await board.GetDetailAsync(open.Id)); // its detail opens from the board
    }

    [Fact]
    public async Task Auth_And_Problems_NameTheField()
    {
        using (var anonymous = await Send(HttpMethod.Get, "/api/outages", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using (var dispatcher = await Send(HttpMethod.Put, "/api/meters/M1/parent", DispatcherKey, new { transformer = "T2" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, dispatcher.StatusCode);
        }

        var state = await Json(HttpMethod.Get, "/api/outages?state=bogus", expected: HttpStatusCode.BadRequest);
        Assert.True(state.GetProperty("errors").TryGetProperty("state", out _));
        var missing = await Json(HttpMethod.Put, "/api/meters/M1/parent", AdminKey, HttpStatusCode.BadRequest, new { });
        Assert.True(missing.GetProperty("errors").TryGetProperty("transformer", out _));
        var notTx = await Json(HttpMethod.Put, "/api/meters/M1/parent", AdminKey, HttpStatusCode.BadRequest, new { transformer = "D1" });
        Assert.True(notTx.GetProperty("errors").TryGetProperty("transformer", out _));
        var unknown = await Json(HttpMethod.Get, "/api/outages/O-999", expected: HttpStatusCode.NotFound);
        Assert.Equal(404, unknown.GetProperty("status").GetInt32());

        var remapped = await Json(HttpMethod.Put, "/api/meters/M9/parent", AdminKey, body: new { transformer = "T2" });
        Assert.Equal("T2", remapped.GetProperty("transformer").GetString());
        var m9 = await Json(HttpMethod.Get, "/api/meters/M9");
        Assert.True(m9.GetProperty("mapping").GetProperty("remapped").GetBoolean());

        var topology = await Json(HttpMethod.Get, "/api/topology");
        Assert.Equal("FeatureCollection", topology.GetProperty("type").GetString());
        var bad = await Json(HttpMethod.Post, "/api/topology", AdminKey, HttpStatusCode.BadRequest, new { type = "FeatureCollection", features = new[] { new { type = "Feature" } } });
        Assert.NotEmpty(bad.GetProperty("errors").GetProperty("features").EnumerateArray());
    }

    [Fact]
    public async Task Restart_MidStorm_RebuildsTheSameOutages_NoneTwice()
    {
        var first = WaitForOutage(o => o.DeviceId == "T1" && o.ReportingMeters == 2);
        await PowerDown(1, 1);
        await PowerDown(2, 1);
        await first;
        var before = await Json(HttpMethod.Get, "/api/outages?state=all");

        await StopAsync();
        await StartAsync();

        var after = await Json(HttpMethod.Get, "/api/outages?state=all");
        Assert.Equal(Describe(before), Describe(after));

        // The storm goes on after the restart: M4 under T2 makes two of D2's two metered transformers
        // affected, so the open outage rolls up (same id) and takes M4; no outage or meter appears twice.
        var grown = WaitForOutage(o => o.ReportingMeters == 3);
        await PowerDown(4, 1);
        var rolled = await grown;
        Assert.Equal(before[0].GetProperty("id").GetString(), rolled.Id);
        var all = await Json(HttpMethod.Get, "/api/outages?state=all");
        var ids = all.EnumerateArray().Select(o => o.GetProperty("id").GetString()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(3, all.EnumerateArray().Where(o => o.GetProperty("state").GetString() is "Suspected" or "Confirmed")
            .Sum(o => o.GetProperty("reportingMeters").GetInt32()));

        static List<string> Describe(JsonElement list) => [.. list.EnumerateArray()
            .Select(o => $"{o.GetProperty("id").GetString()} {o.GetProperty("level").GetString()} {o.GetProperty("deviceId").GetString()} {o.GetProperty("meters").GetInt32()} {o.GetProperty("reportingMeters").GetInt32()}")
            .Order()];
    }

    [Fact]
    public async Task PostTopology_ReplacesTheNetwork_AndRebuildsOutages_UnknownMeterBecomesMapped()
    {
        var unknown = WaitForOutage(o => o.DeviceId == "M9" && o.Level == Engine.Correlation.OutageLevel.Unknown);
        await PowerDown(9, 1);
        await unknown;

        string mapped = SmallNetwork.GeoJson.Replace("\"id\":\"M9\",\"parent\":null", "\"id\":\"M9\",\"parent\":\"T2\"", StringComparison.Ordinal);
        Assert.NotEqual(SmallNetwork.GeoJson, mapped);
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/topology") { Content = new StringContent(mapped, System.Text.Encoding.UTF8, "application/geo+json") })
        {
            request.Headers.Add("X-Api-Key", AdminKey);
            using var response = await _http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            var body = JsonDocument.Parse(text).RootElement;
            Assert.Equal(5, body.GetProperty("meters").GetInt32());
            Assert.Equal(1, body.GetProperty("eventsReplayed").GetInt32());
        }

        // The rebuilt outages: M9's last gasp now sits behind T2, no Unknown outage left.
        var active = await Json(HttpMethod.Get, "/api/outages?state=all");
        var outage = Assert.Single(active.EnumerateArray());
        Assert.NotEqual("Unknown", outage.GetProperty("level").GetString());
        var m9 = await Json(HttpMethod.Get, "/api/meters/M9");
        Assert.Equal(("T2", false, "Down"), (m9.GetProperty("mapping").GetProperty("transformer").GetString(),
            m9.GetProperty("mapping").GetProperty("remapped").GetBoolean(), m9.GetProperty("state").GetString()));

        var topology = await Json(HttpMethod.Get, "/api/topology");
        var feature = Assert.Single(topology.GetProperty("features").EnumerateArray(), f => f.GetProperty("properties").TryGetProperty("id", out var id) && id.GetString() == "M9");
        Assert.Equal("T2", feature.GetProperty("properties").GetProperty("parent").GetString());
    }

    [Fact]
    public async Task Hub_SendsStatsChanged_AfterTraffic()
    {
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(_host.BaseAddress, "/hubs/outages"), o => o.Headers["X-Api-Key"] = DispatcherKey)
            .Build();
        var counted = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.On<JsonElement>("StatsChanged", s =>
        {
            if (s.GetProperty("accepted").GetInt64() >= 1)
            {
                counted.TrySetResult(s);
            }
        });
        await hub.StartAsync();

        await PowerDown(1, 1);

        var stats = await counted.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(1, stats.GetProperty("datagrams").GetProperty("accepted").GetInt64());
    }

    [Fact]
    public async Task Remap_ByApiKey_RecordsTheKeysActorName_InTheOutageHistory_NeverTheKey()
    {
        var unknown = WaitForOutage(o => o.DeviceId == "M9");
        await PowerDown(9, 1);
        await unknown;

        await Json(HttpMethod.Put, "/api/meters/M9/parent", AdminKey, body: new { transformer = "T2" });

        string expected = "api-key:admin:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(AdminKey)))[..4];
        var outages = await Json(HttpMethod.Get, "/api/outages?state=all");
        var actors = new List<string>();
        foreach (var o in outages.EnumerateArray())
        {
            var detail = await Json(HttpMethod.Get, $"/api/outages/{o.GetProperty("id").GetString()}");
            actors.AddRange(detail.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("actor").GetString()!));
        }

        Assert.Contains(expected, actors);
        Assert.DoesNotContain(actors, a => a.Contains(AdminKey, StringComparison.Ordinal));
    }
}
