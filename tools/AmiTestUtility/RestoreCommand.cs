using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols.Coap;

namespace OpsConsole.Tools.AmiTestUtility;

/// <summary><c>restore --truth f.json</c>: power-ups (code 2, CON) for the meters of a storm's faults, leaving a seeded share down.</summary>
public static class RestoreCommand
{
    public const string Name = "restore";

    public static readonly string[] Options = [.. CommonOptions.Names, "truth", "leave-down", "seed", "gateways", "parallel"];

    public static async Task<int> RunAsync(ParsedArgs a, TextWriter stdout, Func<string, string?> env, CancellationToken ct)
    {
        var o = CommonOptions.From(a, env);
        var truthPath = a.Required("truth");
        double leaveDown = a.Double("leave-down", 0, 0, 1);
        int seed = a.Int("seed", 1);
        int gatewayCount = a.Int("gateways", 8, 1, 200);
        int parallel = a.Int("parallel", 16, 1, 1024);
        var truth = GroundTruth.Read(truthPath, Name);
        var net = await MeterNetwork.LoadAsync(o, Name, ct);
        var rng = new Random(seed);
        var meters = new List<int>();
        var left = new List<string>();
        foreach (var id in truth.Faults.SelectMany(f => f.Meters).Distinct(StringComparer.Ordinal))
        {
            int m = net.ResolveMeter(id, Name);
            if (rng.NextDouble() < leaveDown)
            {
                left.Add(id);
            }
            else
            {
                meters.Add(m);
            }
        }

        // Counters above everything the storm used, and above any earlier run.
        uint counter = Math.Max(RunCounter.BaseFor(DateTimeOffset.UtcNow), truth.LastCounter + 1);
        var peer = await CoapClient.ResolveAsync(o.Host, o.Port, ct);
        await using var gateways = Gateways.Open(peer, gatewayCount, o);
        stdout.WriteLine($"restoring {meters.Count} meters of {truth.Faults.Count} faults, leaving {left.Count} down, through {gateways.Count} gateways to {peer}");
        using var gate = new SemaphoreSlim(parallel);
        var results = await Task.WhenAll(meters.Select(async m =>
        {
            await gate.WaitAsync(ct);
            try
            {
                int tx = net.Topology.ParentOf(m);
                var gw = gateways[(int)((uint)(tx >= 0 ? tx : m) % (uint)gatewayCount)];
                ushort mid = gw.NextMessageId();
                var now = DateTimeOffset.UtcNow;
                return (m, await gw.ExchangeAsync(net.Frame(m, MeterEventCode.PowerUp, counter, counter, CoapType.Confirmable, mid, now, now), mid, ct));
            }
            finally
            {
                gate.Release();
            }
        }));

        var failed = results.Where(r => r.Item2.Outcome != ExchangeOutcome.Answered || r.Item2.Code != CoapCode.Changed).ToList();
        foreach (var (m, r) in failed.Take(10))
        {
            stdout.WriteLine($"  {net.Topology[m].Id}: {r.Describe()}");
        }

        if (left.Count > 0)
        {
            stdout.WriteLine($"left down: {string.Join(' ', left)}");
        }

        var rtt = results.Where(r => r.Item2.Outcome == ExchangeOutcome.Answered).Select(r => r.Item2.RoundTrip.TotalMilliseconds).Order().ToList();
        stdout.WriteLine($"power-ups acknowledged 2.04: {results.Length - failed.Count} of {results.Length}" + (rtt.Count > 0 ? $", round trip p50 {rtt[rtt.Count / 2]:0.0} ms, max {rtt[^1]:0.0} ms" : ""));
        return failed.Count == 0 ? 0 : 1;
    }
}
