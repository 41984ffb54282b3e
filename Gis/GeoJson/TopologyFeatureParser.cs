using System.Buffers;
using System.Globalization;
using System.Text.Json;
using NetTopologySuite.Geometries;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Gis.GeoJson;

/// <summary>Turns one GeoJSON feature into a <see cref="TopologyFeature"/>, reporting what is wrong with it.</summary>
internal static class TopologyFeatureParser
{
    public static TopologyFeature? Parse(JsonElement feature, int index, List<TopologyFinding> findings)
    {
        if (!feature.TryGetProperty("properties", out var props) || props.ValueKind != JsonValueKind.Object)
        {
            findings.Add(Error(FeatureLevelId(feature), index, FindingCodes.FeatureInvalid, "the feature has no properties object"));
            return null;
        }

        // The id is properties.id or the standard GeoJSON feature-level id (RFC 7946 §3.2); either will do, and
        // when a feature has both they must agree.
        string? featureId = FeatureLevelId(feature);
        bool hasPropertyId = props.TryGetProperty("id", out var idEl) && idEl.ValueKind != JsonValueKind.Null;
        string? propertyId = hasPropertyId && idEl.ValueKind == JsonValueKind.String ? idEl.GetString() : null;
        if (hasPropertyId && string.IsNullOrEmpty(propertyId))
        {
            findings.Add(Error(featureId, index, FindingCodes.IdMissing, "properties.id must be a non-empty string"));
            return null;
        }

        if (propertyId is not null && featureId is not null && !string.Equals(propertyId, featureId, StringComparison.Ordinal))
        {
            findings.Add(Error(propertyId, index, FindingCodes.IdConflict,
                $"the feature's id '{featureId}' and its properties.id '{propertyId}' differ: give one, or the same value in both"));
            return null;
        }

        string? id = propertyId ?? featureId;
        if (string.IsNullOrEmpty(id))
        {
            findings.Add(Error(null, index, FindingCodes.IdMissing, "the feature has no id: give properties.id or the feature's id (a non-empty string)"));
            return null;
        }

        if (!props.TryGetProperty("kind", out var kindEl) || kindEl.ValueKind != JsonValueKind.String)
        {
            findings.Add(Error(id, index, FindingCodes.KindMissing, "properties.kind is missing or not a string"));
            return null;
        }

        if (!ElementKindNames.TryParse(kindEl.GetString(), out ElementKind kind))
        {
            findings.Add(Error(id, index, FindingCodes.KindUnknown,
                $"kind '{kindEl.GetString()}' is not one of substation, feeder, device, transformer, meter, line"));
            return null;
        }

        int before = findings.Count;
        var geometry = ParseGeometry(feature, kind, id, index, findings);
        string? parent = null;
        if (props.TryGetProperty("parent", out var parentEl))
        {
            if (parentEl.ValueKind == JsonValueKind.String)
            {
                parent = parentEl.GetString();
            }
            else if (parentEl.ValueKind != JsonValueKind.Null)
            {
                findings.Add(Error(id, index, FindingCodes.PropertyInvalid, $"parent must be a string or null, not {TopologyGeoJsonReader.Describe(parentEl.ValueKind)}"));
            }
        }

        string? name = OptionalString(props, "name", id, index, findings);
        Guid guid = Guid.Empty;
        ulong systemTitle = 0;
        bool? critical = null;
        string? address = null;
        var deviceType = DeviceType.Unspecified;
        double? kva = null;
        string? phase = null;
        string? feeder = null;

        switch (kind)
        {
            case ElementKind.Meter:
                guid = ParseGuid(props, id, index, findings);
                systemTitle = ParseSystemTitle(props, id, index, findings);
                address = OptionalString(props, "address", id, index, findings);
                // Not a meter property of the format (kept as an extra, checked by nobody), but when a string it is the phase
                // the meter is served on: evidence for the unmapped-meter suggestions, kept even where extras are not.
                phase = props.TryGetProperty("phase", out var phaseEl) && phaseEl.ValueKind == JsonValueKind.String ? Interned(phaseEl.GetString()) : null;
                if (props.TryGetProperty("critical", out var critEl))
                {
                    if (critEl.ValueKind is JsonValueKind.True or JsonValueKind.False)
                    {
                        critical = critEl.GetBoolean();
                    }
                    else if (critEl.ValueKind != JsonValueKind.Null)
                    {
                        findings.Add(Error(id, index, FindingCodes.PropertyInvalid, "critical must be true or false"));
                    }
                }

                break;
            case ElementKind.Device:
                var dt = OptionalString(props, "deviceType", id, index, findings);
                if (dt is not null && !ElementKindNames.TryParse(dt, out deviceType))
                {
                    findings.Add(Error(id, index, FindingCodes.PropertyInvalid,
                        $"deviceType '{dt}' is not one of breaker, recloser, fuse, switch, sectionalizer"));
                }

                break;
            case ElementKind.Transformer:
                if (props.TryGetProperty("kva", out var kvaEl) && kvaEl.ValueKind != JsonValueKind.Null)
                {
                    if (kvaEl.ValueKind == JsonValueKind.Number && kvaEl.TryGetDouble(out var k) && double.IsFinite(k) && k >= 0)
                    {
                        kva = k;
                    }
                    else
                    {
                        findings.Add(Error(id, index, FindingCodes.PropertyInvalid, "kva must be a non-negative number"));
                    }
                }

                phase = OptionalString(props, "phase", id, index, findings);
                break;
            case ElementKind.Line:
                feeder = OptionalString(props, "feeder", id, index, findings);
                break;
        }

        if (findings.Count != before || geometry is null)
        {
            return null;
        }

        return new TopologyFeature
        {
            Kind = kind,
            Id = id,
            Parent = parent,
            Geometry = geometry,
            Name = name,
            Guid = guid,
            SystemTitle = systemTitle,
            Critical = critical,
            Address = address,
            DeviceType = deviceType,
            Kva = kva,
            Phase = phase,
            Feeder = feeder,
            Extra = ExtractExtra(props, kind),
        };
    }

