using System.Runtime.CompilerServices;
using System.Text.Json;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Console.Server.Map;

/// <summary>
/// The compact drawing data opsmap.js reads, made once per network snapshot: arrays instead of
/// GeoJSON objects and coordinates rounded to 1e-6° (about 10 cm), so ckt24 is ~0.6 MB before
/// compression.
/// </summary>
public sealed class NetworkDrawing(TopologyState state)
{
    private readonly ConditionalWeakTable<NetworkTopology, byte[]> _cache = [];

    public byte[] For(NetworkTopology topology) => _cache.GetValue(topology, Render);

    public byte[] Current() => For(state.Current);

    public static byte[] Render(NetworkTopology topology)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1 << 20);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("name", TopologyMapSource.NameOf(topology));
            var b = topology.Bounds;
            w.WriteStartArray("bounds");
            if (b.IsNull)
            {
                w.WriteNumberValue(1);
                w.WriteNumberValue(1);
                w.WriteNumberValue(-1);
                w.WriteNumberValue(-1);
            }
            else
            {
                Coord(w, b.MinX);
                Coord(w, b.MinY);
                Coord(w, b.MaxX);
                Coord(w, b.MaxY);
            }

            w.WriteEndArray();
            w.WriteStartArray("lines");
            foreach (var line in topology.Lines)
            {
                w.WriteStartArray();
                var seq = ((NetTopologySuite.Geometries.LineString)line.Geometry).CoordinateSequence;
                for (int i = 0; i < seq.Count; i++)
                {
                    Coord(w, seq.GetX(i));
                    Coord(w, seq.GetY(i));
                }

                w.WriteEndArray();
            }

            w.WriteEndArray();
            w.WriteStartArray("nodes");
            for (int e = 0; e < topology.ElementCount; e++)
            {
                var f = topology[e];
                if (f.Kind == ElementKind.Meter)
                {
                    continue;
                }

                w.WriteStartArray();
                w.WriteStringValue(f.Id);
                w.WriteStringValue(f.Kind.ToWire());
                Coord(w, f.Location.X);
                Coord(w, f.Location.Y);
                w.WriteNumberValue(topology.MeterCountBelow(e));
                if (f.Kind == ElementKind.Device && f.DeviceType != DeviceType.Unspecified)
                {
                    w.WriteStringValue(f.DeviceType.ToWire());
                }
                else
                {
                    w.WriteNullValue();
                }

                w.WriteEndArray();
            }

            w.WriteEndArray();
            w.WriteStartArray("meters");
            for (int e = 0; e < topology.ElementCount; e++)
            {
                var f = topology[e];
                if (f.Kind != ElementKind.Meter)
                {
                    continue;
                }

                w.WriteStartArray();
                w.WriteStringValue(f.Id);
                Coord(w, f.Location.X);
                Coord(w, f.Location.Y);
                w.WriteNumberValue(f.IsCritical ? 1 : 0);
                w.WriteNumberValue(topology.IsUnmapped(e) ? 0 : 1);
                w.WriteEndArray();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Coord(Utf8JsonWriter w, double value) => w.WriteNumberValue(Math.Round(value, 6));
}

public static class NetworkDrawingEndpoints
{
    /// <summary>Console-internal: the drawing data of the network in force (not part of the public REST contract).</summary>
    public const string Path = "/console/network-drawing.json";

    public static IEndpointRouteBuilder MapNetworkDrawing(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Path, (NetworkDrawing drawing) => Results.Bytes(drawing.Current(), "application/json"))
            .ExcludeFromDescription();
        return endpoints;
    }
}
