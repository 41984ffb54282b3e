using System.Text.Json;
using OpsConsole.Engine.Topology;

namespace OpsConsole.Console.Server.Map;

/// <summary>
/// Console-internal (not part of the public REST contract): what opsmap.js reads. The network's summary first (name,
/// bounds, zoom levels), then one tile per visible 256-px square (<see cref="NetworkTiles"/>). Like every endpoint not
/// explicitly open, both need a signed-in dispatcher or admin (the fallback policy).
/// </summary>
public static class NetworkMapEndpoints
{
    /// <summary>The folder of the map's feed; opsmap.js adds <c>summary.json</c> and <c>tiles/{z}/{x}/{y}.json</c>.</summary>
    public const string Base = "/console/network/";

    public const string SummaryPath = Base + "summary.json";

    public const string TilePath = Base + "tiles/{z}/{x}/{y}.json";

    public static IEndpointRouteBuilder MapNetworkMap(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(SummaryPath, (TopologyState state, NetworkTiles tiles) =>
        {
            tiles.Prepare();
            return Results.Bytes(Summary(state.Current), "application/json");
        }).ExcludeFromDescription();

        endpoints.MapGet(TilePath, (string z, string x, string y, NetworkTiles tiles) =>
        {
            if (NetworkTiles.Parse(z, x, y, out int zoom, out int tx, out int ty) is { } error)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a map tile", detail: error);
            }

            return Results.Bytes(tiles.Current().Tile(zoom, tx, ty), "application/json");
        }).ExcludeFromDescription();
        return endpoints;
    }

    private static byte[] Summary(OpsConsole.Gis.Topology.NetworkTopology topology)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("name", TopologyMapSource.NameOf(topology));
            w.WriteStartArray("bounds");
            var b = topology.Bounds;
            foreach (double v in b.IsNull ? [1.0, 1.0, -1.0, -1.0] : new[] { b.MinX, b.MinY, b.MaxX, b.MaxY })
            {
                w.WriteNumberValue(Math.Round(v, 6));
            }

            w.WriteEndArray();
            w.WriteNumber("tileSize", NetworkTiles.TileSize);
            w.WriteNumber("maxZoom", NetworkTiles.MaxZoom);
            w.WriteNumber("transformerMinZoom", NetworkTiles.TransformerMinZoom);
            w.WriteNumber("meterMinZoom", NetworkTiles.MeterMinZoom);
            w.WriteEndObject();
        }

        return stream.ToArray();
    }
}
