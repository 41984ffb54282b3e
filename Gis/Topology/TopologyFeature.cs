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

    /// <summary>
    /// A <see cref="Point"/> for every kind but <see cref="ElementKind.Line"/>, which has a <see cref="LineString"/>.
    /// Plain 2-D points and lines are kept as coordinates, not as NetTopologySuite objects (about five objects and
    /// 200 bytes each, times 2.6 million features on a million-meter network): each read of this property makes a
    /// new geometry, so read it once per use and prefer <see cref="TryGetPoint"/>, <see cref="LineCoordinates"/>.
    /// </summary>
    public required Geometry Geometry
    {
        get => _other ?? (_line is { } line ? line.ToLineString() : GeometryFactories.Default.CreatePoint(new Coordinate(_x, _y)));
        init
        {
            _x = _y = 0;
            _line = null;
            _other = null;
            if (value is Point { IsEmpty: false } p && double.IsNaN(p.Coordinate.Z) && double.IsNaN(p.Coordinate.M))
            {
                _x = p.X;
                _y = p.Y;
            }
            else if (value is LineString { IsEmpty: false } l && l.CoordinateSequence is { Dimension: 2, Measures: 0 } seq)
            {
                _line = LineCoordinates2D.From(seq);
            }
            else
            {
                _other = value; // anything else (and null) as given: the validator names what is wrong with it
            }
        }
    }

    private readonly double _x, _y;
    private readonly LineCoordinates2D? _line;
    private readonly Geometry? _other;

    /// <summary>
    /// Sets the geometry from coordinates without making a geometry first (snapshot reads): a point when the line is
    /// null. Written after <c>Geometry = null!</c> in an object initializer, which it replaces.
    /// </summary>
    internal (double X, double Y, LineCoordinates2D? Line) Shape
    {
        init
        {
            (_x, _y, _line) = value;
            _other = null;
        }
    }

    /// <summary>The point of a point feature without making a geometry; false for lines and other geometries.</summary>
    public bool TryGetPoint(out double x, out double y)
    {
        if (_line is null && _other is null)
        {
            (x, y) = (_x, _y);
            return true;
        }

        if (_other is Point { IsEmpty: false } p)
        {
            (x, y) = (p.X, p.Y);
            return true;
        }

        x = y = 0;
        return false;
    }

    /// <summary>The x, y pairs of a 2-D line without making a geometry; null for points and other geometries.</summary>
    public ReadOnlySpan<double> LineCoordinates => _line is { } line ? line.XY : (_other is LineString l ? LineCoordinates2D.From(l.CoordinateSequence).XY : default);

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
    public Coordinate Location => _line is null && _other is null
        ? new Coordinate(_x, _y)
        : (_other is Point p ? p.Coordinate : Geometry.Centroid.Coordinate);

    public static string FormatSystemTitle(ulong systemTitle) => systemTitle.ToString("X16", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The coordinates of a 2-D line as one array of x, y pairs, compared by value (features are records).</summary>
internal sealed class LineCoordinates2D : IEquatable<LineCoordinates2D>
{
    private readonly double[] _xy;

    public LineCoordinates2D(double[] xy) => _xy = xy;

    public ReadOnlySpan<double> XY => _xy;

    public static LineCoordinates2D From(CoordinateSequence seq)
    {
        var xy = new double[seq.Count * 2];
        for (int i = 0; i < seq.Count; i++)
        {
            xy[2 * i] = seq.GetX(i);
            xy[(2 * i) + 1] = seq.GetY(i);
        }

        return new LineCoordinates2D(xy);
    }

    public LineString ToLineString() =>
        GeometryFactories.Default.CreateLineString(new NetTopologySuite.Geometries.Implementation.PackedDoubleCoordinateSequence((double[])_xy.Clone(), 2, 0));

    public bool Equals(LineCoordinates2D? other) => other is not null && _xy.AsSpan().SequenceEqual(other._xy);

    public override bool Equals(object? obj) => Equals(obj as LineCoordinates2D);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_xy.AsSpan()));
        return hash.ToHashCode();
    }
}

/// <summary>The factory of every geometry of a topology: WGS 84 (SRID 4326), packed double coordinates.</summary>
public static class GeometryFactories
{
    public static readonly GeometryFactory Default = new(new PrecisionModel(), 4326, NetTopologySuite.Geometries.Implementation.PackedCoordinateSequenceFactory.DoubleFactory);
}