    /// <summary>The GeoJSON feature-level <c>id</c>: a non-empty string, or an integer taken as its decimal text; else null.</summary>
    private static string? FeatureLevelId(JsonElement feature)
    {
        if (!feature.TryGetProperty("id", out var el))
        {
            return null;
        }

        return el.ValueKind switch
        {
            JsonValueKind.String when el.GetString() is { Length: > 0 } text => text,
            JsonValueKind.Number when el.TryGetInt64(out long n) => n.ToString(CultureInfo.InvariantCulture),
            _ => null,
        };
    }

    /// <summary>A meter's phase as one shared string per value (a million meters carry a handful of values).</summary>
    private static string? Interned(string? value) => value is null ? null : string.Intern(value);

    /// <summary>The properties this kind does not interpret, as one compact standalone JSON object.</summary>
    private static JsonElement? ExtractExtra(JsonElement props, ElementKind kind)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        int count = 0;
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var p in props.EnumerateObject())
            {
                if (TopologyProperties.IsInterpreted(kind, p.Name))
                {
                    continue;
                }

                p.WriteTo(writer);
                count++;
            }

            writer.WriteEndObject();
        }

        if (count == 0)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }

    private static Geometry? ParseGeometry(JsonElement feature, ElementKind kind, string id, int index, List<TopologyFinding> findings)
    {
        string expected = kind == ElementKind.Line ? "LineString" : "Point";
        if (!feature.TryGetProperty("geometry", out var g) || g.ValueKind != JsonValueKind.Object)
        {
            findings.Add(Error(id, index, FindingCodes.GeometryInvalid, $"a {kind.ToWire()} needs a {expected} geometry"));
            return null;
        }

        string? type = g.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (type != expected)
        {
            findings.Add(Error(id, index, FindingCodes.GeometryWrongType, $"a {kind.ToWire()} needs a {expected} geometry, not {type ?? "none"}"));
            return null;
        }

        if (!g.TryGetProperty("coordinates", out var coords) || coords.ValueKind != JsonValueKind.Array)
        {
            findings.Add(Error(id, index, FindingCodes.GeometryInvalid, "geometry.coordinates is missing"));
            return null;
        }

        if (kind != ElementKind.Line)
        {
            if (!TryPosition(coords, out var c, out var why))
            {
                findings.Add(Error(id, index, FindingCodes.GeometryInvalid, why));
                return null;
            }

            return TopologyGeoJsonReader.Factory.CreatePoint(c);
        }

        int n = coords.GetArrayLength();
        if (n < 2)
        {
            findings.Add(Error(id, index, FindingCodes.GeometryInvalid, "a LineString needs at least two positions"));
            return null;
        }

        var list = new Coordinate[n];
        int i = 0;
        foreach (var pos in coords.EnumerateArray())
        {
            if (!TryPosition(pos, out list[i], out var why))
            {
                findings.Add(Error(id, index, FindingCodes.GeometryInvalid, $"position {i}: {why}"));
                return null;
            }

            i++;
        }

        return TopologyGeoJsonReader.Factory.CreateLineString(list);
    }

    private static bool TryPosition(JsonElement pos, out Coordinate coordinate, out string why)
    {
        coordinate = null!;
        if (pos.ValueKind != JsonValueKind.Array || pos.GetArrayLength() < 2)
        {
            why = "a position must be an array [longitude, latitude]";
            return false;
        }

        if (pos[0].ValueKind != JsonValueKind.Number || pos[1].ValueKind != JsonValueKind.Number)
        {
            why = "longitude and latitude must be numbers";
            return false;
        }

        if (!pos[0].TryGetDouble(out var lon) || !pos[1].TryGetDouble(out var lat) || lon is < -180 or > 180 || lat is < -90 or > 90)
        {
            why = $"[{pos[0].GetRawText()}, {pos[1].GetRawText()}] is outside WGS 84 longitude/latitude";
            return false;
        }

        // RFC 7946 allows an altitude as the third element: keep it so that export writes it back.
        int length = pos.GetArrayLength();
        if (length > 2)
        {
            if (length > 3 || pos[2].ValueKind != JsonValueKind.Number || !pos[2].TryGetDouble(out var altitude) || !double.IsFinite(altitude))
            {
                why = "a position is [longitude, latitude] or [longitude, latitude, altitude]";
                return false;
            }

            coordinate = new CoordinateZ(lon, lat, altitude);
            why = "";
            return true;
        }

        coordinate = new Coordinate(lon, lat);
        why = "";
        return true;
    }

    private static Guid ParseGuid(JsonElement props, string id, int index, List<TopologyFinding> findings)
    {
        if (!props.TryGetProperty("guid", out var el) || el.ValueKind == JsonValueKind.Null)
        {
            findings.Add(Error(id, index, FindingCodes.GuidMissing, "a meter needs a guid"));
            return Guid.Empty;
        }

        var s = el.ValueKind == JsonValueKind.String ? el.GetString()! : el.GetRawText();
        if (el.ValueKind != JsonValueKind.String || !IsCanonicalGuid(s) || !Guid.TryParseExact(s, "D", out var guid))
        {
            findings.Add(Error(id, index, FindingCodes.GuidMalformed, $"guid '{s}' is not a canonical lower-case RFC 4122 UUID"));
            return Guid.Empty;
        }

        return guid;
    }

    private static bool IsCanonicalGuid(string s)
    {
        if (s.Length != 36)
        {
            return false;
        }

        for (int i = 0; i < 36; i++)
        {
            char c = s[i];
            bool ok = i is 8 or 13 or 18 or 23 ? c == '-' : char.IsAsciiDigit(c) || c is >= 'a' and <= 'f';
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static ulong ParseSystemTitle(JsonElement props, string id, int index, List<TopologyFinding> findings)
    {
        if (!props.TryGetProperty("systemTitle", out var el) || el.ValueKind == JsonValueKind.Null)
        {
            findings.Add(Error(id, index, FindingCodes.SystemTitleMissing, "a meter needs a systemTitle"));
            return 0;
        }

        // A JSON number is not a system title: 1234567890123456 would be misread as hex.
        var s = el.ValueKind == JsonValueKind.String ? el.GetString()! : el.GetRawText();
        if (el.ValueKind != JsonValueKind.String || s.Length != 16 ||
            !ulong.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            findings.Add(Error(id, index, FindingCodes.SystemTitleMalformed, $"systemTitle '{s}' is not 16 hex digits"));
            return 0;
        }

        return value;
    }

    private static string? OptionalString(JsonElement props, string name, string id, int index, List<TopologyFinding> findings)
    {
        if (!props.TryGetProperty(name, out var el) || el.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (el.ValueKind != JsonValueKind.String)
        {
            findings.Add(Error(id, index, FindingCodes.PropertyInvalid, $"{name} must be a string, not {TopologyGeoJsonReader.Describe(el.ValueKind)}"));
            return null;
        }

        return el.GetString();
    }

    private static TopologyFinding Error(string? id, int index, string code, string message) =>
        new(FindingSeverity.Error, id, index, code, message);
}
