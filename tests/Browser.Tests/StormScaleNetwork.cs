using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;
using OpsConsole.Tools.AmiTestUtility;

namespace OpsConsole.Browser.Tests;

/// <summary>
/// ckt24 as a storm with <see cref="Target"/> simultaneous outages finds it. The network has 818 transformers, and a
/// roll-up takes over any element with half its transformers down, so at most a few hundred transformer faults can
/// stay apart; the rest of the outages are meters whose GIS mapping is missing (parent removed: Unknown outages,
/// the utility's everyday data gap). The transformers are chosen, in a seeded order, so that the README's rules
/// (restated by the simulator's <see cref="OutagePredictor"/>) keep each one its own outage; the unmapped meters are
/// taken from the other transformers, each keeping at least one meter so that no element's metered-transformer count
/// changes. The result is checked against the predictor on the derived network.
/// </summary>
public sealed class StormScaleNetwork
{
    public const int Target = 1000;

    private StormScaleNetwork(byte[] geoJson, NetworkTopology topology, IReadOnlyList<int> failedTransformers, IReadOnlyList<int> unmappedMeters)
    {
        GeoJson = geoJson;
        Topology = topology;
        FailedTransformers = failedTransformers;
        UnmappedMeters = unmappedMeters;
    }

    /// <summary>The derived network file (UTF-8 GeoJSON) the server imports.</summary>
    public byte[] GeoJson { get; }

    /// <summary>The derived network (indices below refer to it).</summary>
    public NetworkTopology Topology { get; }

    public IReadOnlyList<int> FailedTransformers { get; }

    public IReadOnlyList<int> UnmappedMeters { get; }

    /// <summary>Every meter that sends a last gasp: all meters of the failed transformers, then the unmapped ones.</summary>
    public IEnumerable<int> DownMeters => FailedTransformers.SelectMany(t => Topology.MetersBelow(t).ToArray()).Concat(UnmappedMeters);

    public static StormScaleNetwork Build(string ckt24Path, int seed)
    {
        var import = TopologyGeoJsonReader.Read(File.ReadAllBytes(ckt24Path));
        if (!import.IsValid)
        {
            throw new InvalidOperationException($"{ckt24Path}: invalid network: {string.Join("; ", import.Errors.Take(3))}");
        }

        var original = NetworkTopology.Build(import.Features, keepExtraProperties: false);
        var rng = new Random(seed);
        var transformers = Enumerable.Range(0, original.ElementCount).Where(e => original.KindOf(e) == ElementKind.Transformer && original.MeterCountBelow(e) > 0).ToArray();
        rng.Shuffle(transformers);

        var failed = new List<int>();
        var down = new List<int>();
        foreach (int t in transformers)
        {
            var trial = down.Concat(original.MetersBelow(t).ToArray()).ToList();
            var predicted = OutagePredictor.Predict(original, trial);
            if (predicted.Count == failed.Count + 1 && predicted.All(p => p.Level == "Transformer"))
            {
                failed.Add(t);
                down = trial;
            }
        }

        var failedSet = failed.ToHashSet();
        int wanted = Target - failed.Count;
        var unmappedIds = new HashSet<string>(StringComparer.Ordinal);
        var donors = transformers.Where(t => !failedSet.Contains(t) && original.MeterCountBelow(t) >= 2).ToArray();
        // Round-robin over the donor transformers (in the seeded order), each keeping its first meter.
        for (int round = 1; unmappedIds.Count < wanted; round++)
        {
            bool any = false;
            foreach (int t in donors)
            {
                var meters = original.MetersBelow(t);
                if (round < meters.Length && unmappedIds.Count < wanted)
                {
                    unmappedIds.Add(original[meters[round]].Id);
                    any = true;
                }
            }

            if (!any)
            {
                throw new InvalidOperationException($"ckt24 has too few meters for {wanted} unmapped ones beside {failed.Count} transformer faults.");
            }
        }

        var features = import.Features.Select(f => unmappedIds.Contains(f.Id) ? f with { Parent = null } : f).ToList();
        var derived = NetworkTopology.Build(features, keepExtraProperties: false);
        int Index(string id) => derived.TryGetElement(id, out int e) ? e : throw new InvalidOperationException($"{id} vanished from the derived network.");
        var derivedFailed = failed.Select(t => Index(original[t].Id)).ToList();
        var derivedUnmapped = unmappedIds.Order(StringComparer.Ordinal).Select(Index).ToList();
        var network = new StormScaleNetwork(TopologyGeoJsonWriter.ToUtf8(features), derived, derivedFailed, derivedUnmapped);

        var expected = OutagePredictor.Predict(derived, network.DownMeters);
        if (expected.Count != Target || expected.Count(e => e.Level == "Unknown") != derivedUnmapped.Count)
        {
            throw new InvalidOperationException($"The derived network predicts {expected.Count} outages ({expected.Count(e => e.Level == "Unknown")} Unknown), not {Target}.");
        }

        return network;
    }
}
