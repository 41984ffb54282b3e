using System.Globalization;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Application.Meters;

/// <summary>One suggested transformer for an unmapped meter (api.md <c>GET /api/meters/{id}/suggestions</c>).</summary>
/// <param name="Transformer">Its id.</param>
/// <param name="Score">0–1: the share of belief among the transformers considered (the scores of all of them add up to 1).</param>
/// <param name="DistanceM">From the meter, metres; null when the meter has no place on the map.</param>
/// <param name="CoTimedMeters">Its meters that went down within the window of one of this meter's last gasps.</param>
/// <param name="Meters">Its meters (remaps applied), the meter asked about excluded.</param>
/// <param name="Reason">One sentence: the evidence.</param>
public sealed record MeterSuggestion(string Transformer, double Score, double? DistanceM, int CoTimedMeters, int Meters, string Reason);

/// <summary>
/// Ranks the transformers an unmapped meter may be fed from. Each candidate (the transformers of every meter that went
/// down within the window of one of this meter's recorded last gasps, and the <see cref="NearestCandidates"/> nearest
/// from the network's STRtree) gets a log-likelihood, and the scores are their softmax:
/// <list type="number">
/// <item><b>Co-timed last gasps</b>, across every recorded outage: each last gasp of the meter that half or more of the
/// transformer's meters did not share costs <c>ln 0.1</c> (the meter would have been down alone), and so does each time
/// half or more of them went down together without the meter (its last gasp would have been lost). A transformer with
/// no other meter is no evidence either way.</item>
/// <item><b>Distance</b>: <c>−d / 15 m</c> (a meter's transformer is its nearest for about four meters in five on ckt24).</item>
/// <item><b>Phase</b> when both are known: <c>−3</c> when the transformer does not carry the meter's phase.</item>
/// </list>
/// Pure: the network, the remaps in force and the index are passed in.
/// </summary>
public static class MeterSuggester
{
    public const int MaxSuggestions = 5;

    /// <summary>Nearest transformers always considered, with or without co-timed evidence.</summary>
    public const int NearestCandidates = 8;

    private const double MetresPerDegree = 111_320;
    private const double DistanceScaleM = 15;
    private const double PhaseMismatch = -3;
    private static readonly double Unlikely = Math.Log(0.1);

    /// <param name="net">The network in force.</param>
    /// <param name="meter">The meter's element in <paramref name="net"/>, or -1 when it is not in the network (no place, no phase).</param>
    /// <param name="guid">The meter's GUID (its last gasps in <paramref name="gasps"/>).</param>
    /// <param name="overrides">Remaps in force: meter id (or GUID) → transformer id.</param>
    /// <param name="gasps">Recorded last gasps, caught up.</param>
    /// <param name="windowTicks">Two last gasps this close are co-timed.</param>
    public static IReadOnlyList<MeterSuggestion> Suggest(NetworkTopology net, int meter, Guid guid, IReadOnlyDictionary<string, string> overrides,
        LastGaspIndex gasps, long windowTicks, int max = MaxSuggestions)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(overrides);
        ArgumentNullException.ThrowIfNull(gasps);

        var own = gasps.GaspsOf(guid);
        var candidates = new HashSet<int>();
        var near = new HashSet<Guid>();
        var crowd = new int[own.Length]; // other meters down within the window of each last gasp
        var around = new HashSet<Guid>();
        for (int i = 0; i < own.Length; i++)
        {
            around.Clear();
            gasps.MetersNear(own[i], windowTicks, around);
            around.Remove(guid);
            foreach (var v in around)
            {
                crowd[i] += Closest(gasps.GaspsOf(v), own[i]) <= windowTicks ? 1 : 0;
            }

            near.UnionWith(around);
        }

        foreach (var v in near)
        {
            if (net.TryGetMeter(v, out int vm) && TransformerOf(net, vm, overrides) is >= 0 and var tx)
            {
                candidates.Add(tx);
            }
        }

        bool placed = meter >= 0 && net[meter].TryGetPoint(out _, out _);
        if (placed)
        {
            var c = net[meter].Location;
            candidates.UnionWith(net.NearestTransformers(c.X, c.Y, NearestCandidates));
        }

        var movedInto = new Dictionary<int, List<int>>();
        foreach (var (m, t) in overrides)
        {
            if (net.TryGetMeter(m, out int mm) && net.TryGetElement(t, out int te))
            {
                if (!movedInto.TryGetValue(te, out var l))
                {
                    movedInto[te] = l = [];
                }

                l.Add(mm);
            }
        }

