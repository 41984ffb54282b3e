using System.Text.Json;
using System.Text.Json.Serialization;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Tools.AmiTestUtility;

/// <summary>What a storm does (all randomness comes from <see cref="Seed"/>).</summary>
public sealed record StormSettings
{
    public int Seed { get; init; } = 1;

    public IReadOnlyList<string> Fail { get; init; } = [];

    public int RandomFaults { get; init; }

    /// <summary>Share of last-gasp datagrams (NON) lost on the way; CON messages are retransmitted instead.</summary>
    public double Loss { get; init; }

    /// <summary>Last gasps arrive spread uniformly over this many milliseconds (keep it within the correlation window).</summary>
    public int SpreadMs { get; init; } = 1500;

    /// <summary>Share of failed meters in a reboot loop: their last gasp is sent again (same datagram) and re-encrypted (same event, next counter).</summary>
    public double Duplicates { get; init; } = 0.1;

    /// <summary>Share of failed meters whose clock is off by <see cref="DriftSeconds"/>: flagged 0x092, no part in correlation.</summary>
    public double Drift { get; init; } = 0.02;

    public int DriftSeconds { get; init; } = 30;

    /// <summary>Healthy meters that send a last gasp encrypted with a wrong key (rejected ERR_AUTH_FAILED).</summary>
    public int Rogue { get; init; } = 3;

    /// <summary>Meters not in the registry (unknown system title) that send a last gasp (rejected ERR_UNKNOWN_METER).</summary>
    public int Unmapped { get; init; } = 3;

    /// <summary>Healthy meters that send a test power-down (code 231, CON).</summary>
    public int Tests { get; init; } = 3;

    public int Gateways { get; init; } = 8;

    public double RollupFraction { get; init; } = 0.5;
}

/// <summary>What one planned datagram is.</summary>
public enum MessageKind
{
    LastGasp,
    RepeatDatagram,
    Reencrypted,
    Drifted,
    Rogue,
    Unmapped,
    Test,
}

/// <summary>One datagram of the storm: from <see cref="Meter"/> (topology index; −1 for an unregistered meter) through gateway <see cref="Gateway"/>.</summary>
public sealed record PlannedMessage(MessageKind Kind, int Meter, double OffsetMs, int Gateway, bool Lost, int CounterSeq);

/// <summary>A failed element and the meters behind it.</summary>
public sealed record FaultTruth(string ElementId, string Level, int Customers, IReadOnlyList<string> Meters);

/// <summary>The ground truth of a storm (the <c>--truth</c> file).</summary>
public sealed record GroundTruth
{
    public int Seed { get; init; }

    public string Network { get; init; } = "";

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The highest invocation counter the storm used (restore starts above it).</summary>
    public uint LastCounter { get; init; }

    public IReadOnlyList<FaultTruth> Faults { get; init; } = [];

    /// <summary>The outages the head-end should show once the window closed, given the last gasps that arrived.</summary>
    public IReadOnlyList<ExpectedOutage> Expected { get; init; } = [];

    public Dictionary<string, int> Messages { get; init; } = [];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static GroundTruth Read(string path, string command)
    {
        try
        {
            return JsonSerializer.Deserialize<GroundTruth>(File.ReadAllText(path), Json) ?? throw new UsageException($"{command}: --truth = '{path}': empty");
        }
        catch (FileNotFoundException)
        {
            throw new UsageException($"{command}: --truth = '{path}': no such file");
        }
        catch (DirectoryNotFoundException)
        {
            throw new UsageException($"{command}: --truth = '{path}': no such folder");
        }
        catch (JsonException ex)
        {
            throw new UsageException($"{command}: --truth = '{path}': not a storm truth file ({ex.Message})");
        }
    }
}

