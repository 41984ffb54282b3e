using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Tools.TopologyBench;

/// <summary>The network that is replicated: ckt24 from the repository's <c>networks/</c> unless told otherwise.</summary>
internal static class SourceNetwork
{
    public static string DefaultPath()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "networks", "ckt24.geojson");
                if (File.Exists(Path.Combine(dir.FullName, "OpsConsole.sln")) && File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new UsageException("networks/ckt24.geojson not found above the tool or the current directory; pass --source <geojson>");
    }

    /// <summary>Reads a topology file and fails loudly on any error finding: figures of a half-read file mean nothing.</summary>
    public static async Task<IReadOnlyList<TopologyFeature>> ReadValidAsync(string path)
    {
        var import = await TopologyGeoJsonReader.ReadFileAsync(path);
        ThrowIfInvalid(import, path);
        return import.Features;
    }

    public static void ThrowIfInvalid(TopologyImport import, string path)
    {
        if (!import.IsValid)
        {
            var errors = import.Errors.ToList();
            throw new InvalidDataException($"{path}: {errors.Count} error finding(s), e.g.{Environment.NewLine}  " +
                string.Join(Environment.NewLine + "  ", errors.Take(5)));
        }
    }
}
