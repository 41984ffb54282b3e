using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Claims;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Console.Client.Admin;
using System.Text.Json;
using OpsConsole.Console.Server.Security.Users;
using OpsConsole.Engine.Application;
using OpsConsole.Engine.Application.Meters;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Server.Tests;

/// <summary>
/// Issue 13 item 8 in the running host: an admin mutes a chronic false gasper over REST; its last gasps (real encrypted
/// frames over UDP) are stored and shown on the meter but join no outage; the mute is admin only, audited once, checked,
/// and survives a restart.
/// </summary>
public sealed class MeterMuteApiTests : IAsyncLifetime
{
    private const string DispatcherKey = "dispatcher-key-0123456789";
    private const string AdminKey = "admin-key-0123456789abcdef";
    private static readonly string[] Args = ["--Correlation:WindowMs=200", "--Verification:Auto=false", "--Verification:ChronicClears=1", $"--Api:Keys:0:Key={DispatcherKey}", "--Api:Keys:0:Role=dispatcher",
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

    private async Task<(HttpStatusCode Status, JsonElement Body)> Send(HttpMethod method, string path, string key, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Api-Key", key);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private AuditEntry[] AuditSince(int before) => [.. _host.Get<AuditLog>().Recent(1000).Reverse().Skip(before)];

    private Task<Engine.Correlation.Outage> WaitForOutage(Func<Engine.Correlation.Outage, bool> match)
    {
        var feed = _host.Get<IOutageFeed>();
        var tcs = new TaskCompletionSource<Engine.Correlation.Outage>(TaskCreationOptions.RunContinuationsAsynchronously);
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

        return tcs.Task.WaitAsync(TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task MutedMetersGasp_IsStoredAndShown_ButJoinsNoOutage_AndTheMuteSurvivesARestart()
    {
        var until = DateTimeOffset.UtcNow.AddDays(7);
        int before = _host.Get<AuditLog>().Recent(1000).Count;
        var (status, body) = await Send(HttpMethod.Post, "/api/meters/M1/mute", AdminKey, new { reason = "3 false gasps this month", until = until.ToString("O") });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("3 false gasps this month", body.GetProperty("mute").GetProperty("reason").GetString());
        var row = Assert.Single(AuditSince(before));
        Assert.Equal("outage-action", row.Action);
        Assert.StartsWith("mute M1 until ", row.Detail, StringComparison.Ordinal);
        Assert.EndsWith(": 3 false gasps this month", row.Detail, StringComparison.Ordinal);

        // M1 (muted) then M3 under T1: without the mute two meters down would make a Transformer outage of T1.
        await PowerDown(1, 1);
        await PowerDown(3, 1);
        var o = await WaitForOutage(o => o.ReportingMeterIds.Contains("M3"));
        Assert.Equal(("Meter", "M3"), (o.Level.ToString(), o.DeviceId));
        Assert.Equal(["M3"], o.ReportingMeterIds);

        var (_, meter) = await Send(HttpMethod.Get, "/api/meters/M1", DispatcherKey);
        Assert.Equal("Up", meter.GetProperty("state").GetString());
        Assert.Equal("PowerDown", meter.GetProperty("lastEvents")[0].GetProperty("code").GetString()); // stored, visible
        Assert.Equal("3 false gasps this month", meter.GetProperty("mute").GetProperty("reason").GetString());

        await StopAsync();
        await StartAsync();
        var (_, again) = await Send(HttpMethod.Get, "/api/meters/M1", DispatcherKey);
        Assert.Equal(until.UtcDateTime, again.GetProperty("mute").GetProperty("until").GetDateTime(), TimeSpan.FromMilliseconds(1));
        Assert.Equal(["M3"], _host.Get<IOutageFeed>().Current.Active.Single().ReportingMeterIds);

        before = _host.Get<AuditLog>().Recent(1000).Count;
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Delete, "/api/meters/M1/mute", AdminKey)).Status);
        var (_, unmuted) = await Send(HttpMethod.Get, "/api/meters/M1", DispatcherKey);
        Assert.Equal(JsonValueKind.Null, unmuted.GetProperty("mute").ValueKind);
        Assert.Equal(("outage-action", "unmute M1"), AuditSince(before).Select(r => (r.Action, r.Detail ?? "")).Single());
        await PowerDown(1, 2); // takes part again: joins M3's outage, which becomes T1's
        await WaitForOutage(o => o.ReportingMeterIds.Contains("M1") && o.ReportingMeterIds.Contains("M3"));
    }

    [Fact]
    public async Task Mute_IsAdminOnly_ChecksItsInput_AndAuditsEachAttemptOnce()
    {
        var until = DateTimeOffset.UtcNow.AddDays(7).ToString("O");
        int before = _host.Get<AuditLog>().Recent(1000).Count;

        Assert.Equal(HttpStatusCode.Forbidden, (await Send(HttpMethod.Post, "/api/meters/M1/mute", DispatcherKey, new { reason = "noisy", until })).Status);
        var noReason = await Send(HttpMethod.Post, "/api/meters/M1/mute", AdminKey, new { reason = " ", until });
        var badTime = await Send(HttpMethod.Post, "/api/meters/M1/mute", AdminKey, new { reason = "noisy", until = "next week" });
        var tooLong = await Send(HttpMethod.Post, "/api/meters/M1/mute", AdminKey, new { reason = "noisy", until = DateTimeOffset.UtcNow.AddDays(91).ToString("O") });
        var past = await Send(HttpMethod.Post, "/api/meters/M1/mute", AdminKey, new { reason = "noisy", until = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O") });
        var unknown = await Send(HttpMethod.Post, "/api/meters/M404/mute", AdminKey, new { reason = "noisy", until });
        var notMuted = await Send(HttpMethod.Delete, "/api/meters/M2/mute", AdminKey);
        var job = await _host.Get<MeterCommands>().MuteAsync(Actor.Job("sync", ActorRole.Dispatcher), "M1", "noisy", DateTimeOffset.UtcNow.AddDays(1));

        Assert.Equal((HttpStatusCode.BadRequest, "reason: required: why the meter is muted"), (noReason.Status, noReason.Body.GetProperty("detail").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, badTime.Status);
        Assert.StartsWith("until: 'next week' is not a time", badTime.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.BadRequest, "until: at most 90 days from now"), (tooLong.Status, tooLong.Body.GetProperty("detail").GetString()));
        Assert.Equal((HttpStatusCode.BadRequest, "until: must be in the future"), (past.Status, past.Body.GetProperty("detail").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal((HttpStatusCode.Conflict, "meter M2 is not muted"), (notMuted.Status, notMuted.Body.GetProperty("detail").GetString()));
        Assert.Equal(CommandStatus.Forbidden, job.Status);

        // One row per attempt that reached the command (the unparsable time never did); nothing muted.
        var rows = AuditSince(before);
        Assert.Equal(["action-refused", "outage-action-failed", "outage-action-failed", "outage-action-failed", "outage-action-failed", "outage-action-failed", "action-refused"],
            rows.Select(r => r.Action));
        Assert.Equal("unmute M2: meter M2 is not muted", rows[5].Detail);
        var (_, meter) = await Send(HttpMethod.Get, "/api/meters/M1", DispatcherKey);
        Assert.Equal(JsonValueKind.Null, meter.GetProperty("mute").ValueKind);
    }

    [Fact]
    public async Task ChronicList_ShowsClearedMeters_AndThePageMutesThemThroughTheSameCommand()
    {
        var (status, empty) = await Send(HttpMethod.Get, "/api/meters/chronic", DispatcherKey);
        Assert.Equal((HttpStatusCode.OK, 0), (status, empty.GetArrayLength()));

        await PowerDown(4, 1); // T2's only meter: a Transformer outage
        var o = await WaitForOutage(o => o.ReportingMeterIds.Contains("M4"));
        var cleared = await _host.Get<CorrelationService>().ApplyAsync(new OperatorAction { Kind = OperatorAction.ClearKind, OutageId = o.Id, Actor = "system:verification" });
        Assert.True(cleared.Succeeded, cleared.Error);

        var (_, chronic) = await Send(HttpMethod.Get, "/api/meters/chronic", DispatcherKey); // Verification:ChronicClears=1 here
        var row = Assert.Single(chronic.EnumerateArray());
        Assert.Equal(("M4", 1, JsonValueKind.Null), (row.GetProperty("id").GetString(), row.GetProperty("clears").GetInt32(), row.GetProperty("mute").ValueKind));

        await using var scope = _host.App.Services.CreateAsyncScope();
        var page = scope.ServiceProvider.GetRequiredService<IMeterMuteAdministration>();
        var dana = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "dana"), new Claim(ClaimTypes.Role, "dispatcher")], "test"));
        var ada = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "ada"), new Claim(ClaimTypes.Role, "admin")], "test"));
        int before = _host.Get<AuditLog>().Recent(1000).Count;

        Assert.Equal(CommandGuard.RoleRefused, (await page.MuteAsync(dana, "M4", "noisy", 30)).Error);
        Assert.Equal("required: why the meter is muted", (await page.MuteAsync(ada, "M4", "", 30)).FieldErrors[IMeterMuteAdministration.ReasonField]);
        Assert.Equal("at most 90 days from now", (await page.MuteAsync(ada, "M4", "noisy", 91)).FieldErrors[IMeterMuteAdministration.UntilField]);
        Assert.True((await page.MuteAsync(ada, "M4", "cleared 3 times", 30)).Succeeded);

        var listed = Assert.Single(await page.ChronicAsync());
        Assert.Equal(("M4", "ada", "cleared 3 times"), (listed.Id, listed.MutedBy, listed.MuteReason));
        Assert.Equal(["action-refused", "outage-action-failed", "outage-action-failed", "outage-action"], AuditSince(before).Select(r => r.Action));
        Assert.Equal("ada", AuditSince(before)[^1].User);
    }

    [Fact]
    public async Task MutedMeter_IsShownWhereverTheMeterIs_OutageDetailWorkQueueAndMap_UntilUnmuted()
    {
        // M1 and M3 under T1 go down: T1's outage lists M1, M2 (silent) and M3. M9 is mapped to no transformer.
        await PowerDown(1, 1);
        await PowerDown(3, 1);
        var o = await WaitForOutage(o => o.ReportingMeterIds.Contains("M1") && o.ReportingMeterIds.Contains("M3"));
        var until = DateTimeOffset.UtcNow.AddDays(7);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "/api/meters/M2/mute", AdminKey, new { reason = "cleared 3 times", until = until.ToString("O") })).Status);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "/api/meters/M9/mute", AdminKey, new { reason = "bad capacitor", until = until.ToString("O") })).Status);
        var (_, m2) = await Send(HttpMethod.Get, "/api/meters/M2", DispatcherKey);
        string by = m2.GetProperty("mute").GetProperty("by").GetString()!;
        string text = $"Muted until {until.UtcDateTime:yyyy-MM-dd HH:mm} UTC — cleared 3 times (by {by})";

        // REST: the outage's meter list and the work queue carry the mute as /api/meters/{id} does.
        var (_, detail) = await Send(HttpMethod.Get, $"/api/outages/{o.Id}", DispatcherKey);
        var meters = detail.GetProperty("meters").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!);
        Assert.Equal("cleared 3 times", meters["M2"].GetProperty("mute").GetProperty("reason").GetString());
        Assert.Equal(by, meters["M2"].GetProperty("mute").GetProperty("by").GetString());
        Assert.Equal(JsonValueKind.Null, meters["M1"].GetProperty("mute").ValueKind);
        var (_, queue) = await Send(HttpMethod.Get, "/api/meters?mapped=false", DispatcherKey);
        var m9 = queue.EnumerateArray().Single(m => m.GetProperty("id").GetString() == "M9");
        Assert.Equal("bad capacitor", m9.GetProperty("mute").GetProperty("reason").GetString());

        // The pages' sources: the outage detail's meters, the map's meter details, the work queue's rows.
        await using (var scope = _host.App.Services.CreateAsyncScope())
        {
            var board = scope.ServiceProvider.GetRequiredService<OpsConsole.Console.Client.Outages.IOutageBoardSource>();
            var shown = (await board.GetDetailAsync(o.Id))!.Meters.ToDictionary(m => m.Id);
            Assert.Equal(text, shown["M2"].Mute?.Text);
            Assert.Null(shown["M1"].Mute);
            var map = scope.ServiceProvider.GetRequiredService<OpsConsole.Console.Client.Map.INetworkMapSource>();
            Assert.Equal(text, (await map.GetDetailsAsync("M2"))!.Mute?.Text);
            Assert.Null((await map.GetDetailsAsync("M3"))!.Mute);
            Assert.Null((await map.GetDetailsAsync("T1"))!.Mute);
            var ada = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "ada"), new Claim(ClaimTypes.Role, "admin")], "test"));
            var row = (await scope.ServiceProvider.GetRequiredService<IUnmappedMeterQueue>().LoadAsync(ada, 100)).Meters.Single(m => m.Id == "M9");
            Assert.StartsWith($"Muted until {until.UtcDateTime:yyyy-MM-dd HH:mm} UTC — bad capacitor (by ", row.Mute?.Text, StringComparison.Ordinal);
        }

        // Unmuted: gone from every view.
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Delete, "/api/meters/M2/mute", AdminKey)).Status);
        var (_, after) = await Send(HttpMethod.Get, $"/api/outages/{o.Id}", DispatcherKey);
        Assert.All(after.GetProperty("meters").EnumerateArray().Where(m => m.GetProperty("id").GetString() == "M2"),
            m => Assert.Equal(JsonValueKind.Null, m.GetProperty("mute").ValueKind));
        await using (var scope = _host.App.Services.CreateAsyncScope())
        {
            Assert.Null((await scope.ServiceProvider.GetRequiredService<OpsConsole.Console.Client.Map.INetworkMapSource>().GetDetailsAsync("M2"))!.Mute);
        }
    }
}