/// <summary>A storm: its datagrams in send order and its ground truth.</summary>
public sealed record StormPlan(IReadOnlyList<PlannedMessage> Messages, IReadOnlyList<int> FailedElements, IReadOnlyList<FaultTruth> Faults, IReadOnlyList<ExpectedOutage> Expected, IReadOnlyList<string> Warnings);

/// <summary>Plans a storm on a topology from a seeded <see cref="Random"/>: the same seed and network give the same storm.</summary>
public static class StormPlanner
{
    private static readonly ElementKind[] LevelCycle = [ElementKind.Device, ElementKind.Transformer, ElementKind.Feeder, ElementKind.Substation];

    public static StormPlan Plan(NetworkTopology net, StormSettings s)
    {
        var rng = new Random(s.Seed);
        var warnings = new List<string>();
        var failed = new List<int>();
        foreach (var id in s.Fail)
        {
            if (!net.TryGetElement(id, out int e) || net.KindOf(e) is ElementKind.Meter or ElementKind.Line)
            {
                throw new UsageException($"storm: --fail {id}: not a substation, feeder, device or transformer of the network");
            }

            if (net.MeterCountBelow(e) == 0)
            {
                throw new UsageException($"storm: --fail {id}: no meters behind it, nothing would report");
            }

            if (failed.Any(f => Overlaps(net, f, e)))
            {
                throw new UsageException($"storm: --fail {id}: overlaps another failed element (one is upstream of the other)");
            }

            failed.Add(e);
        }

        var byKind = LevelCycle.ToDictionary(k => k, k => Enumerable.Range(0, net.ElementCount).Where(e => net.KindOf(e) == k && net.MeterCountBelow(e) > 0).ToArray());
        for (int i = 0; i < s.RandomFaults; i++)
        {
            int chosen = -1;
            for (int k = 0; k < LevelCycle.Length && chosen < 0; k++)
            {
                var pool = byKind[LevelCycle[(i + k) % LevelCycle.Length]];
                for (int attempt = 0; attempt < 60 && pool.Length > 0; attempt++)
                {
                    int c = pool[rng.Next(pool.Length)];
                    if (failed.Contains(c) || failed.Any(f => Overlaps(net, f, c)))
                    {
                        continue;
                    }

                    // Only faults the head-end can tell apart: with every gasp delivered, each failed element is its own outage.
                    var trial = failed.Append(c).ToList();
                    var predicted = OutagePredictor.Predict(net, trial.SelectMany(f => net.MetersBelow(f).ToArray()), s.RollupFraction);
                    if (predicted.Count == trial.Count && trial.All(f => predicted.Any(p => p.DeviceId == net[f].Id)))
                    {
                        chosen = c;
                        break;
                    }
                }
            }

            if (chosen < 0)
            {
                warnings.Add($"only {failed.Count} distinguishable faults fit the network (asked for {s.RandomFaults} random ones)");
                break;
            }

            failed.Add(chosen);
        }

        var failedMeters = new HashSet<int>(failed.SelectMany(f => net.MetersBelow(f).ToArray()));
        var healthy = Enumerable.Range(0, net.ElementCount).Where(e => net.KindOf(e) == ElementKind.Meter && !failedMeters.Contains(e) && net.ParentOf(e) >= 0).ToArray();
        int GatewayOf(int meter) => (int)((uint)(net.ParentOf(meter) is int t and >= 0 ? t : meter) % (uint)s.Gateways);
        double Jitter() => rng.NextDouble() * s.SpreadMs;
        bool Lose() => rng.NextDouble() < s.Loss;

        var messages = new List<PlannedMessage>();
        var down = new List<int>();
        foreach (int m in failedMeters.Order())
        {
            double at = Jitter();
            bool drift = rng.NextDouble() < s.Drift;
            bool loop = rng.NextDouble() < s.Duplicates;
            if (drift)
            {
                messages.Add(new PlannedMessage(MessageKind.Drifted, m, at, GatewayOf(m), Lose(), 0));
                continue;
            }

            bool lost = Lose();
            messages.Add(new PlannedMessage(MessageKind.LastGasp, m, at, GatewayOf(m), lost, 0));
            bool arrived = !lost;
            if (loop)
            {
                double again = Math.Min(s.SpreadMs, at + (rng.NextDouble() * 200));
                bool l1 = Lose(), l2 = Lose();
                messages.Add(new PlannedMessage(MessageKind.RepeatDatagram, m, again, GatewayOf(m), l1, 0));
                messages.Add(new PlannedMessage(MessageKind.Reencrypted, m, again, GatewayOf(m), l2, 1));
                arrived |= !l1 || !l2;
            }

            if (arrived)
            {
                down.Add(m);
            }
        }

        var noise = healthy.OrderBy(_ => rng.Next()).Take(s.Rogue + s.Tests).ToArray();
        foreach (int m in noise.Take(s.Rogue))
        {
            messages.Add(new PlannedMessage(MessageKind.Rogue, m, Jitter(), GatewayOf(m), false, 0));
        }

        foreach (int m in noise.Skip(s.Rogue))
        {
            messages.Add(new PlannedMessage(MessageKind.Test, m, Jitter(), GatewayOf(m), false, 0));
        }

        for (int i = 0; i < s.Unmapped; i++)
        {
            messages.Add(new PlannedMessage(MessageKind.Unmapped, -1 - i, Jitter(), rng.Next(s.Gateways), false, 0));
        }

        // Send order: by time; a meter's own datagrams keep their order (counters strictly increase).
        var ordered = messages.Select((msg, i) => (msg, i)).OrderBy(x => x.msg.OffsetMs).ThenBy(x => x.i).Select(x => x.msg).ToList();
        var faults = failed.Select(f => new FaultTruth(net[f].Id, OutagePredictor.LevelOf(net.KindOf(f)), net.MeterCountBelow(f),
            [.. net.MetersBelow(f).ToArray().Select(m => net[m].Id)])).ToList();
        var expected = OutagePredictor.Predict(net, down, s.RollupFraction);
        return new StormPlan(ordered, failed, faults, expected, warnings);
    }

