using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Topology;

/// <summary>
/// What an import would change, feature by feature (by id): added, removed and changed counts by kind,
/// and how many of the meters in force it would remove. A feature whose id stays but whose kind
/// changes counts as removed (old kind) and added (new kind).
/// </summary>
public sealed record TopologyDifference(
    IReadOnlyDictionary<string, int> Added,
    IReadOnlyDictionary<string, int> Removed,
    IReadOnlyDictionary<string, int> Changed,
    int MetersBefore,
    int MetersAfter)
{
    public int MetersRemoved => Removed.GetValueOrDefault(ElementKind.Meter.ToWire());

    /// <summary>The share of the meters in force the import removes (0 when there are none).</summary>
    public double MeterRemovalFraction => MetersBefore == 0 ? 0 : (double)MetersRemoved / MetersBefore;

    /// <summary>
    /// Compares the stored features in force (<paramref name="before"/>: id, kind, GeoJSON text as the
    /// store writes it) with <paramref name="after"/>. Texts are compared by a 64-bit digest, so a
    /// network of a million features needs a few tens of MB, not a second copy of itself.
    /// </summary>
    public static TopologyDifference Between(IEnumerable<(string Id, ElementKind Kind, string Json)> before, IReadOnlyList<TopologyFeature> after)
    {
        var old = new Dictionary<string, (ElementKind Kind, ulong Digest)>(StringComparer.Ordinal);
        foreach (var (id, kind, json) in before)
        {
            old[id] = (kind, Digest(Encoding.UTF8.GetBytes(json)));
        }

        var added = Counts();
        var removed = Counts();
        var changed = Counts();
        int metersBefore = old.Values.Count(v => v.Kind == ElementKind.Meter);
        int metersAfter = 0;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        foreach (var feature in after)
        {
            metersAfter += feature.Kind == ElementKind.Meter ? 1 : 0;
            if (!old.Remove(feature.Id, out var was))
            {
                added[feature.Kind.ToWire()]++;
                continue;
            }

            if (was.Kind != feature.Kind)
            {
                removed[was.Kind.ToWire()]++;
                added[feature.Kind.ToWire()]++;
                continue;
            }

            buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                TopologyGeoJsonWriter.WriteFeature(writer, feature);
            }

            if (Digest(buffer.WrittenSpan) != was.Digest)
            {
                changed[feature.Kind.ToWire()]++;
            }
        }

        foreach (var (kind, _) in old.Values)
        {
            removed[kind.ToWire()]++;
        }

        return new TopologyDifference(added, removed, changed, metersBefore, metersAfter);
    }

    /// <summary>One line for the audit trail and the log, e.g. <c>added 0, removed 13 (meter 5, …), changed 1 (meter 1); meters 5 → 0</c>.</summary>
    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture,
            $"added {Part(Added)}, removed {Part(Removed)}, changed {Part(Changed)}; meters {MetersBefore} → {MetersAfter} ({MetersRemoved} removed, {MeterRemovalFraction:P0})");

    private static string Part(IReadOnlyDictionary<string, int> counts)
    {
        int total = counts.Values.Sum();
        var nonZero = counts.Where(c => c.Value > 0).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value}")).ToArray();
        return nonZero.Length == 0 ? "0" : string.Create(CultureInfo.InvariantCulture, $"{total} ({string.Join(", ", nonZero)})");
    }

    private static Dictionary<string, int> Counts() =>
        Enum.GetValues<ElementKind>().ToDictionary(k => k.ToWire(), _ => 0, StringComparer.Ordinal);

    private static ulong Digest(ReadOnlySpan<byte> utf8)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8, hash);
        return BitConverter.ToUInt64(hash);
    }
}
