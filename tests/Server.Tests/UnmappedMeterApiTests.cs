using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;

namespace OpsConsole.Server.Tests;

/// <summary>
/// The unmapped-meter work queue over REST (issue 13 item 6): real last gasps over UDP, the queue, the suggestions with
/// their co-timed evidence, assigning many through the one remap (audited per meter), and the remap written back on export.
/// SmallNetwork: M9 is unmapped; T1 feeds M1–M3, T2 feeds M4.
/// </summary>
public sealed class UnmappedMeterApiTests : IAsyncLifetime
{
    private const string DispatcherKey = "dispatcher-key-0123456789";
    private const string AdminKey = "admin-key-0123456789abcdef";

    private RunningHost _host = null!;
    private UdpClient _udp = null!;
    private HttpClient _http = null!;
    private ushort _mid;

    public async Task InitializeAsync()
    {
        _host = await RunningHost.StartAsync("--Correlation:WindowMs=2000", $"--Api:Keys:0:Key={DispatcherKey}", "--Api:Keys:0:Role=dispatcher",
            $"--Api:Keys:1:Key={AdminKey}", "--Api:Keys:1:Role=admin");
        _udp = _host.Connect();
        _http = new HttpClient { BaseAddress = _host.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _udp.Dispose();
        await _host.DisposeAsync();
    }

    private async Task PowerDown(int n, DateTimeOffset at)
    {
        var guid = Guid.Parse($"00000000-0000-4000-8000-{n:x12}");
        var keys = MeterKeys.Derive(File.ReadAllBytes(_host.KeyFile), guid);
        var e = new MeterEvent(guid, MeterEventCode.PowerDown, 1, 1, at, at, 4200, -70, 0x8000_0000u);
        var frame = MeterFrameWriter.Post(CoapType.Confirmable, ++_mid, [0x42], MeterFrameWriter.Apdu(e, 0x4F50530000000000UL + (ulong)n, 1, keys));
        await _udp.SendAsync(frame);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var answer = await _udp.ReceiveAsync(timeout.Token);
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(answer.Buffer, out var view));
        Assert.Equal(CoapCode.Changed, view.Code);
    }

    private Task<Outage> WaitForOutage(Func<Outage, bool> match)
    {
        var feed = _host.Get<IOutageFeed>();
        var tcs = new TaskCompletionSource<Outage>(TaskCreationOptions.RunContinuationsAsynchronously);
        feed.Changed += changes =>
        {
            foreach (var c in changes.Where(c => match(c.Outage)))
            {
                tcs.TrySetResult(c.Outage);
            }
        };
        if (feed.Current.All.FirstOrDefault(match) is { } already)
        {
            tcs.TrySetResult(already);
        }

        return tcs.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }

