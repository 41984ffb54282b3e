using System.Diagnostics;
using System.Globalization;
using System.Net;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;

namespace OpsConsole.Tools.AmiTestUtility;

/// <summary>Gateways: one fixed local endpoint each (127.0.0.20+g when the head-end is on loopback), every meter behind one.</summary>
public sealed class Gateways : IAsyncDisposable
{
    private readonly CoapClient[] _clients;

    private Gateways(CoapClient[] clients) => _clients = clients;

    public CoapClient this[int gateway] => _clients[gateway % _clients.Length];

    public int Count => _clients.Length;

    public bool AnyRefused => _clients.Any(c => c.Refused);

    public static Gateways Open(IPEndPoint peer, int count, CommonOptions o)
    {
        var clients = new CoapClient[count];
        for (int g = 0; g < count; g++)
        {
            var local = IPAddress.IsLoopback(peer.Address) && peer.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
                ? new IPAddress([127, 0, 0, (byte)(20 + (g % 200))])
                : null;
            clients[g] = new CoapClient(peer, local, TimeSpan.FromMilliseconds(o.AckTimeoutMs), o.MaxRetransmit);
        }

        return new Gateways(clients);
    }

    public string Describe() => string.Join(", ", _clients.Select(c => c.LocalEndPoint.ToString()));

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients)
        {
            await c.DisposeAsync();
        }
    }
}

/// <summary><c>storm</c>: a seeded storm of last gasps (NON) with loss, jitter, duplicates, drift, rogue keys, unregistered meters and tests; ground truth and scoring.</summary>
public static class StormCommand
{
    public const string Name = "storm";

    public static readonly string[] Options = [.. CommonOptions.Names, "seed", "fail", "random-faults", "loss", "spread-ms", "duplicates", "drift", "rogue",
        "unmapped", "tests", "gateways", "truth", "window-ms", "settle-ms", "min-precision", "min-recall", "rollup-fraction"];

    public static readonly string[] Flags = ["score"];