    private static bool Overlaps(NetworkTopology net, int a, int b)
    {
        if (a == b)
        {
            return true;
        }

        foreach (int u in net.Upstream(a))
        {
            if (u == b)
            {
                return true;
            }
        }

        foreach (int u in net.Upstream(b))
        {
            if (u == a)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>The head-end's active outages against the expected ones.</summary>
public sealed record Score(int Expected, int Reported, int Matched, int WrongCustomers, IReadOnlyList<ExpectedOutage> Missed, IReadOnlyList<ApiOutage> Spurious, IReadOnlyList<string> CustomerMismatches)
{
    public double Precision => Reported == 0 ? (Expected == 0 ? 1 : 0) : (double)Matched / Reported;

    public double Recall => Expected == 0 ? 1 : (double)Matched / Expected;

    /// <summary>An outage matches when it names the expected element at the expected level.</summary>
    public static Score Compute(IReadOnlyList<ExpectedOutage> expected, IReadOnlyList<ApiOutage> reported)
    {
        var missed = new List<ExpectedOutage>();
        var used = new HashSet<ApiOutage>();
        var mismatches = new List<string>();
        foreach (var e in expected)
        {
            var hit = reported.FirstOrDefault(r => !used.Contains(r) && r.DeviceId == e.DeviceId && r.Level == e.Level);
            if (hit is null)
            {
                missed.Add(e);
                continue;
            }

            used.Add(hit);
            if (hit.Meters != e.Customers)
            {
                mismatches.Add($"{e.Level} {e.DeviceId}: {hit.Meters} customers reported, {e.Customers} expected");
            }
        }

        return new Score(expected.Count, reported.Count, used.Count, mismatches.Count, missed, [.. reported.Where(r => !used.Contains(r))], mismatches);
    }
}
