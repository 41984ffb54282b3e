using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.Topology;
using OpsConsole.Tools.AmiTestUtility;

namespace OpsConsole.AmiTestUtility.Tests;

/// <summary><c>GET /api/power-status</c> on the real console, asking simulated meters over real UDP (wire-format.md §6).</summary>
public sealed class PowerStatusTests : IAsyncLifetime
{
    private ConsoleUnderTest _console = null!;

    public async Task InitializeAsync() =>
        _console = await ConsoleUnderTest.StartAsync("--MeterClient:AckTimeoutMs=50", "--MeterClient:MaxRetransmit=1", "--MeterClient:MaxConcurrency=4");

    public async Task DisposeAsync() => await _console.DisposeAsync();

    [Fact]
    public async Task PowerStatus_OfFourMeters_IsOn_Off_CommFailure_AndUnknown()
    {
        var net = _console.App.Services.GetRequiredService<TopologyState>().Current;
        var master = MasterKeyFile.Load(_console.KeyFile);
        var tx = Enumerable.Range(0, net.ElementCount).First(e => net.KindOf(e) == ElementKind.Transformer && net.MeterCountBelow(e) >= 4);
        var features = net.MetersBelow(tx).ToArray().Take(4).Select(m => net[m]).ToList();
        var identities = features.Select(f => new MeterIdentity(f.Id, f.Guid, f.SystemTitle, MeterKeys.Derive(master, f.Guid))).ToList();
        await using var fleet = MeterFleet.StartProtected(identities, 20_000 + Random.Shared.Next(20_000), firstAddress: 40);
        var (on, off, silent, unknown) = (fleet.Meters[0], fleet.Meters[1], fleet.Meters[2], features[3]);
        on.Behaviour!.PoweredUpAt = DateTimeOffset.UtcNow.AddMinutes(-10);

        // Each of the first three tells the head-end something from its own endpoint: that is where it is asked.
        var store = _console.App.Services.GetRequiredService<EventStore>();
        var stored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var wanted = identities.Take(3).Select(i => i.Guid).ToList();
        void Handler()
        {
            if (store.LastByMeters(wanted).Count == wanted.Count)
            {
                stored.TrySetResult();
            }
        }

        Action handler = Handler;
        store.Stored += handler;
        var headEnd = new IPEndPoint(IPAddress.Loopback, _console.UdpPort);
        var now = DateTimeOffset.UtcNow;
        foreach (var (meter, code, i) in new[] { (on, MeterEventCode.PowerUp, 0), (off, MeterEventCode.PowerDown, 1), (silent, MeterEventCode.PowerUp, 2) })
        {
            var id = meter.Behaviour!.Identity;
            await fleet.SendFromAsync(meter, MeterNetwork.BuildFrame(id.Guid, id.SystemTitle, id.Keys, code, 1, 1, CoapType.Confirmable, (ushort)(100 + i), now, now), headEnd);
        }

        Handler(); // in case they were stored before the subscription
        await stored.Task.WaitAsync(TimeSpan.FromSeconds(30));
        store.Stored -= handler;
        off.Behaviour!.Silent = true;
        silent.Behaviour!.Silent = true;

        var json = await _console.GetJson($"/api/power-status?meters={on.Id},{off.Id},{silent.Id},{unknown.Id}");

        var byMeter = json.EnumerateArray().ToDictionary(e => e.GetProperty("meter").GetString()!);
        Assert.Equal("on", byMeter[on.Id].GetProperty("status").GetString());
        Assert.InRange(byMeter[on.Id].GetProperty("uptimeS").GetInt64(), 599, 700);
        Assert.Equal(240_000, byMeter[on.Id].GetProperty("voltageMv").GetInt64());
        Assert.Equal("off", byMeter[off.Id].GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, byMeter[off.Id].GetProperty("uptimeS").ValueKind);
        Assert.Equal("comm-failure", byMeter[silent.Id].GetProperty("status").GetString());
        Assert.Equal("unknown", byMeter[unknown.Id].GetProperty("status").GetString());
        Assert.True(byMeter[on.Id].TryGetProperty("at", out _));

        // The transformer: every meter below it, the same answers for these (the rest have no endpoint).
        var below = await _console.GetJson($"/api/power-status?transformer={net[tx].Id}");
        Assert.Equal(net.MeterCountBelow(tx), below.GetArrayLength());
        Assert.Contains(below.EnumerateArray(), e => e.GetProperty("meter").GetString() == on.Id && e.GetProperty("status").GetString() == "on");
    }

    [Theory]
    [InlineData("", "give exactly one of")]
    [InlineData("?meters=a&transformer=b", "give exactly one of")]
    [InlineData("?meters=no-such-meter", "'no-such-meter' is not a meter")]
    [InlineData("?transformer=no-such-tx", "'no-such-tx' is not a transformer")]
    [InlineData("?device=no-such-device", "'no-such-device' is not a device")]
    public async Task PowerStatus_BadInput_Is400_WithAClearMessage(string query, string message)
    {
        using var http = new HttpClient { BaseAddress = _console.BaseAddress };
        http.DefaultRequestHeaders.Add("X-Api-Key", ConsoleUnderTest.ApiKey);

        using var response = await http.GetAsync("/api/power-status" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PowerStatus_WithoutCredentials_Is401()
    {
        using var http = new HttpClient { BaseAddress = _console.BaseAddress };

        using var response = await http.GetAsync("/api/power-status?meters=x");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