    public static async Task<int> RunAsync(ParsedArgs a, TextWriter stdout, Func<string, string?> env, CancellationToken ct)
    {
        var o = CommonOptions.From(a, env);
        var settings = new StormSettings
        {
            Seed = a.Int("seed", 1),
            Fail = a.All("fail"),
            RandomFaults = a.Int("random-faults", 0, 0, 10_000),
            Loss = a.Double("loss", 0, 0, 0.99),
            SpreadMs = a.Int("spread-ms", 1500, 0, 600_000),
            Duplicates = a.Double("duplicates", 0.1, 0, 1),
            Drift = a.Double("drift", 0.02, 0, 1),
            Rogue = a.Int("rogue", 3, 0, 10_000),
            Unmapped = a.Int("unmapped", 3, 0, 10_000),
            Tests = a.Int("tests", 3, 0, 10_000),
            Gateways = a.Int("gateways", 8, 1, 200),
            RollupFraction = a.Double("rollup-fraction", 0.5, 0, 1),
        };
        if (settings.Fail.Count == 0 && settings.RandomFaults == 0)
        {
            throw new UsageException("storm: nothing fails: give --fail <elementId> (repeatable) and/or --random-faults N");
        }

        bool score = a.Has("score");
        int windowMs = a.Int("window-ms", 2000, 0, 600_000);
        int settleMs = a.Int("settle-ms", 10_000, 0, 600_000);
        double minPrecision = a.Double("min-precision", 1, 0, 1);
        double minRecall = a.Double("min-recall", 1, 0, 1);
        string? apiKey = score ? o.RequireApiKey(Name) : null;

        var net = await MeterNetwork.LoadAsync(o, Name, ct);
        var plan = StormPlanner.Plan(net.Topology, settings);
        foreach (var w in plan.Warnings)
        {
            stdout.WriteLine($"warning: {w}");
        }

        uint counterBase = RunCounter.BaseFor(DateTimeOffset.UtcNow);
        var truth = new GroundTruth
        {
            Seed = settings.Seed,
            Network = net.Source,
            CreatedAt = DateTimeOffset.UtcNow,
            LastCounter = counterBase + RunCounter.PerRun - 1,
            Faults = plan.Faults,
            Expected = plan.Expected,
            Messages = plan.Messages.GroupBy(m => m.Kind).ToDictionary(g => g.Key.ToString(), g => g.Count()),
        };
        foreach (var f in plan.Faults)
        {
            stdout.WriteLine($"fault: {f.Level} {f.ElementId} ({f.Customers} customers)");
        }

        foreach (var e in plan.Expected)
        {
            stdout.WriteLine($"expected outage: {e.Level} {e.DeviceId} ({e.Customers} customers)");
        }

        if (a.Get("truth") is { } truthPath)
        {
            await File.WriteAllTextAsync(truthPath, truth.ToJson(), ct);
            stdout.WriteLine($"ground truth written to {Path.GetFullPath(truthPath)}");
        }

        // Score only the storm's own outages: those open before it began are someone else's (an earlier run, real traffic).
        using var api = score ? new HeadEndApi(o.Api, apiKey!, TimeSpan.FromMilliseconds(o.HttpTimeoutMs)) : null;
        var before = api is null ? [] : await api.ActiveOutagesAsync(ct);
        if (before.Count > 0)
        {
            stdout.WriteLine($"{before.Count} outage(s) already open before the storm: not scored (they are not this storm's)");
        }

        var peer = await CoapClient.ResolveAsync(o.Host, o.Port, ct);
        await using var gateways = Gateways.Open(peer, settings.Gateways, o);
        stdout.WriteLine($"sending {plan.Messages.Count(m => !m.Lost)} of {plan.Messages.Count} datagrams to {peer} through {gateways.Count} gateways ({gateways.Describe()}) over {settings.SpreadMs} ms");
        var rogueKeys = new Random(settings.Seed ^ 0x5EED).GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), 32);
        var sent = new Dictionary<int, byte[]>();
        var tests = new List<Task<ExchangeResult>>();
        var start = Stopwatch.StartNew();
        var stormStart = DateTimeOffset.UtcNow;
        foreach (var m in plan.Messages)
        {
            var due = TimeSpan.FromMilliseconds(m.OffsetMs) - start.Elapsed;
            if (due > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(due, ct);
            }

            if (m.Lost)
            {
                continue;
            }

            var gw = gateways[m.Gateway];
            var now = DateTimeOffset.UtcNow;
            var eventTime = stormStart.AddMilliseconds(m.OffsetMs);
            uint counter = counterBase + (uint)m.CounterSeq;
            ushort mid = gw.NextMessageId();
            switch (m.Kind)
            {
                case MessageKind.LastGasp:
                    sent[m.Meter] = net.Frame(m.Meter, MeterEventCode.PowerDown, counterBase, counter, CoapType.NonConfirmable, mid, eventTime, now);
                    await gw.SendAsync(sent[m.Meter], ct);
                    break;
                case MessageKind.RepeatDatagram:
                    await gw.SendAsync(sent.TryGetValue(m.Meter, out var same) ? same
                        : net.Frame(m.Meter, MeterEventCode.PowerDown, counterBase, counter, CoapType.NonConfirmable, mid, eventTime, now), ct);
                    break;
                case MessageKind.Reencrypted:
                    await gw.SendAsync(net.Frame(m.Meter, MeterEventCode.PowerDown, counterBase, counter, CoapType.NonConfirmable, mid, eventTime, now), ct);
                    break;
                case MessageKind.Drifted:
                    var skew = TimeSpan.FromSeconds(settings.DriftSeconds);
                    await gw.SendAsync(net.Frame(m.Meter, MeterEventCode.PowerDown, counterBase, counter, CoapType.NonConfirmable, mid, eventTime + skew, now + skew), ct);
                    break;
                case MessageKind.Rogue:
                    var wrong = MeterKeys.Derive(rogueKeys, net.Topology[m.Meter].Guid);
                    await gw.SendAsync(net.Frame(m.Meter, MeterEventCode.PowerDown, counterBase, counter, CoapType.NonConfirmable, mid, eventTime, now, wrong), ct);
                    break;
                case MessageKind.Unmapped:
                    var guid = new Guid(settings.Seed, (short)(-m.Meter), 0x4000, 0x80, 0, 0, 0, 0, 0, 0, 0xEE);
                    await gw.SendAsync(MeterNetwork.BuildFrame(guid, 0xFFEE_0000_0000_0000UL + (ulong)(-m.Meter), net.KeysOf(guid), MeterEventCode.PowerDown,
                        counterBase, counter, CoapType.NonConfirmable, mid, eventTime, now), ct);
                    break;
                case MessageKind.Test:
                    var frame = net.Frame(m.Meter, MeterEventCode.TestPowerDown, counterBase, counter, CoapType.Confirmable, mid, now, now);
                    tests.Add(gw.ExchangeAsync(frame, mid, ct));
                    break;
            }
        }

        var testResults = await Task.WhenAll(tests);
        int testsAcked = testResults.Count(r => r.Outcome == ExchangeOutcome.Answered && r.Code == CoapCode.Changed);
        stdout.WriteLine($"sent in {start.Elapsed.TotalMilliseconds:0} ms: {string.Join(", ", truth.Messages.Select(kv => $"{kv.Key} {kv.Value}"))}; lost on purpose {plan.Messages.Count(m => m.Lost)}");
        bool transportOk = testsAcked == testResults.Length && !gateways.AnyRefused;
        if (tests.Count > 0)
        {
            stdout.WriteLine($"test power-downs acknowledged 2.04: {testsAcked} of {testResults.Length}" +
                (testResults.FirstOrDefault(r => r.Code != CoapCode.Changed) is { } bad ? $" (e.g. {bad.Describe()})" : ""));
        }

        if (gateways.AnyRefused)
        {
            stdout.WriteLine($"FAIL: the head-end at {peer} refused the datagrams (ICMP port unreachable): is the console running, on this --port?");
            return 1;
        }

        if (!score)
        {
            return transportOk ? 0 : 1;
        }

        // The window closes windowMs after the last gasp that opened it; then poll the REST API until it matches or the deadline.
        var earliest = TimeSpan.FromMilliseconds(settings.SpreadMs + windowMs);
        var deadline = earliest + TimeSpan.FromMilliseconds(settleMs);
        Score result;
        while (true)
        {
            var reported = StormOwn(await api!.ActiveOutagesAsync(ct), before, plan.Expected);
            result = Score.Compute(plan.Expected, reported);
            bool perfect = result.Matched == result.Expected && result.Matched == result.Reported && result.WrongCustomers == 0;
            if ((perfect && start.Elapsed >= earliest) || start.Elapsed >= deadline)
            {
                break;
            }

            await Task.Delay(250, ct);
        }

        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"score: precision {result.Precision:0.000} ({result.Matched}/{result.Reported} reported outages expected), recall {result.Recall:0.000} ({result.Matched}/{result.Expected} expected outages reported), wrong customer counts {result.WrongCustomers}"));
        foreach (var miss in result.Missed)
        {
            stdout.WriteLine($"  missed: {miss.Level} {miss.DeviceId} ({miss.Customers} customers)");
        }

        foreach (var extra in result.Spurious)
        {
            stdout.WriteLine($"  not expected: {extra.Level} {extra.DeviceId} ({extra.Meters} customers, {extra.State})");
        }

        foreach (var mismatch in result.CustomerMismatches)
        {
            stdout.WriteLine($"  wrong customers: {mismatch}");
        }

        var earlier = Shared(before, plan.Expected);
        foreach (var e in earlier)
        {
            stdout.WriteLine($"  note: {e.Level} {e.DeviceId} ({e.Id}) was already open before the storm; scored, as the storm expects an outage there");
        }

        bool passed = result.Precision >= minPrecision && result.Recall >= minRecall && transportOk;
        stdout.WriteLine(passed ? "storm: PASSED" : "storm: FAILED");
        return passed ? 0 : 1;
    }

    /// <summary>
    /// The outages a storm is scored on: those open now that were not open before it began, and those open before it
    /// that stand on an element the storm expects an outage at (its last gasps may have joined it).
    /// </summary>
    public static IReadOnlyList<ApiOutage> StormOwn(IReadOnlyList<ApiOutage> now, IReadOnlyList<ApiOutage> before, IReadOnlyList<ExpectedOutage> expected)
    {
        var earlier = before.Select(o => o.Id).ToHashSet(StringComparer.Ordinal);
        var shared = Shared(before, expected).Select(o => o.Id).ToHashSet(StringComparer.Ordinal);
        return [.. now.Where(o => !earlier.Contains(o.Id) || shared.Contains(o.Id))];
    }

    private static IReadOnlyList<ApiOutage> Shared(IReadOnlyList<ApiOutage> before, IReadOnlyList<ExpectedOutage> expected) =>
        [.. before.Where(o => expected.Any(e => e.Level == o.Level && e.DeviceId == o.DeviceId))];
}
