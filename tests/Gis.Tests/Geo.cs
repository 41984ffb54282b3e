using System.Globalization;
using System.Text;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Gis.Tests;

/// <summary>
/// Builds small topology files by hand. A feature is its properties object as a raw JSON
/// string plus a geometry; <see cref="Network"/> is a small valid network to break on purpose.
/// </summary>
internal static class Geo
{
    /// <summary>
    /// S1 ─ F1 ─┬─ B1 (breaker) ─ FU1 (fuse) ─ T1 ─┬─ M1
    ///          │                                   └─ M2
    ///          └─ T2 ─ M3
    /// plus the line L1 of feeder F1.
    /// </summary>
    public static readonly string[] Network =
    [
        Point("""{"kind":"substation","id":"S1","name":"Main","parent":null}""", -89.000, 40.000),
        Point("""{"kind":"feeder","id":"F1","parent":"S1","name":"Feeder 1"}""", -89.000, 40.000),
        Point("""{"kind":"device","id":"B1","parent":"F1","deviceType":"breaker"}""", -89.001, 40.001),
        Point("""{"kind":"device","id":"FU1","parent":"B1","deviceType":"fuse"}""", -89.002, 40.002),
        Point("""{"kind":"transformer","id":"T1","parent":"FU1","kva":25,"phase":"A"}""", -89.003, 40.003),
        Point("""{"kind":"transformer","id":"T2","parent":"F1","kva":50.5,"phase":"ABC"}""", -89.010, 40.001),
        Point($$"""{"kind":"meter","id":"M1","parent":"T1","guid":"{{GuidOf(1)}}","systemTitle":"{{TitleOf(1)}}","critical":true}""", -89.0031, 40.0031),
        Point($$"""{"kind":"meter","id":"M2","parent":"T1","guid":"{{GuidOf(2)}}","systemTitle":"{{TitleOf(2)}}","critical":false,"address":"1 Main St"}""", -89.0029, 40.0029),
        Point($$"""{"kind":"meter","id":"M3","parent":"T2","guid":"{{GuidOf(3)}}","systemTitle":"{{TitleOf(3)}}"}""", -89.0101, 40.0011),
        Line("""{"kind":"line","id":"L1","feeder":"F1"}""", (-89.000, 40.000), (-89.001, 40.001), (-89.002, 40.002)),
    ];

    /// <summary>A canonical lower-case UUID that is distinct for each <paramref name="n"/>.</summary>
    public static string GuidOf(int n) => $"6f1c2a3b-0000-4000-8000-{n:x12}";

    /// <summary>A 16-hex-digit system title distinct for each <paramref name="n"/>.</summary>
    public static string TitleOf(int n) => $"4F505300{n:X8}";

    /// <summary>A meter of <see cref="Network"/>'s shape with its own GUID and system title.</summary>
    public static string Meter(string id, string? parent, int n, double lon = -89.003, double lat = 40.003)
    {
        var parentJson = parent is null ? "null" : $"\"{parent}\"";
        return Point($$"""{"kind":"meter","id":"{{id}}","parent":{{parentJson}},"guid":"{{GuidOf(n)}}","systemTitle":"{{TitleOf(n)}}"}""", lon, lat);
    }

    public static string Point(string properties, double lon = -89.0, double lat = 40.0) =>
        Feature($$"""{"type":"Point","coordinates":[{{Num(lon)}},{{Num(lat)}}]}""", properties);

    public static string Line(string properties, params (double Lon, double Lat)[] positions) =>
        Feature($$"""{"type":"LineString","coordinates":[{{string.Join(",", positions.Select(p => $"[{Num(p.Lon)},{Num(p.Lat)}]"))}}]}""", properties);

    public static string Feature(string geometry, string properties) =>
        $$"""{"type":"Feature","geometry":{{geometry}},"properties":{{properties}}}""";

    /// <summary>The FeatureCollection of the given features.</summary>
    public static string File(params IEnumerable<string> features) =>
        $$"""
        {"type":"FeatureCollection","features":[
        {{string.Join(",\n", features)}}
        ]}
        """;

    /// <summary><see cref="Network"/> with <paramref name="extra"/> features appended.</summary>
    public static string NetworkWith(params string[] extra) => File([.. Network, .. extra]);

    /// <summary><see cref="Network"/> with the feature of id <paramref name="id"/> replaced.</summary>
    public static string NetworkReplacing(string id, string replacement) =>
        File(Network.Select(f => f.Contains($"\"id\":\"{id}\"", StringComparison.Ordinal) ? replacement : f));

    public static TopologyImport Read(string json) => TopologyGeoJsonReader.Read(Encoding.UTF8.GetBytes(json));

    public static string Num(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The findings as comparable (code, severity, feature id) triples, in report order.</summary>
    public static (string Code, FindingSeverity Severity, string? FeatureId)[] Triples(TopologyImport import) =>
        [.. import.Findings.Select(f => (f.Code, f.Severity, f.FeatureId))];

    /// <summary>Asserts that the import reports exactly these findings (any order) and nothing else.</summary>
    public static void AssertFindings(TopologyImport import, params (string Code, FindingSeverity Severity, string? FeatureId)[] expected)
    {
        var actual = Triples(import);
        var message = "findings were:\n" + string.Join("\n", import.Findings);
        Assert.True(expected.Length == actual.Length, message);
        Assert.True(
            expected.OrderBy(x => x.ToString(), StringComparer.Ordinal).SequenceEqual(actual.OrderBy(x => x.ToString(), StringComparer.Ordinal)),
            message);
    }

    /// <summary>Asserts a single whole-file finding (no feature named) and that nothing was imported.</summary>
    public static void AssertFileRejected(TopologyImport import, string code)
    {
        var finding = Assert.Single(import.Findings);
        Assert.Equal(code, finding.Code);
        Assert.Equal(FindingSeverity.Error, finding.Severity);
        Assert.Null(finding.FeatureId);
        Assert.Equal(-1, finding.FeatureIndex);
        Assert.False(import.IsValid);
        Assert.Empty(import.Features);
    }
}
