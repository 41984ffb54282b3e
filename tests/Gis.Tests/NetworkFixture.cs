using System.Globalization;
using System.Text.Json;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Gis.Tests;

/// <summary>
/// One real network, imported once, plus what the file itself says read independently with
/// <see cref="JsonDocument"/>: the tests compute expectations from <see cref="Raw"/> and compare
/// them to the snapshot.
/// </summary>
public abstract class NetworkFixture(string path) : IAsyncLifetime
{
    public TopologyImport Import { get; private set; } = null!;

    public NetworkTopology Topology { get; private set; } = null!;

    /// <summary>Every feature of the file as written (lines included), in file order.</summary>
    public IReadOnlyList<RawFeature> Raw { get; private set; } = null!;

    public IReadOnlyDictionary<string, RawFeature> RawById { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Import = await TopologyGeoJsonReader.ReadFileAsync(path);
        Topology = NetworkTopology.Build(Import.Features);

        await using var stream = File.OpenRead(path);
        using var doc = await JsonDocument.ParseAsync(stream);
        var raw = new List<RawFeature>();
        foreach (var f in doc.RootElement.GetProperty("features").EnumerateArray())
        {
            var p = f.GetProperty("properties");
            var c = f.GetProperty("geometry").GetProperty("coordinates");
            raw.Add(new RawFeature(
                p.GetProperty("kind").GetString()!,
                p.GetProperty("id").GetString()!,
                p.TryGetProperty("parent", out var parent) && parent.ValueKind == JsonValueKind.String ? parent.GetString() : null,
                p.TryGetProperty("deviceType", out var dt) ? dt.GetString() : null,
                p.TryGetProperty("guid", out var g) ? g.GetString() : null,
                p.TryGetProperty("systemTitle", out var st) ? st.GetString() : null,
                c[0].ValueKind == JsonValueKind.Number ? c[0].GetDouble() : double.NaN,
                c[0].ValueKind == JsonValueKind.Number ? c[1].GetDouble() : double.NaN));
        }

        Raw = raw;
        RawById = raw.ToDictionary(r => r.Id, StringComparer.Ordinal);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>The ids from <paramref name="id"/>'s parent up to the root, following the file's own parent links.</summary>
    public List<string> ChainInFile(string id)
    {
        var chain = new List<string>();
        for (var p = RawById[id].Parent; p is not null; p = RawById[p].Parent)
        {
            chain.Add(p);
            Assert.True(chain.Count < 10_000, "the file's parent links loop");
        }

        return chain;
    }

    public IEnumerable<RawFeature> OfKind(string kind) => Raw.Where(r => r.Kind == kind);

    /// <summary>The ids of the snapshot's upstream walk from <paramref name="id"/>.</summary>
    public List<string> ChainInTopology(string id)
    {
        Assert.True(Topology.TryGetElement(id, out var e), id);
        var chain = new List<string>();
        foreach (var u in Topology.Upstream(e))
        {
            chain.Add(Topology[u].Id);
        }

        return chain;
    }

    public int Element(string id)
    {
        Assert.True(Topology.TryGetElement(id, out var e), $"{id} is not an element of the snapshot");
        return e;
    }

    public string[] Ids(ReadOnlySpan<int> elements)
    {
        var ids = new string[elements.Length];
        for (int i = 0; i < elements.Length; i++)
        {
            ids[i] = Topology[elements[i]].Id;
        }

        return ids;
    }
}

/// <summary>A feature as the file writes it; lon/lat are the first position (NaN for lines).</summary>
public sealed record RawFeature(string Kind, string Id, string? Parent, string? DeviceType, string? Guid, string? SystemTitle, double Lon, double Lat)
{
    public ulong SystemTitleValue => ulong.Parse(SystemTitle!, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}

public sealed class Ckt24Fixture() : NetworkFixture(TestData.Ckt24);

public sealed class Ieee8500Fixture() : NetworkFixture(TestData.Ieee8500);
