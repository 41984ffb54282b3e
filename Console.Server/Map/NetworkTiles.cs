using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using NetTopologySuite.Geometries;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Console.Server.Map;

/// <summary>
/// The network as the map shows it, by area and level of detail: one small JSON document per web-mercator tile
/// (256 px, the scheme Leaflet uses), so a browser downloads what its view can show and never the whole network.
/// Levels: lines, substations, feeders and devices at every zoom; transformers from <see cref="TransformerMinZoom"/>;
/// meters from <see cref="MeterMinZoom"/>. A tile never holds more than <see cref="TileBudgetBytes"/> of JSON: lines
/// that would take more than <see cref="LineVectorBudgetBytes"/> as vectors are sent as a 1-px coverage raster of the
/// tile (what a canvas would paint anyway once they are denser than a pixel), and when the points still do not fit,
/// the finest levels are left out of that tile (named in <c>omitted</c>): the coarser level is sent.
/// The index is made once per network snapshot.
/// </summary>
public sealed class NetworkTiles(TopologyState state)
{
    public const int TileSize = 256;
    public const int MaxZoom = 22;
    public const int TransformerMinZoom = 12;
    public const int MeterMinZoom = 17;

    /// <summary>Most JSON one tile may hold (uncompressed): 54 tiles, a 1920×1080 view with partial tiles, stay under 2 MB.</summary>
    public const int TileBudgetBytes = 32 * 1024;

    /// <summary>Lines over this as vectors go as the raster (8 KiB of bits, 10.9 KiB in base64).</summary>
    public const int LineVectorBudgetBytes = 12 * 1024;

    private readonly ConditionalWeakTable<NetworkTopology, Lazy<TileIndex>> _cache = [];

