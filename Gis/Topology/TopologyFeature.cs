using NetTopologySuite.Geometries;

namespace OpsConsole.Gis.Topology;

/// <summary>
/// One feature of a topology file, with the properties the spec names parsed and every other
/// property kept verbatim in <see cref="Extra"/> so that export writes it back.
/// </summary>
public sealed record TopologyFeature
{
    public required ElementKind Kind { get; init; }

    public required string Id { get; init; }

    /// <summary>The id of the next element upstream as written in the file (null when absent or null).</summary>
    public string? Parent { get; init; }

    /// <summary>A <see cref="Point"/> for every kind but <see cref="ElementKind.Line"/>, which has a <see cref="LineString"/>.</summary>
    public required Geometry Geometry { get; init; }

    public string? Name { get; init; }

    /// <summary>Meter GUID (RFC 4122); <see cref="System.Guid.Empty"/> for other kinds.</summary>
    public Guid Guid { get; init; }

    /// <summary>Meter DLMS system title as a big-endian 64-bit number; 0 for other kinds.</summary>
    public ulong SystemTitle { get; init; }

    /// <summary>Meter flag for life support, hospitals and the like; null when the file does not say.</summary>
    public bool? Critical { get; init; }

    public string? Address { get; init; }

    public DeviceType DeviceType { get; init; }

    public double? Kva { get; init; }

    public string? Phase { get; init; }

    /// <summary>For lines: the id of the feeder the line belongs to.</summary>
    public string? Feeder { get; init; }

    /// <summary>Every property the spec does not name for this kind, kept for export.</summary>
    public System.Text.Json.JsonElement? Extra { get; init; }

    public bool IsCritical => Critical == true;

    /// <summary>The point of a point feature (longitude = X, latitude = Y).</summary>
    public Coordinate Location => Geometry is Point p ? p.Coordinate : Geometry.Centroid.Coordinate;

    public static string FormatSystemTitle(ulong systemTitle) => systemTitle.ToString("X16", System.Globalization.CultureInfo.InvariantCulture);
}
