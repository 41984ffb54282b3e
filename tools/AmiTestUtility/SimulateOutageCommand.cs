using System.Diagnostics;
using System.Text.Json;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Domain;

namespace OpsConsole.Tools.AmiTestUtility;

/// <summary>
/// <c>--simulate-outage --id M</c>: a test power-down (code 231) as CON, then the end-to-end checks:
/// the 2.04 ACK, the test recorded for the meter (REST), and no outage opened for it.
/// </summary>
public static class SimulateOutageCommand
{
    public const string Name = "simulate-outage";

    public static readonly string[] Options = [.. CommonOptions.Names, "id", "verify-timeout-ms"];

    public static async Task<int> RunAsync(ParsedArgs a, TextWriter stdout, Func<string, string?> env, CancellationToken ct)
    {
        var o = CommonOptions.From(a, env);
        var id = a.Required("id");
        var apiKey = o.RequireApiKey(Name);
        var verifyTimeout = TimeSpan.FromMilliseconds(a.Int("verify-timeout-ms", 10_000, 100, 600_000));
        var net = await MeterNetwork.LoadAsync(o, Name, ct);
        int m = net.ResolveMeter(id, Name);
        var meter = net.Topology[m];
        bool ok = true;
        void Step(bool passed, string text)
        {
            ok &= passed;
            stdout.WriteLine($"[{(passed ? "PASS" : "FAIL")}] {text}");
        }

        stdout.WriteLine($"meter {meter.Id} guid {meter.Guid} system title {meter.SystemTitle:X16} transformer {(net.Topology.ParentOf(m) is int p and >= 0 ? net.Topology[p].Id : "(unmapped)")}");
        using var api = new HeadEndApi(o.Api, apiKey, TimeSpan.FromMilliseconds(o.HttpTimeoutMs));

        // 1. The head-end knows the meter (and the API answers with this key) before anything is sent.
        JsonElement? before;
        try
        {
            before = await api.GetAsync($"/api/meters/{Uri.EscapeDataString(meter.Id)}", ct);
        }
        catch (ApiException ex)
        {
            Step(false, ex.Message);
            return 1;
        }

        Step(before is not null, before is null ? $"GET /api/meters/{meter.Id}: 404, the head-end does not know this meter" : $"GET /api/meters/{meter.Id}: known to the head-end");
        if (before is null)
        {
            return 1;
        }

        // 2. The test power-down, CON, retransmitted per RFC 7252 until the ACK.
        var peer = await CoapClient.ResolveAsync(o.Host, o.Port, ct);
        await using var coap = new CoapClient(peer, null, TimeSpan.FromMilliseconds(o.AckTimeoutMs), o.MaxRetransmit);
        uint counter = RunCounter.BaseFor(DateTimeOffset.UtcNow);
        var now = DateTimeOffset.UtcNow;
        ushort mid = coap.NextMessageId();
        var frame = net.Frame(m, MeterEventCode.TestPowerDown, eventId: counter, counter, CoapType.Confirmable, mid, now, now);
        stdout.WriteLine($"sending test power-down (code 231, CON, MID {mid}, event id {counter}, counter {counter}) to {peer} from {coap.LocalEndPoint}");
        var result = await coap.ExchangeAsync(frame, mid, ct);
        bool acked = result.Outcome == ExchangeOutcome.Answered && result.Type == CoapType.Acknowledgement && result.Code == CoapCode.Changed;
        Step(acked, $"CoAP answer: {result.Describe()} after {result.Transmissions} transmission(s), round trip {result.RoundTrip.TotalMilliseconds:0.0} ms");
        if (!acked)
        {
            return 1;
        }

        // 3. The head-end recorded the test for this meter (polled until it shows, within a deadline).
        var sw = Stopwatch.StartNew();
        bool recorded = false;
        JsonElement? after = null;
        while (!recorded && sw.Elapsed < verifyTimeout)
        {
            after = await api.GetAsync($"/api/meters/{Uri.EscapeDataString(meter.Id)}", ct);
            recorded = after is { } j && HasTestEvent(j, counter) && j.TryGetProperty("testResults", out var t) && t.GetArrayLength() > 0;
            if (!recorded)
            {
                await Task.Delay(100, ct);
            }
        }

        Step(recorded, recorded
            ? $"GET /api/meters/{meter.Id}: test event {counter} and a test result recorded ({sw.Elapsed.TotalMilliseconds:0} ms after the ACK)"
            : $"GET /api/meters/{meter.Id}: no test event {counter} with a test result within {verifyTimeout.TotalSeconds:0.#} s");

        // 4. No outage for it: not on the meter, not in any active outage.
        bool meterClear = after is { } a2 && (!a2.TryGetProperty("outageId", out var oid) || oid.ValueKind == JsonValueKind.Null);
        var active = await api.ActiveOutagesAsync(ct);
        var containing = new List<string>();
        foreach (var outage in active)
        {
            if (outage.DeviceId == meter.Id || outage.DeviceId == meter.Guid.ToString("D")
                || (await api.OutageMetersAsync(outage.Id, ct)).Contains(meter.Id))
            {
                containing.Add(outage.Id);
            }
        }

        Step(meterClear && containing.Count == 0, containing.Count == 0 && meterClear
            ? $"GET /api/outages?state=active: {active.Count} active outage(s), none contains {meter.Id}"
            : $"an outage was opened for a test power-down: {string.Join(", ", containing.DefaultIfEmpty("(meter outageId set)"))}");
        stdout.WriteLine(ok ? $"simulate-outage {meter.Id}: PASSED (round trip {result.RoundTrip.TotalMilliseconds:0.0} ms)" : $"simulate-outage {meter.Id}: FAILED");
        return ok ? 0 : 1;
    }

    private static bool HasTestEvent(JsonElement meter, uint eventId) =>
        meter.TryGetProperty("lastEvents", out var events)
        && events.EnumerateArray().Any(e => e.GetProperty("codeValue").GetInt32() == (int)MeterEventCode.TestPowerDown && e.GetProperty("eventId").GetUInt32() == eventId);
}
