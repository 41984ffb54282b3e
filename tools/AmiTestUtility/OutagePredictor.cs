using OpsConsole.Gis.Topology;

namespace OpsConsole.Tools.AmiTestUtility;

/// <summary>An outage the head-end should report: its level, element and customers behind it.</summary>
public sealed record ExpectedOutage(string Level, string DeviceId, int Customers);

/// <summary>
/// The README's correlation rules restated on the final set of meters whose genuine last gasps
/// arrived: a transformer with two or more reporting meters (or a single meter) is a Transformer
/// outage, one meter of several a Meter outage; walking up, an element with at least 2 affected
/// transformers and at least <c>RollupFraction</c> of its metered transformers affected takes over
/// (passing through elements that add no affected transformer); an unmapped meter is Unknown.
/// </summary>
public static class OutagePredictor
{
    public static IReadOnlyList<ExpectedOutage> Predict(NetworkTopology net, IEnumerable<int> downMeters, double rollupFraction = 0.5)
    {
        var downAt = new Dictionary<int, List<int>>();
        var unknown = new List<int>();
        foreach (int m in downMeters.Distinct())
        {
            int tx = net.ParentOf(m);
            if (tx < 0)
            {
                unknown.Add(m);
                continue;
            }

            if (!downAt.TryGetValue(tx, out var list))
            {
                downAt[tx] = list = [];
            }

            list.Add(m);
        }

        var affectedTx = new Dictionary<int, int>();
        foreach (int tx in downAt.Keys)
        {
            foreach (int a in net.Upstream(tx))
            {
                affectedTx[a] = affectedTx.GetValueOrDefault(a) + 1;
            }
        }

        var meteredTx = new Dictionary<int, int>();
        int MeteredTx(int a)
        {
            if (!meteredTx.TryGetValue(a, out int n))
            {
                n = 0;
                var seen = new HashSet<int>();
                foreach (int m in net.MetersBelow(a))
                {
                    if (net.ParentOf(m) is int t and >= 0)
                    {
                        seen.Add(t);
                    }
                }

                meteredTx[a] = n = seen.Count;
            }

            return n;
        }

        var elements = new HashSet<int>();
        var meterOutages = new List<int>();
        foreach (var (tx, down) in downAt)
        {
            int x = down.Count >= 2 || net.MeterCountBelow(tx) == 1 ? tx : -1;
            int prev = 1;
            foreach (int a in net.Upstream(tx))
            {
                int affected = affectedTx.GetValueOrDefault(a);
                if (affected >= 2 && affected >= rollupFraction * MeteredTx(a))
                {
                    x = a;
                }
                else if (affected != prev)
                {
                    break;
                }

                prev = affected;
            }

            if (x >= 0)
            {
                elements.Add(x);
            }
            else
            {
                meterOutages.AddRange(down);
            }
        }

        bool Covered(int e)
        {
            foreach (int a in net.Upstream(e))
            {
                if (elements.Contains(a))
                {
                    return true;
                }
            }

            return false;
        }

        var result = new List<ExpectedOutage>();
        foreach (int x in elements.Where(x => !Covered(x)))
        {
            result.Add(new ExpectedOutage(LevelOf(net.KindOf(x)), net[x].Id, net.MeterCountBelow(x)));
        }

        foreach (int m in meterOutages.Where(m => !Covered(m)))
        {
            result.Add(new ExpectedOutage("Meter", net[m].Id, 1));
        }

        result.AddRange(unknown.Select(m => new ExpectedOutage("Unknown", net[m].Id, 1)));
        return [.. result.OrderBy(r => r.DeviceId, StringComparer.Ordinal)];
    }

    public static string LevelOf(ElementKind kind) => kind switch
    {
        ElementKind.Substation => "Substation",
        ElementKind.Feeder => "Feeder",
        ElementKind.Device => "Device",
        ElementKind.Transformer => "Transformer",
        ElementKind.Meter => "Meter",
        _ => kind.ToString(),
    };
}
