using System.Text;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Server.Tests;

/// <summary>
/// A hand-made network: S1 → F1 → D1 (breaker) → D2 (fuse) → T1 (3 meters, one critical) and
/// T2 (1 meter); T3 (no meters) directly under D1; M9 unmapped.
/// </summary>
internal static class SmallNetwork
{
    public const string GeoJson = """
    {"type":"FeatureCollection","features":[
     {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.0,40.0]},"properties":{"kind":"substation","id":"S1","name":"North Sub"}},
     {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.0,40.0]},"properties":{"kind":"feeder","id":"F1","parent":"S1","name":"Feeder 1"}},
     {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.0,40.001]},"properties":{"kind":"device","id":"D1","parent":"F1","deviceType":"breaker","name":"Breaker 1"}},
     {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.001,40.002]},"properties":{"kind":"device","id":"D2","parent":"D1","deviceType":"fuse","name":"Fuse 2"}},
     {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.002,40.003]},"properties":{"kind":"transformer","id":"T1","parent":"D2","kva":25,"phase":"A","name":"Pole 1","owner":"North Co-op","pole_height_m":12.5}},
     {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.003,40.003]},"properties":{"kind":"transformer","id":"T2","parent":"D2","kva":10,"phase":"B"}},
     {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.0,40.004]},"properties":{"kind":"transformer","id":"T3","parent":"D1","kva":50,"phase":"ABC"}},
     {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.0021,40.0031]},"properties":{"kind":"meter","id":"M1","parent":"T1","guid":"00000000-0000-4000-8000-000000000001","systemTitle":"4F50530000000001","critical":true,"address":"1 Main St"}},
     {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.0022,40.0031]},"properties":{"kind":"meter","id":"M2","parent":"T1","guid":"00000000-0000-4000-8000-000000000002","systemTitle":"4F50530000000002"}},
     {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.0023,40.0031]},"properties":{"kind":"meter","id":"M3","parent":"T1","guid":"00000000-0000-4000-8000-000000000003","systemTitle":"4F50530000000003"}},
     {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.0031,40.0031]},"properties":{"kind":"meter","id":"M4","parent":"T2","guid":"00000000-0000-4000-8000-000000000004","systemTitle":"4F50530000000004"}},
     {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.01,40.01]},"properties":{"kind":"meter","id":"M9","parent":null,"guid":"00000000-0000-4000-8000-000000000009","systemTitle":"4F50530000000009"}},
     {"type":"Feature","geometry":{"type":"LineString","coordinates":[[-89.0,40.0],[-89.0,40.001],[-89.001,40.002]]},"properties":{"kind":"line","id":"L1","feeder":"F1","phases":"ABC"}}
    ]}
    """;

    public static TopologyImport Import() => TopologyGeoJsonReader.Read(Encoding.UTF8.GetBytes(GeoJson));

    public static NetworkTopology Build() => NetworkTopology.Build(Import().Features);

    public static string WriteTo(string folder, string name = "small.geojson", string? content = null)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, content ?? GeoJson);
        return path;
    }
}

/// <summary>A temp folder removed at the end of the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "opsconsole-tests", Guid.NewGuid().ToString("N"));

    public TempFolder() => Directory.CreateDirectory(Path);

    /// <summary>A master key file of its own for a test host (parallel tests must not share one).</summary>
    public static string KeyFileArg() =>
        "--Security:MasterKeyFile=" + System.IO.Path.Combine(System.IO.Path.GetTempPath(), "opsconsole-tests", "keys-" + Guid.NewGuid().ToString("N"), "master.key");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a process being torn down: the OS temp cleaner gets it.
        }
    }
}