    public TileIndex For(NetworkTopology topology) =>
        _cache.GetValue(topology, t => new Lazy<TileIndex>(() => new TileIndex(t), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    public TileIndex Current() => For(state.Current);

    /// <summary>Makes the index of the network in force off the request thread, so the first tiles find it ready sooner.</summary>
    public void Prepare()
    {
        var topology = state.Current;
        _ = Task.Run(() => For(topology));
    }

    /// <summary>Parses z/x/y as the endpoint receives them; null and a message when they are not a tile.</summary>
    public static string? Parse(string? z, string? x, string? y, out int zoom, out int tx, out int ty)
    {
        zoom = tx = ty = 0;
        if (!int.TryParse(z, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out zoom) || zoom > MaxZoom)
        {
            return $"z must be a whole number from 0 to {MaxZoom}, was '{Clip(z)}'";
        }

        long n = 1L << zoom;
        if (!long.TryParse(x, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long lx) || lx >= n)
        {
            return $"x must be a whole number from 0 to {n - 1} at zoom {zoom}, was '{Clip(x)}'";
        }

        if (!long.TryParse(y, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long ly) || ly >= n)
        {
            return $"y must be a whole number from 0 to {n - 1} at zoom {zoom}, was '{Clip(y)}'";
        }

        tx = (int)lx;
        ty = (int)ly;
        return null;
    }

    private static string Clip(string? s) => s is null ? "" : s.Length <= 20 ? s : s[..20] + "…";
}

/// <summary>Spherical web mercator as Leaflet's EPSG:3857 projects it, in world units (0..1 across the world).</summary>
public static class WebMercator
{
    public const double MaxLatitude = 85.0511287798;

    public static double X(double longitude) => (longitude + 180.0) / 360.0;

    public static double Y(double latitude)
    {
        double lat = Math.Clamp(latitude, -MaxLatitude, MaxLatitude) * Math.PI / 180.0;
        double sin = Math.Sin(lat);
        return 0.5 - (Math.Log((1 + sin) / (1 - sin)) / (4 * Math.PI));
    }

    public static double Longitude(double x) => (x * 360.0) - 180.0;

    public static double Latitude(double y) => Math.Atan(Math.Sinh(Math.PI * (1 - (2 * y)))) * 180.0 / Math.PI;
}

/// <summary>
/// The spatial index of one network snapshot: a uniform grid (in mercator units) over the network's extent, one for
/// lines (each line in every cell its envelope touches), one for substations, feeders, devices and transformers, one
/// for meters; each in compressed-row form (arrays, no per-cell objects). Tiles up to <see cref="CachedMaxZoom"/>
/// (few, and the costliest: the whole network may be in one) are kept once rendered.
/// </summary>
public sealed class TileIndex
{
    /// <summary>Pixels around a tile whose points are still sent with it: a marker near the edge is drawn whole on both sides.</summary>
    public const double MarginPx = 16;

    public const int CachedMaxZoom = 13;

    private static readonly ElementKind[] Levels = [ElementKind.Substation, ElementKind.Feeder, ElementKind.Device, ElementKind.Transformer, ElementKind.Meter];

    private readonly NetworkTopology _t;
    private readonly double _x0, _y0, _cell;
    private readonly int _side;
    private readonly Grid _lines, _nodes, _meters;
    private readonly double[] _lineBox; // minX, minY, maxX, maxY per line, mercator
    private readonly ConcurrentDictionary<long, byte[]> _rendered = new();

    /// <summary>The envelope of a line's x, y pairs (an empty envelope for none).</summary>
    private static Envelope Envelope2D(ReadOnlySpan<double> xy)
    {
        var env = new Envelope();
        for (int i = 0; i + 1 < xy.Length; i += 2)
        {
            env.ExpandToInclude(xy[i], xy[i + 1]);
        }

        return env;
    }

    public TileIndex(NetworkTopology topology)
    {
        _t = topology;
        var lines = topology.Lines;
        _lineBox = new double[lines.Count * 4];
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        for (int l = 0; l < lines.Count; l++)
        {
            var env = Envelope2D(lines[l].LineCoordinates);
            double ax = WebMercator.X(env.MinX), bx = WebMercator.X(env.MaxX), ay = WebMercator.Y(env.MaxY), by = WebMercator.Y(env.MinY);
            _lineBox[4 * l] = ax;
            _lineBox[(4 * l) + 1] = ay;
            _lineBox[(4 * l) + 2] = bx;
            _lineBox[(4 * l) + 3] = by;
            minX = Math.Min(minX, ax);
            minY = Math.Min(minY, ay);
            maxX = Math.Max(maxX, bx);
            maxY = Math.Max(maxY, by);
        }

        int n = topology.ElementCount;
        var px = new double[n];
        var py = new double[n];
        for (int e = 0; e < n; e++)
        {
            topology[e].TryGetPoint(out double lon, out double lat);
            px[e] = WebMercator.X(lon);
            py[e] = WebMercator.Y(lat);
            minX = Math.Min(minX, px[e]);
            minY = Math.Min(minY, py[e]);
            maxX = Math.Max(maxX, px[e]);
            maxY = Math.Max(maxY, py[e]);
        }

        if (minX > maxX)
        {
            minX = minY = 0;
            maxX = maxY = 1;
        }

        // About 8 things a cell, at most 1024 cells a side.
        _side = (int)Math.Clamp(Math.Sqrt(Math.Max(n, lines.Count) / 8.0), 1, 1024);
        _cell = Math.Max(Math.Max(maxX - minX, maxY - minY) / _side, 1e-12) * (1 + 1e-9);
        _x0 = minX;
        _y0 = minY;

        _nodes = Grid.Build(this, n, e => topology.KindOf(e) is not (ElementKind.Meter or ElementKind.Line), e => (px[e], py[e]));
        _meters = Grid.Build(this, n, e => topology.KindOf(e) == ElementKind.Meter, e => (px[e], py[e]));
        _lines = Grid.BuildBoxes(this, lines.Count, _lineBox);
    }

    public NetworkTopology Topology => _t;

    /// <summary>The tile's JSON (see opsmap.js for the format); at most <see cref="NetworkTiles.TileBudgetBytes"/> bytes.</summary>
    public byte[] Tile(int z, int x, int y)
    {
        if (z > CachedMaxZoom)
        {
            return Render(z, x, y);
        }

        long key = ((long)z << 56) | ((long)x << 28) | (uint)y;
        return _rendered.GetOrAdd(key, _ => Render(z, x, y));
    }

    private (int X0, int Y0, int X1, int Y1)? Cells(double ax, double ay, double bx, double by)
    {
        int cx0 = (int)Math.Floor((ax - _x0) / _cell), cy0 = (int)Math.Floor((ay - _y0) / _cell);
        int cx1 = (int)Math.Floor((bx - _x0) / _cell), cy1 = (int)Math.Floor((by - _y0) / _cell);
        if (cx1 < 0 || cy1 < 0 || cx0 >= _side || cy0 >= _side)
        {
            return null;
        }

        return (Math.Max(cx0, 0), Math.Max(cy0, 0), Math.Min(cx1, _side - 1), Math.Min(cy1, _side - 1));
    }

    private byte[] Render(int z, int x, int y)
    {
        double scale = NetworkTiles.TileSize * Math.Pow(2, z); // world units → pixels at this zoom
        double ox = x * (double)NetworkTiles.TileSize, oy = y * (double)NetworkTiles.TileSize;
        double margin = TileIndex.MarginPx / scale;
        double ax = x / Math.Pow(2, z) - margin, ay = y / Math.Pow(2, z) - margin;
        double bx = (x + 1) / Math.Pow(2, z) + margin, by = (y + 1) / Math.Pow(2, z) + margin;
        var cells = Cells(ax, ay, bx, by);

        // Lines: vectors in tile pixels (rounded to 0.5 px, repeated points dropped, lines within a pixel dropped);
        // over the vector budget, the raster.
        byte[]? vector = null;
        string? raster = null;
        int lineCount = 0;
        if (cells is { } lc)
        {
            var points = new List<double>();
            var starts = new List<int>();
            var ids = new List<int>();
            foreach (int l in _lines.Candidates(lc, _lineBox, ax, ay, bx, by))
            {
                var xy = _t.Lines[l].LineCoordinates;
                int start = points.Count;
                double lastX = double.NaN, lastY = double.NaN;
                for (int i = 0; i + 1 < xy.Length; i += 2)
                {
                    double qx = Math.Round(((WebMercator.X(xy[i]) * scale) - ox) * 2) / 2;
                    double qy = Math.Round(((WebMercator.Y(xy[i + 1]) * scale) - oy) * 2) / 2;
                    if (qx != lastX || qy != lastY)
                    {
                        points.Add(qx);
                        points.Add(qy);
                        lastX = qx;
                        lastY = qy;
                    }
                }

                if (points.Count - start < 4)
                {
                    points.RemoveRange(start, points.Count - start); // within half a pixel: not drawn
                    continue;
                }

                starts.Add(start);
                ids.Add(l);
            }

            starts.Add(points.Count);
            lineCount = ids.Count;
            // A point takes ≥ 4 bytes as JSON: a count this high cannot fit, so skip writing the vectors.
            if (points.Count * 2 <= NetworkTiles.LineVectorBudgetBytes)
            {
                vector = Json(w =>
                {
                    w.WriteStartArray();
                    for (int k = 0; k < ids.Count; k++)
                    {
                        w.WriteStartArray();
                        w.WriteNumberValue(ids[k]);
                        for (int i = starts[k]; i < starts[k + 1]; i++)
                        {
                            w.WriteNumberValue(points[i]);
                        }

                        w.WriteEndArray();
                    }

                    w.WriteEndArray();
                });
            }

            if (vector is null || vector.Length > NetworkTiles.LineVectorBudgetBytes)
            {
                vector = null;
                raster = Raster(points, starts);
            }
        }

        // Points, level by level, coarsest first, while they fit.
        int budget = NetworkTiles.TileBudgetBytes - 200 - (vector?.Length ?? 0) - (raster?.Length ?? 0);
        var parts = new List<(ElementKind Kind, byte[] Json)>();
        var omitted = new List<string>();
        bool full = false;
        foreach (var kind in Levels)
        {
            int minZoom = kind switch
            {
                ElementKind.Transformer => NetworkTiles.TransformerMinZoom,
                ElementKind.Meter => NetworkTiles.MeterMinZoom,
                _ => 0,
            };
            if (z < minZoom)
            {
                continue;
            }

            if (full || cells is not { } pc)
            {
                if (full)
                {
                    omitted.Add(Plural(kind));
                }

                continue;
            }

            var grid = kind == ElementKind.Meter ? _meters : _nodes;
            var found = new List<(int E, double X, double Y)>();
            foreach (var (e, wx, wy) in grid.Points(pc, ax, ay, bx, by))
            {
                if (_t.KindOf(e) == kind)
                {
                    found.Add((e, (wx * scale) - ox, (wy * scale) - oy));
                }
            }

            if (kind == ElementKind.Transformer)
            {
                found.Sort((a, b) => _t.MeterCountBelow(b.E).CompareTo(_t.MeterCountBelow(a.E))); // big first: small ones stay on top
            }

            // Cheap bound before writing: every point takes at least 16 bytes.
            byte[]? json = found.Count * 16 > budget ? null : Json(w =>
            {
                w.WriteStartArray();
                foreach (var (e, tx, ty) in found)
                {
                    var f = _t[e];
                    w.WriteStartArray();
                    w.WriteStringValue(f.Id);
                    w.WriteNumberValue(Math.Round(tx, 1));
                    w.WriteNumberValue(Math.Round(ty, 1));
                    if (kind == ElementKind.Meter)
                    {
                        w.WriteNumberValue(f.IsCritical ? 1 : 0);
                        w.WriteNumberValue(_t.IsUnmapped(e) ? 0 : 1);
                    }
                    else
                    {
                        w.WriteNumberValue(_t.MeterCountBelow(e));
                        if (f.Kind == ElementKind.Device && f.DeviceType != DeviceType.Unspecified)
                        {
                            w.WriteStringValue(f.DeviceType.ToWire());
                        }
                        else
                        {
                            w.WriteNullValue();
                        }
                    }

                    w.WriteEndArray();
                }

                w.WriteEndArray();
            });
            if (json is null || json.Length > budget)
            {
                full = true;
                omitted.Add(Plural(kind));
                continue;
            }

            budget -= json.Length + 20;
            parts.Add((kind, json));
        }

        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("z", z);
            w.WriteNumber("x", x);
            w.WriteNumber("y", y);
            if (vector is not null)
            {
                w.WritePropertyName("lines");
                w.WriteRawValue(vector, skipInputValidation: true);
            }

            if (raster is not null)
            {
                w.WriteString("raster", raster);
                w.WriteNumber("rasterLines", lineCount);
            }

            foreach (var (kind, json) in parts)
            {
                w.WritePropertyName(Plural(kind));
                w.WriteRawValue(json, skipInputValidation: true);
            }

            if (omitted.Count > 0)
            {
                w.WriteStartArray("omitted");
                foreach (var o in omitted)
                {
                    w.WriteStringValue(o);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        });
    }

    private static string Plural(ElementKind kind) => kind.ToWire() + "s";

    /// <summary>The lines as a 256×256 bitmap (row by row, bit x of a row's byte x/8 least significant first), base64.</summary>
    private static string Raster(List<double> points, List<int> starts)
    {
        const int S = NetworkTiles.TileSize;
        var bits = new byte[S * S / 8];
        for (int k = 0; k + 1 < starts.Count; k++)
        {
            for (int i = starts[k]; i + 3 < starts[k + 1]; i += 2)
            {
                Segment(bits, points[i], points[i + 1], points[i + 2], points[i + 3]);
            }
        }

        return Convert.ToBase64String(bits);

        static void Segment(byte[] bits, double x0, double y0, double x1, double y1)
        {
            // Clip to the tile (Liang–Barsky), then step one pixel at a time along the longer axis.
            double t0 = 0, t1 = 1, dx = x1 - x0, dy = y1 - y0;
            if (!Clip(-dx, x0, ref t0, ref t1) || !Clip(dx, S - 0.001 - x0, ref t0, ref t1) || !Clip(-dy, y0, ref t0, ref t1) || !Clip(dy, S - 0.001 - y0, ref t0, ref t1))
            {
                return;
            }

            double ax = x0 + (t0 * dx), ay = y0 + (t0 * dy), bx = x0 + (t1 * dx), by = y0 + (t1 * dy);
            int steps = (int)Math.Ceiling(Math.Max(Math.Abs(bx - ax), Math.Abs(by - ay)));
            for (int s = 0; s <= steps; s++)
            {
                double f = steps == 0 ? 0 : (double)s / steps;
                int px = (int)(ax + (f * (bx - ax))), py = (int)(ay + (f * (by - ay)));
                if ((uint)px < S && (uint)py < S)
                {
                    int bit = (py * S) + px;
                    bits[bit >> 3] |= (byte)(1 << (bit & 7));
                }
            }
        }

        static bool Clip(double p, double q, ref double t0, ref double t1)
        {
            if (p == 0)
            {
                return q >= 0;
            }

            double r = q / p;
            if (p < 0)
            {
                if (r > t1)
                {
                    return false;
                }

                t0 = Math.Max(t0, r);
            }
            else
            {
                if (r < t0)
                {
                    return false;
                }

                t1 = Math.Min(t1, r);
            }

            return true;
        }
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Things in grid cells, compressed-row: the items of cell c are <c>Items[Start[c]..Start[c+1]]</c>.</summary>
    private sealed class Grid
    {
        private int[] _start = [];
        private int[] _items = [];
        private double[] _x = [], _y = []; // points only, aligned with _items
        private int _side;
        private double _gx0, _gy0, _cell;

        public static Grid Build(TileIndex index, int count, Func<int, bool> include, Func<int, (double X, double Y)> at)
        {
            int side = index._side;
            var cellOf = new int[count];
            var start = new int[(side * side) + 1];
            for (int e = 0; e < count; e++)
            {
                if (!include(e))
                {
                    cellOf[e] = -1;
                    continue;
                }

                var (x, y) = at(e);
                int cx = Math.Clamp((int)((x - index._x0) / index._cell), 0, side - 1), cy = Math.Clamp((int)((y - index._y0) / index._cell), 0, side - 1);
                cellOf[e] = (cy * side) + cx;
                start[cellOf[e] + 1]++;
            }

            for (int c = 0; c < side * side; c++)
            {
                start[c + 1] += start[c];
            }

            var fill = start[..^1].ToArray();
            var items = new int[start[^1]];
            var xs = new double[items.Length];
            var ys = new double[items.Length];
            for (int e = 0; e < count; e++)
            {
                if (cellOf[e] >= 0)
                {
                    int k = fill[cellOf[e]]++;
                    items[k] = e;
                    (xs[k], ys[k]) = at(e);
                }
            }

            return new Grid { _start = start, _items = items, _x = xs, _y = ys, _side = side, _gx0 = index._x0, _gy0 = index._y0, _cell = index._cell };
        }

        public static Grid BuildBoxes(TileIndex index, int count, double[] boxes)
        {
            int side = index._side;
            var start = new int[(side * side) + 1];
            for (int pass = 0; pass < 2; pass++)
            {
                var fill = pass == 0 ? null : start[..^1].ToArray();
                var items = pass == 0 ? null : new int[start[^1]];
                for (int l = 0; l < count; l++)
                {
                    if (index.Cells(boxes[4 * l], boxes[(4 * l) + 1], boxes[(4 * l) + 2], boxes[(4 * l) + 3]) is not { } c)
                    {
                        continue;
                    }

                    for (int cy = c.Y0; cy <= c.Y1; cy++)
                    {
                        for (int cx = c.X0; cx <= c.X1; cx++)
                        {
                            int cell = (cy * side) + cx;
                            if (pass == 0)
                            {
                                start[cell + 1]++;
                            }
                            else
                            {
                                items![fill![cell]++] = l;
                            }
                        }
                    }
                }

                if (pass == 0)
                {
                    for (int c = 0; c < side * side; c++)
                    {
                        start[c + 1] += start[c];
                    }
                }
                else
                {
                    return new Grid { _start = start, _items = items!, _side = side, _gx0 = index._x0, _gy0 = index._y0, _cell = index._cell };
                }
            }

            throw new System.Diagnostics.UnreachableException();
        }

        /// <summary>Points in the cells of <paramref name="c"/> inside the box, with their mercator position.</summary>
        public IEnumerable<(int Item, double X, double Y)> Points((int X0, int Y0, int X1, int Y1) c, double ax, double ay, double bx, double by)
        {
            for (int cy = c.Y0; cy <= c.Y1; cy++)
            {
                for (int k = _start[(cy * _side) + c.X0]; k < _start[(cy * _side) + c.X1 + 1]; k++)
                {
                    double x = _x[k], y = _y[k];
                    if (x >= ax && x <= bx && y >= ay && y <= by)
                    {
                        yield return (_items[k], x, y);
                    }
                }
            }
        }

        /// <summary>
        /// Boxes in the cells of <paramref name="c"/> that meet the box, each once: a box in several cells is taken in
        /// the first cell of the query that it is in.
        /// </summary>
        public IEnumerable<int> Candidates((int X0, int Y0, int X1, int Y1) c, double[] boxes, double ax, double ay, double bx, double by)
        {
            for (int cy = c.Y0; cy <= c.Y1; cy++)
            {
                for (int cx = c.X0; cx <= c.X1; cx++)
                {
                    int cell = (cy * _side) + cx;
                    for (int k = _start[cell]; k < _start[cell + 1]; k++)
                    {
                        int l = _items[k];
                        double lx0 = boxes[4 * l], ly0 = boxes[(4 * l) + 1], lx1 = boxes[(4 * l) + 2], ly1 = boxes[(4 * l) + 3];
                        if (lx1 < ax || lx0 > bx || ly1 < ay || ly0 > by)
                        {
                            continue;
                        }

                        if (cx != c.X0 || cy != c.Y0)
                        {
                            // First cell of the query this line is in: the later of the query's and the line's first cells.
                            int firstX = Math.Max(c.X0, CellIndex(lx0)), firstY = Math.Max(c.Y0, CellIndex(ly0, y: true));
                            if (cx != firstX || cy != firstY)
                            {
                                continue;
                            }
                        }

                        yield return l;
                    }
                }
            }

            int CellIndex(double v, bool y = false) => Math.Clamp((int)Math.Floor((v - (y ? _gy0 : _gx0)) / _cell), 0, _side - 1);
        }
    }
}
