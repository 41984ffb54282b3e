using System.Buffers;
using System.Globalization;
using System.Text.Json;
using NetTopologySuite.Geometries;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Tools.TopologyBench;

/// <summary>
/// Builds a large synthetic network by replicating a real one (ckt24): every replica gets
/// fresh ids (<c>r0007-</c> + the source id, for the id, the parent, a line's feeder and any
/// extra property whose value is a source id), fresh version-5 GUIDs from the new id, fresh
/// system titles, and its own place on a grid. Each replica keeps its own substation.
/// </summary>
internal sealed class NetworkReplicator
{
    /// <summary>"OPS", the manufacturer part of every generated system title.</summary>
    private const ulong SystemTitlePrefix = 0x4F5053UL << 40;

    private const double KmPerDegreeLatitude = 111.32;

    private readonly TopologyFeature[] _source;
    private readonly HashSet<string> _sourceIds;
    private readonly int[] _meterOrdinal; // per source feature: its ordinal among meters, -1 otherwise
    private readonly Envelope _sourceBounds;
    private readonly int _columns;
    private readonly int _rows;
    private readonly double _spacingKm;
    private readonly string _tagFormat;

    public NetworkReplicator(IReadOnlyList<TopologyFeature> source, int minimumMeters, double spacingKm = 6.0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minimumMeters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spacingKm);
        _source = [.. source];
        _sourceIds = new HashSet<string>(_source.Select(f => f.Id), StringComparer.Ordinal);
        _meterOrdinal = new int[_source.Length];
        int meters = 0;
        _sourceBounds = new Envelope();
        for (int i = 0; i < _source.Length; i++)
        {
            _meterOrdinal[i] = _source[i].Kind == ElementKind.Meter ? meters++ : -1;
            _sourceBounds.ExpandToInclude(_source[i].Geometry.EnvelopeInternal);
        }

        if (meters == 0)
        {
            throw new ArgumentException("the source network has no meters to replicate", nameof(source));
        }

        SourceMeters = meters;
        Replicas = (int)Math.Ceiling(minimumMeters / (double)meters);

        // System title = "OPS" (3 bytes) + replica (2 bytes) + meter ordinal (3 bytes): unique by construction.
        if (Replicas > ushort.MaxValue + 1 || meters > (1 << 24))
        {
            throw new ArgumentOutOfRangeException(nameof(minimumMeters),
                $"{Replicas} replicas of {meters} meters do not fit the system-title scheme (at most 65,536 replicas of 16,777,216 meters)");
        }

        _spacingKm = spacingKm;
        _columns = (int)Math.Ceiling(Math.Sqrt(Replicas));
        _rows = (int)Math.Ceiling(Replicas / (double)_columns);
        _tagFormat = "'r'" + new string('0', Math.Max(4, (Replicas - 1).ToString(CultureInfo.InvariantCulture).Length)) + "'-'";
        CheckGridIsOnTheGlobe(spacingKm);
    }

    public int Replicas { get; }

    public int SourceMeters { get; }

    public int MeterCount => Replicas * SourceMeters;

    public long FeatureCount => (long)Replicas * _source.Length;

    private string Tag(int replica) => replica.ToString(_tagFormat, CultureInfo.InvariantCulture);

    /// <summary>Every feature of every replica, lazily, in replica order (source order within a replica).</summary>
    public IEnumerable<TopologyFeature> Features()
    {
        for (int r = 0; r < Replicas; r++)
        {
            foreach (var f in Replica(r))
            {
                yield return f;
            }
        }
    }

    public List<TopologyFeature> Materialize()
    {
        var list = new List<TopologyFeature>(checked((int)FeatureCount));
        list.AddRange(Features());
        return list;
    }

    public IEnumerable<TopologyFeature> Replica(int replica)
    {
        string tag = Tag(replica);
        var (dLon, dLat) = Offset(replica);
        var buffer = new ArrayBufferWriter<byte>(1024);
        for (int i = 0; i < _source.Length; i++)
        {
            var f = _source[i];
            string id = tag + f.Id;
            int ordinal = _meterOrdinal[i];
            yield return f with
            {
                Id = id,
                Parent = f.Parent is null ? null : tag + f.Parent,
                Feeder = f.Feeder is null ? null : tag + f.Feeder,
                Geometry = Move(f.Geometry, dLon, dLat),
                Guid = ordinal < 0 ? f.Guid : DeterministicGuid.ForMeter(id),
                SystemTitle = ordinal < 0 ? f.SystemTitle : SystemTitlePrefix | ((ulong)replica << 24) | (uint)ordinal,
                Extra = f.Extra is { } extra ? Retag(extra, tag, buffer) : null,
            };
        }
    }

    /// <summary>Longitude/latitude offset of a replica: a grid centred on the source, rows <c>spacing</c> km apart.</summary>
    public (double Lon, double Lat) Offset(int replica)
    {
        double row = (replica / _columns) - ((_rows - 1) / 2.0);
        double column = (replica % _columns) - ((_columns - 1) / 2.0);
        double dLat = row * _spacingKm / KmPerDegreeLatitude;
        double latitude = _sourceBounds.Centre.Y + dLat;
        double dLon = column * _spacingKm / (KmPerDegreeLatitude * Math.Cos(latitude * Math.PI / 180));
        return (dLon, dLat);
    }

    private void CheckGridIsOnTheGlobe(double spacingKm)
    {
        foreach (int corner in new[] { 0, _columns - 1, (_rows - 1) * _columns, (_rows * _columns) - 1 })
        {
            var (dLon, dLat) = Offset(corner);
            if (_sourceBounds.MinY + dLat < -85 || _sourceBounds.MaxY + dLat > 85 ||
                _sourceBounds.MinX + dLon < -180 || _sourceBounds.MaxX + dLon > 180 || double.IsNaN(dLon))
            {
                throw new ArgumentOutOfRangeException(nameof(spacingKm),
                    $"a {_columns} x {_rows} grid of replicas {spacingKm} km apart leaves valid longitude/latitude; use fewer meters or a smaller spacing");
            }
        }
    }

    /// <summary>The geometry shifted by an offset; an altitude, where the source has one, is kept.</summary>
    private static Geometry Move(Geometry geometry, double dLon, double dLat)
    {
        if (geometry is Point p)
        {
            return TopologyGeoJsonReader.Factory.CreatePoint(Shift(p.CoordinateSequence, 0, dLon, dLat));
        }

        var seq = ((LineString)geometry).CoordinateSequence;
        var moved = new Coordinate[seq.Count];
        for (int i = 0; i < moved.Length; i++)
        {
            moved[i] = Shift(seq, i, dLon, dLat);
        }

        return TopologyGeoJsonReader.Factory.CreateLineString(moved);
    }

    private static Coordinate Shift(CoordinateSequence seq, int i, double dLon, double dLat) => seq.HasZ
        ? new CoordinateZ(seq.GetX(i) + dLon, seq.GetY(i) + dLat, seq.GetZ(i))
        : new Coordinate(seq.GetX(i) + dLon, seq.GetY(i) + dLat);

    /// <summary>
    /// A copy of the extra properties with every string that names a source feature re-tagged,
    /// held as a standalone cloned element exactly as the reader keeps extras.
    /// </summary>
    private JsonElement Retag(JsonElement extra, string tag, ArrayBufferWriter<byte> buffer)
    {
        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var p in extra.EnumerateObject())
            {
                if (p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() is { } s && _sourceIds.Contains(s))
                {
                    writer.WriteString(p.Name, tag + s);
                }
                else
                {
                    p.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }
}
