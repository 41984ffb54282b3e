using OpsConsole.Gis.Topology;

namespace OpsConsole.Gis.GeoJson;

/// <summary>Which properties the spec gives a meaning to, per kind; everything else is kept as extra.</summary>
internal static class TopologyProperties
{
    public static bool IsInterpreted(ElementKind kind, string name) => name switch
    {
        "kind" or "id" or "parent" or "name" => true,
        "guid" or "systemTitle" or "critical" or "address" => kind == ElementKind.Meter,
        "deviceType" => kind == ElementKind.Device,
        "kva" or "phase" => kind == ElementKind.Transformer,
        "feeder" => kind == ElementKind.Line,
        _ => false,
    };
}