    private async Task<JsonElement> Json(HttpMethod method, string path, string? key = DispatcherKey, HttpStatusCode expected = HttpStatusCode.OK, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Api-Key", key);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task Queue_Suggestions_AssignMany_Audited_WrittenBackOnExport()
    {
        var queue = await Json(HttpMethod.Get, "/api/meters?mapped=false");
        var m9 = Assert.Single(queue.EnumerateArray());
        Assert.Equal(["id", "guid", "unknownOutageId", "lastEventAt", "mute"], m9.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("M9", JsonValueKind.Null), (m9.GetProperty("id").GetString(), m9.GetProperty("unknownOutageId").ValueKind));
        Assert.Equal(JsonValueKind.Null, m9.GetProperty("mute").ValueKind); // not muted

        // M9 goes down with two of T1's three meters (one meter clock instant, as when T1 fails).
        var instant = DateTimeOffset.UtcNow;
        var unknown = WaitForOutage(o => o.Level == OutageLevel.Unknown && o.DeviceId == "M9");
        var t1 = WaitForOutage(o => o.DeviceId == "T1" && o.ReportingMeters == 2);
        await PowerDown(1, instant);
        await PowerDown(2, instant.AddMilliseconds(300));
        await PowerDown(9, instant.AddMilliseconds(500));
        var unknownOutage = await unknown;
        await t1;

        queue = await Json(HttpMethod.Get, "/api/meters?mapped=false");
        m9 = Assert.Single(queue.EnumerateArray());
        Assert.Equal(unknownOutage.Id, m9.GetProperty("unknownOutageId").GetString());
        Assert.Equal(JsonValueKind.String, m9.GetProperty("lastEventAt").ValueKind);

        var suggestions = await Json(HttpMethod.Get, "/api/meters/M9/suggestions");
        var list = suggestions.EnumerateArray().ToList();
        Assert.InRange(list.Count, 1, 5);
        Assert.Equal(["transformer", "score", "distanceM", "coTimedMeters", "reason"], list[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(list.Select(s => s.GetProperty("score").GetDouble()).OrderDescending(), list.Select(s => s.GetProperty("score").GetDouble()));
        var forT1 = list.Single(s => s.GetProperty("transformer").GetString() == "T1");
        Assert.Equal(2, forT1.GetProperty("coTimedMeters").GetInt32());
        Assert.StartsWith("2 of 3 meters of T1 went down within 0.5 s of this meter", forT1.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(forT1.GetProperty("distanceM").GetDouble() > 900);
        Assert.Equal(404, (await Json(HttpMethod.Get, "/api/meters/NOPE/suggestions", expected: HttpStatusCode.NotFound)).GetProperty("status").GetInt32());
        Assert.True((await Json(HttpMethod.Get, "/api/meters?mapped=true", expected: HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("mapped", out _));

        // A dispatcher's batch is refused once; an empty one names the field.
        var pairs = new { assignments = new[] { new { meter = "M9", transformer = "T1" }, new { meter = "M4", transformer = "NOPE" } } };
        await Json(HttpMethod.Put, "/api/meters/parents", DispatcherKey, HttpStatusCode.Forbidden, pairs);
        var empty = await Json(HttpMethod.Put, "/api/meters/parents", AdminKey, HttpStatusCode.BadRequest, new { assignments = Array.Empty<object>() });
        Assert.True(empty.GetProperty("errors").TryGetProperty("assignments", out _));

        // The map's count follows: 1 before, and 0 pushed to the open map pages once M9 is mapped.
        var count = _host.Get<OpsConsole.Console.Client.Map.IUnmappedMeterCount>();
        Assert.Equal(1, await count.GetAsync());
        var line = await count.TopSuggestionLinesAsync(10); // M9 to its top suggestion, for the map
        Assert.Equal(4, line.Length);
        Assert.Equal((-89.01, 40.01), (line[0], line[1]));
        var top = SmallNetwork.Build().Find(list[0].GetProperty("transformer").GetString()!)!.Location;
        Assert.Equal((top.X, top.Y), (line[2], line[3]));
        var none = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var live = count.Subscribe(n =>
        {
            if (n == 0)
            {
                none.TrySetResult();
            }

            return Task.CompletedTask;
        });

        var done = await Json(HttpMethod.Put, "/api/meters/parents", AdminKey, body: pairs);
        Assert.Equal(1, done.GetProperty("done").GetInt32());
        var results = done.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(("M9", "done"), (results[0].GetProperty("meter").GetString(), results[0].GetProperty("status").GetString()));
        Assert.Equal("T1", results[0].GetProperty("outage").GetProperty("deviceId").GetString()); // re-correlated into T1's outage
        Assert.Equal("invalid", results[1].GetProperty("status").GetString());
        Assert.Contains("not a transformer", results[1].GetProperty("error").GetString(), StringComparison.Ordinal);

        Assert.Empty((await Json(HttpMethod.Get, "/api/meters?mapped=false")).EnumerateArray());
        await none.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var audit = (await Json(HttpMethod.Get, "/api/audit?limit=1000", AdminKey)).EnumerateArray()
            .Select(e => (Action: e.GetProperty("action").GetString(), Detail: e.GetProperty("detail").GetString())).ToList();
        Assert.Single(audit, a => a is ("outage-action", "remap M9 to T1"));
        Assert.Single(audit, a => a.Action == "outage-action-failed" && a.Detail!.StartsWith("remap M4 to NOPE", StringComparison.Ordinal));
        Assert.Single(audit, a => a.Action == "action-refused" && a.Detail!.Contains("remap 2 meter(s)", StringComparison.Ordinal));
        Assert.Single(audit, a => a.Action == "outage-action-failed" && a.Detail!.StartsWith("remap 0 meter(s)", StringComparison.Ordinal));

        var exported = await Json(HttpMethod.Get, "/api/topology");
        var m9Feature = exported.GetProperty("features").EnumerateArray().Single(f => f.GetProperty("properties").GetProperty("id").GetString() == "M9");
        Assert.Equal("T1", m9Feature.GetProperty("properties").GetProperty("parent").GetString());
    }
}