        string? meterPhase = meter >= 0 ? PhaseOf(net[meter]) : null;
        var evaluated = new List<(double LogLikelihood, MeterSuggestion Suggestion)>(candidates.Count);
        foreach (int tx in candidates)
        {
            evaluated.Add(Evaluate(net, meter, tx, own, crowd, overrides, movedInto, gasps, windowTicks, placed, meterPhase));
        }

        if (evaluated.Count == 0)
        {
            return [];
        }

        double top = evaluated.Max(e => e.LogLikelihood);
        double sum = evaluated.Sum(e => Math.Exp(e.LogLikelihood - top));
        var ranked = evaluated
            .Select(e => e.Suggestion with { Score = Math.Round(Math.Exp(e.LogLikelihood - top) / sum, 4) })
            .OrderByDescending(s => s.Score)
            .ThenBy(s => s.DistanceM ?? double.MaxValue)
            .ThenBy(s => s.Transformer, StringComparer.Ordinal)
            .Take(max)
            .ToList();
        return ranked;
    }

    private static (double, MeterSuggestion) Evaluate(NetworkTopology net, int meter, int tx, long[] own, int[] crowd, IReadOnlyDictionary<string, string> overrides,
        Dictionary<int, List<int>> movedInto, LastGaspIndex gasps, long windowTicks, bool placed, string? meterPhase)
    {
        var inv = CultureInfo.InvariantCulture;
        var feature = net[tx];

        // Its meters, remaps applied: the network's children still under it, and those remapped to it.
        var meters = new List<int>();
        foreach (int v in net.MetersBelow(tx))
        {
            if (v != meter && TransformerOf(net, v, overrides) == tx)
            {
                meters.Add(v);
            }
        }

        if (movedInto.TryGetValue(tx, out var moved))
        {
            meters.AddRange(moved.Where(v => v != meter && net.ParentOf(v) != tx));
        }

        // Per last gasp of this meter: did the transformer's meters go down with it? A transformer with no other meter is
        // judged by the meters below its parent: a last gasp is explained when most of them went down too (the parent's
        // outage) or when hardly any meter went down with it (the transformer's own fault).
        int parent = net.ParentOf(tx);
        var group = meters;
        bool byParent = meters.Count == 0 && parent >= 0;
        if (byParent)
        {
            group = [];
            foreach (int v in net.MetersBelow(parent))
            {
                if (v != meter && TransformerOf(net, v, overrides) >= 0)
                {
                    group.Add(v);
                }
            }
        }

        var (with, coTimed, widest, without) = GroupEvidence(net, group, own, gasps, windowTicks);
        int half = Math.Max(1, (group.Count + 1) / 2);
        int shared = 0;
        for (int i = 0; i < own.Length; i++)
        {
            shared += with[i] >= half || (byParent && crowd[i] <= 1) ? 1 : 0;
        }

        int alone = group.Count == 0 ? 0 : own.Length - shared;
        if (byParent)
        {
            coTimed = 0; // none of its own
        }

        double logLikelihood = (alone + without) * Unlikely;
        double? distance = null;
        if (placed)
        {
            var a = net[meter].Location;
            var b = feature.Location;
            double dx = (a.X - b.X) * Math.Cos(a.Y * Math.PI / 180) * MetresPerDegree, dy = (a.Y - b.Y) * MetresPerDegree;
            distance = Math.Sqrt((dx * dx) + (dy * dy));
            logLikelihood -= distance.Value / DistanceScaleM;
        }

        bool? phaseFits = PhaseFits(meterPhase, feature.Phase);
        if (phaseFits == false)
        {
            logLikelihood += PhaseMismatch;
        }

        var reason = new List<string>();
        if (own.Length == 0)
        {
            reason.Add($"no recorded last gasp of this meter to compare: {feature.Id} is ranked by place");
        }
        else if (meters.Count == 0)
        {
            reason.Add(group.Count == 0
                ? $"{feature.Id} has no other meter to compare last gasps with"
                : string.Create(inv, $"{feature.Id} has no other meter; what the {Plural(group.Count, "meter")} below {net[parent].Id} did explains {shared} of this meter's {Plural(own.Length, "recorded last gasp")}"));
            if (without > 0)
            {
                reason.Add($"most of them went down {Plural(without, "time")} without it");
            }
        }
        else
        {
            reason.Add(coTimed > 0
                ? string.Create(inv, $"{coTimed} of {Plural(meters.Count, "meter")} of {feature.Id} went down within {TimeSpan.FromTicks(widest).TotalSeconds:0.0} s of this meter ({shared} of its {Plural(own.Length, "recorded last gasp")})")
                : string.Create(inv, $"none of the {Plural(meters.Count, "meter")} of {feature.Id} went down with this meter ({Plural(own.Length, "recorded last gasp")})"));
            if (without > 0)
            {
                reason.Add($"they went down {Plural(without, "time")} without it");
            }
        }

        if (distance is { } m)
        {
            reason.Add(string.Create(inv, $"{m:0} m away"));
        }

        if (phaseFits is { } fits)
        {
            reason.Add(fits ? $"phase {meterPhase} on {feature.Phase}" : $"phase {meterPhase} not on {feature.Phase}");
        }

        return (logLikelihood, new MeterSuggestion(feature.Id, 0, distance is { } r ? Math.Round(r, 1) : null, coTimed, meters.Count, string.Join("; ", reason)));
    }

    /// <summary>Per last gasp of the meter, how many of <paramref name="group"/> went down within the window; how many of them ever did; the widest gap; runs without the meter.</summary>
    private static (int[] With, int CoTimed, long Widest, int Without) GroupEvidence(NetworkTopology net, List<int> group, long[] own, LastGaspIndex gasps, long windowTicks)
    {
        var with = new int[own.Length];
        int coTimed = 0;
        long widest = 0;
        var all = new List<(long Ticks, int Meter)>();
        for (int k = 0; k < group.Count; k++)
        {
            var theirs = gasps.GaspsOf(net[group[k]].Guid);
            bool any = false;
            for (int i = 0; i < own.Length; i++)
            {
                long gap = Closest(theirs, own[i]);
                if (gap <= windowTicks)
                {
                    with[i]++;
                    any = true;
                    widest = Math.Max(widest, gap);
                }
            }

            coTimed += any ? 1 : 0;
            foreach (long t in theirs)
            {
                all.Add((t, k));
            }
        }

        int without = group.Count == 0 ? 0 : DownWithout(all, Math.Max(1, (group.Count + 1) / 2), own, windowTicks);
        return (with, coTimed, widest, without);
    }

    /// <summary>
    /// How many times at least <paramref name="half"/> of the transformer's meters went down together (last gasps no
    /// further apart than the window, one run) with no last gasp of this meter within the window of the run.
    /// </summary>
    private static int DownWithout(List<(long Ticks, int Meter)> all, int half, long[] own, long windowTicks)
    {
        all.Sort((a, b) => a.Ticks.CompareTo(b.Ticks));
        int count = 0;
        var inRun = new HashSet<int>();
        for (int i = 0; i < all.Count;)
        {
            int j = i;
            inRun.Clear();
            inRun.Add(all[i].Meter);
            while (j + 1 < all.Count && all[j + 1].Ticks - all[j].Ticks <= windowTicks)
            {
                j++;
                inRun.Add(all[j].Meter);
            }

            if (inRun.Count >= half && !own.Any(g => g >= all[i].Ticks - windowTicks && g <= all[j].Ticks + windowTicks))
            {
                count++;
            }

            i = j + 1;
        }

        return count;
    }

    /// <summary>The meter's transformer element, remaps applied; -1 when none.</summary>
    private static int TransformerOf(NetworkTopology net, int meter, IReadOnlyDictionary<string, string> overrides)
    {
        var f = net[meter];
        if (overrides.Count > 0 && (overrides.TryGetValue(f.Id, out var tx) || overrides.TryGetValue(f.Guid.ToString("D"), out tx)))
        {
            return net.TryGetElement(tx, out int e) ? e : -1;
        }

        return net.ParentOf(meter) is >= 0 and var p && net.KindOf(p) == ElementKind.Transformer ? p : -1;
    }

    /// <summary>Smallest |t - x| over the sorted <paramref name="times"/>; long.MaxValue when empty.</summary>
    private static long Closest(long[] times, long x)
    {
        int i = Array.BinarySearch(times, x);
        if (i >= 0)
        {
            return 0;
        }

        i = ~i;
        long best = long.MaxValue;
        if (i < times.Length)
        {
            best = times[i] - x;
        }

        if (i > 0)
        {
            best = Math.Min(best, x - times[i - 1]);
        }

        return best;
    }

    /// <summary>A meter's phase (topology-geojson.md keeps it for meters as for transformers), upper case; null when not given.</summary>
    private static string? PhaseOf(TopologyFeature meter) =>
        string.IsNullOrWhiteSpace(meter.Phase) ? null : meter.Phase.Trim().ToUpperInvariant();

    /// <summary>Whether the transformer carries the meter's phase(s); null when either is unknown.</summary>
    private static bool? PhaseFits(string? meter, string? transformer)
    {
        if (meter is null || string.IsNullOrWhiteSpace(transformer))
        {
            return null;
        }

        string t = transformer.ToUpperInvariant();
        return meter.All(c => !char.IsLetter(c) || t.Contains(c, StringComparison.Ordinal));
    }

    private static string Plural(int n, string noun) => n.ToString(CultureInfo.InvariantCulture) + " " + (n == 1 ? noun : noun + "s");
}
