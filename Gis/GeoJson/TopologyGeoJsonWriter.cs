using System.Text.Json;
using NetTopologySuite.Geometries;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Gis.GeoJson;

/// <summary>Writes features back as the topology FeatureCollection, extra properties included.</summary>
public static class TopologyGeoJsonWriter
{
    public static async Task WriteAsync(Stream stream, IEnumerable<TopologyFeature> features, CancellationToken cancellationToken = default)
    {
        await using var writer = new Utf8JsonWriter(stream);
        writer.WriteStartObject();
        writer.WriteString("type", "FeatureCollection");
        writer.WriteStartArray("features");
        foreach (var f in features)
        {
            WriteFeature(writer, f);
            if (writer.BytesPending > 64 * 1024)
            {
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public static byte[] ToUtf8(IEnumerable<TopologyFeature> features)
    {
        using var ms = new MemoryStream();
        WriteAsync(ms, features).GetAwaiter().GetResult();
        return ms.ToArray();
    }

    public static void WriteFeature(Utf8JsonWriter writer, TopologyFeature f)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "Feature");
        writer.WriteString("id", f.Id);
        writer.WritePropertyName("geometry");
        WriteGeometry(writer, f.Geometry);
        writer.WriteStartObject("properties");
        writer.WriteString("kind", f.Kind.ToWire());
        writer.WriteString("id", f.Id);
        if (f.Kind != ElementKind.Line || f.Parent is not null)
        {
            writer.WriteString("parent", f.Parent);
        }

        if (f.Name is not null)
        {
            writer.WriteString("name", f.Name);
        }

        switch (f.Kind)
        {
            case ElementKind.Meter:
                writer.WriteString("guid", f.Guid.ToString("D"));
                writer.WriteString("systemTitle", TopologyFeature.FormatSystemTitle(f.SystemTitle));
                if (f.Critical is { } critical)
                {
                    writer.WriteBoolean("critical", critical);
                }

                if (f.Address is not null)
                {
                    writer.WriteString("address", f.Address);
                }

                break;
            case ElementKind.Device when f.DeviceType != DeviceType.Unspecified:
                writer.WriteString("deviceType", f.DeviceType.ToWire());
                break;
            case ElementKind.Transformer:
                if (f.Kva is { } kva)
                {
                    writer.WriteNumber("kva", kva);
                }

                if (f.Phase is not null)
                {
                    writer.WriteString("phase", f.Phase);
                }

                break;
            case ElementKind.Line when f.Feeder is not null:
                writer.WriteString("feeder", f.Feeder);
                break;
        }

        if (f.Extra is { } extra)
        {
            foreach (var p in extra.EnumerateObject())
            {
                p.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteGeometry(Utf8JsonWriter writer, Geometry geometry)
    {
        writer.WriteStartObject();
        if (geometry is Point p)
        {
            writer.WriteString("type", "Point");
            writer.WritePropertyName("coordinates");
            WritePosition(writer, p.X, p.Y, p.Z);
        }
        else
        {
            writer.WriteString("type", "LineString");
            writer.WriteStartArray("coordinates");
            var seq = ((LineString)geometry).CoordinateSequence;
            for (int i = 0; i < seq.Count; i++)
            {
                WritePosition(writer, seq.GetX(i), seq.GetY(i), seq.HasZ ? seq.GetZ(i) : double.NaN);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    /// <summary>[longitude, latitude], or [longitude, latitude, altitude] when the file gave one (NaN: none).</summary>
    private static void WritePosition(Utf8JsonWriter writer, double x, double y, double z)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(x);
        writer.WriteNumberValue(y);
        if (!double.IsNaN(z))
        {
            writer.WriteNumberValue(z);
        }

        writer.WriteEndArray();
    }
}
