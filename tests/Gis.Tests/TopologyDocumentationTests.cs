using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Gis.Tests;

/// <summary>
/// docs/topology-file.md cannot drift from the reader: the properties it says are read for each kind are the ones the
/// reader interprets and those it says are kept are stored as extra properties; its finding codes are exactly
/// <see cref="FindingCodes"/>.
/// </summary>
public sealed partial class TopologyDocumentationTests
{
    private static string Doc => File.ReadAllText(Path.Combine(TestData.RepoRoot, "docs", "topology-file.md"));

    /// <summary>The kinds table: kind → (properties read, properties kept as extra).</summary>
    private static Dictionary<string, (string[] Read, string[] Kept)> Kinds(string doc)
    {
        var kinds = new Dictionary<string, (string[], string[])>(StringComparer.Ordinal);
        foreach (var cells in TableRows(doc, "kind"))
        {
            kinds[Names(cells[0]).Single()] = (Names(cells[2]), Names(cells[3]));
        }

        return kinds;
    }

    /// <summary>The data rows (cells) of every table whose first header cell is <paramref name="header"/>.</summary>
    private static IEnumerable<string[]> TableRows(string doc, string header)
    {
        string? table = null;
        foreach (var line in doc.Split('\n').Select(l => l.Trim()))
        {
            if (!line.StartsWith('|'))
            {
                table = null;
                continue;
            }

            var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (table is null)
            {
                table = cells[0];
            }
            else if (table == header && !cells[0].All(ch => ch is '-' or ':' or ' '))
            {
                yield return cells;
            }
        }
    }

    private static string[] Names(string cell) => [.. Code().Matches(cell).Select(m => m.Groups[1].Value)];

    /// <summary>A valid sample value for a property (JSON).</summary>
    private static string Sample(string property, int n) => property switch
    {
        "guid" => $"\"{Geo.GuidOf(n)}\"",
        "systemTitle" => $"\"{Geo.TitleOf(n)}\"",
        "critical" or "bellwether" => "true",
        "kva" => "25",
        "nominalV" => "230",
        "deviceType" => "\"fuse\"",
        "feeder" => "\"F1\"",
        "endpoint" => "\"10.0.0.1:5683\"",
        _ => "\"x\"",
    };

    [Fact]
    public void Doc_DescribesEverySixKinds()
    {
        Assert.Equal(["device", "feeder", "line", "meter", "substation", "transformer"], Kinds(Doc).Keys.Order());
    }

    [Fact]
    public void DocumentedProperties_AreReadOrKeptAsTheDocSays()
    {
        var kinds = Kinds(Doc);
        var parents = new Dictionary<string, (string Id, string? Parent)>
        {
            ["substation"] = ("S1", null),
            ["feeder"] = ("F1", "S1"),
            ["device"] = ("D1", "F1"),
            ["transformer"] = ("T1", "D1"),
            ["meter"] = ("M1", "T1"),
            ["line"] = ("L1", null),
        };
        var features = kinds.Select(k =>
        {
            var (id, parent) = parents[k.Key];
            var props = new List<string> { $"\"kind\":\"{k.Key}\"", $"\"id\":\"{id}\"" };
            if (parent is not null)
            {
                props.Add($"\"parent\":\"{parent}\"");
            }

            props.AddRange(k.Value.Read.Concat(k.Value.Kept).Select(p => $"\"{p}\":{Sample(p, 1)}"));
            string json = "{" + string.Join(",", props) + "}";
            return k.Key == "line" ? Geo.Line(json, (-89.0, 40.0), (-89.001, 40.001)) : Geo.Point(json);
        });

        var import = Geo.Read(Geo.File(features));

        Assert.True(import.IsValid, string.Join("\n", import.Findings));
        foreach (var feature in import.Features)
        {
            var extra = feature.Extra is { } e ? e.EnumerateObject().Select(p => p.Name).Order().ToArray() : [];
            Assert.True(kinds[feature.Kind.ToWire()].Kept.Order().SequenceEqual(extra),
                $"{feature.Kind.ToWire()}: the doc keeps [{string.Join(", ", kinds[feature.Kind.ToWire()].Kept)}] as extra, the reader kept [{string.Join(", ", extra)}]");
        }

        Assert.Equal(kinds.Count, import.Features.Count);
    }

    [Fact]
    public void DocumentedFindingCodes_AreExactlyTheReadersCodes()
    {
        var codes = typeof(FindingCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Order()
            .ToArray();

        var documented = TableRows(Doc, "code").SelectMany(cells => Names(cells[0])).Order().ToArray();

        Assert.Equal(codes, documented);
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Code();
}
