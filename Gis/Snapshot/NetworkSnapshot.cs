using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using NetTopologySuite.Geometries;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Gis.Snapshot;

/// <summary>
/// The compact binary form of a lean network (every feature in file order, without extra properties): what a
/// server loads at restart instead of validating GeoJSON again, and what nodes of a cluster can share. Layout:
/// a 52-byte header (magic <c>OPSNETSN</c>, format version, payload length, SHA-256 of the payload), then the
/// payload. A snapshot of another version, a short one or one whose checksum does not match is refused with an
/// <see cref="InvalidDataException"/> saying which, so the caller can fall back to the stored GeoJSON.
/// </summary>
public static class NetworkSnapshot
{
    /// <summary>The format written; a reader refuses any other (an old snapshot is rebuilt from GeoJSON).</summary>
    public const int Version = 3;

    public const int HeaderBytes = 52;

    /// <summary>Features per part: the parts of a section are decoded side by side.</summary>
    private const int PartSize = 65536;

    private static ReadOnlySpan<byte> Magic => "OPSNETSN"u8;

    [Flags]
    private enum Has : byte
    {
        None = 0,
        Parent = 1,
        Name = 2,
        Critical = 4,
        CriticalTrue = 8,
        Address = 16,
        Kva = 32,
        Phase = 64,
        Feeder = 128,
    }

    /// <summary>The snapshot of <paramref name="features"/> (extras are not written).</summary>
    public static byte[] Write(IReadOnlyList<TopologyFeature> features)
    {
        ArgumentNullException.ThrowIfNull(features);

        // Parent, feeder and phase are references: to a feature's id (the reader then shares that id's string, as the
        // built network does anyway) or to a small table of the other values (phases, dangling parents).
        var idIndex = new Dictionary<string, int>(features.Count, StringComparer.Ordinal);
        for (int k = 0; k < features.Count; k++)
        {
            idIndex.TryAdd(features[k].Id, k);
        }

        var table = new Dictionary<string, int>(StringComparer.Ordinal);
        int Ref(string value) =>
            idIndex.TryGetValue(value, out int k) ? k : features.Count + (table.TryGetValue(value, out int t) ? t : table[value] = table.Count);

        var refs = new int[features.Count * 3];
        for (int k = 0; k < features.Count; k++)
        {
            var f = features[k];
            refs[3 * k] = f.Parent is null ? -1 : Ref(f.Parent);
            refs[(3 * k) + 1] = f.Phase is null ? -1 : Ref(f.Phase);
            refs[(3 * k) + 2] = f.Feeder is null ? -1 : Ref(f.Feeder);
        }

        using var ms = new MemoryStream(capacity: 64 + (features.Count * 96));
        ms.Write(new byte[HeaderBytes]);
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            int parts = (features.Count + PartSize - 1) / PartSize;
            w.Write(features.Count);
            w.Write(PartSize);
            WriteParts(w, ms, parts, p =>
            {
                for (int k = p * PartSize; k < Math.Min(features.Count, (p + 1) * PartSize); k++)
                {
                    w.Write(features[k].Id);
                }
            });

            w.Write(table.Count);
            foreach (var value in table.OrderBy(e => e.Value).Select(e => e.Key))
            {
                w.Write(value);
            }

            WriteParts(w, ms, parts, p =>
            {
                for (int k = p * PartSize; k < Math.Min(features.Count, (p + 1) * PartSize); k++)
                {
                    WriteFeature(w, features[k], refs.AsSpan(3 * k, 3));
                }
            });
        }

        var bytes = ms.GetBuffer();
        int length = (int)ms.Length;
        var header = bytes.AsSpan(0, HeaderBytes);
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(header[12..], length - HeaderBytes);
        SHA256.HashData(bytes.AsSpan(HeaderBytes, length - HeaderBytes), header[20..]);
        return bytes.AsSpan(0, length).ToArray();
    }

    /// <summary>The lean features of a snapshot, in the order written; <see cref="InvalidDataException"/> when it is not a whole, intact snapshot of this version.</summary>
    public static TopologyFeature[] Read(ReadOnlyMemory<byte> snapshot)
    {
        var span = snapshot.Span;
        if (span.Length < HeaderBytes || !span[..8].SequenceEqual(Magic))
        {
            throw new InvalidDataException($"not a network snapshot ({span.Length} bytes, no {Encoding.ASCII.GetString(Magic)} header)");
        }

        int version = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        if (version != Version)
        {
            throw new InvalidDataException($"network snapshot format {version}, this server reads format {Version}");
        }

        long length = BinaryPrimitives.ReadInt64LittleEndian(span[12..]);
        if (length != span.Length - HeaderBytes)
        {
            throw new InvalidDataException($"network snapshot truncated or padded: header says {length} bytes of payload, {span.Length - HeaderBytes} present");
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(span[HeaderBytes..], hash);
        if (!hash.SequenceEqual(span.Slice(20, 32)))
        {
            throw new InvalidDataException("network snapshot damaged: SHA-256 of the payload does not match its header");
        }

        try
        {
            return ReadPayload(snapshot[HeaderBytes..]);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.FirstOrDefault(Unreadable) is { } inner)
        {
            throw new InvalidDataException("network snapshot unreadable although its checksum matches: " + inner.Message, inner);
        }
        catch (Exception ex) when (Unreadable(ex))
        {
            throw new InvalidDataException("network snapshot unreadable although its checksum matches: " + ex.Message, ex);
        }

        static bool Unreadable(Exception ex) => ex is EndOfStreamException or ArgumentException or FormatException or OverflowException or IndexOutOfRangeException;
    }

    /// <summary>
    /// What names a snapshot: the SHA-256 of its payload from its header, in lower-case hex (64 characters); null when
    /// <paramref name="snapshot"/> does not start with a snapshot header. Not checked against the payload (<see cref="Read"/> does that).
    /// </summary>
    public static string? Identity(ReadOnlySpan<byte> snapshot) =>
        snapshot.Length >= HeaderBytes && snapshot[..8].SequenceEqual(Magic) ? Convert.ToHexStringLower(snapshot.Slice(20, 32)) : null;

    /// <summary>Reads a snapshot and builds the lean network from it.</summary>
    public static NetworkTopology ReadNetwork(ReadOnlyMemory<byte> snapshot) => NetworkTopology.Build(Read(snapshot), keepExtraProperties: false);

    /// <summary>
    /// A section in parts: the byte offset of each part's start and of the section's end (from the end of the offsets),
    /// then the parts. A reader
    /// decodes the parts side by side: a million-meter network on every core instead of one.
    /// </summary>
    private static void WriteParts(BinaryWriter w, MemoryStream ms, int parts, Action<int> writePart)
    {
        w.Flush();
        long offsetsAt = ms.Position;
        w.Write(new byte[(parts + 1) * 4]);
        w.Flush();
        long dataAt = ms.Position;
        var offsets = new int[parts + 1];
        for (int p = 0; p < parts; p++)
        {
            w.Flush();
            offsets[p] = checked((int)(ms.Position - dataAt));
            writePart(p);
        }

        w.Flush();
        long end = ms.Position;
        offsets[parts] = checked((int)(end - dataAt)); // the section's length: where the last part ends
        ms.Position = offsetsAt;
        foreach (int offset in offsets)
        {
            w.Write(offset);
        }

        w.Flush();
        ms.Position = end;
    }

    private static void WriteFeature(BinaryWriter w, TopologyFeature f, ReadOnlySpan<int> refs)
    {
        var has = Has.None;
        has |= f.Parent is not null ? Has.Parent : 0;
        has |= f.Name is not null ? Has.Name : 0;
        has |= f.Critical is not null ? Has.Critical : 0;
        has |= f.Critical == true ? Has.CriticalTrue : 0;
        has |= f.Address is not null ? Has.Address : 0;
        has |= f.Kva is not null ? Has.Kva : 0;
        has |= f.Phase is not null ? Has.Phase : 0;
        has |= f.Feeder is not null ? Has.Feeder : 0;
        w.Write((byte)f.Kind);
        w.Write((byte)has);
        w.Write((byte)f.DeviceType);
        if (refs[0] >= 0)
        {
            w.Write7BitEncodedInt(refs[0]);
        }

        WriteIf(w, f.Name);
        WriteIf(w, f.Address);
        if (f.Kva is { } kva)
        {
            w.Write(kva);
        }

        if (refs[1] >= 0)
        {
            w.Write7BitEncodedInt(refs[1]);
        }

        if (refs[2] >= 0)
        {
            w.Write7BitEncodedInt(refs[2]);
        }

        if (f.Kind == ElementKind.Meter)
        {
            Span<byte> guid = stackalloc byte[16];
            f.Guid.TryWriteBytes(guid);
            w.Write(guid);
            w.Write(f.SystemTitle);
        }

        if (f.TryGetPoint(out double x, out double y))
        {
            w.Write((byte)0);
            w.Write(x);
            w.Write(y);
        }
        else if (f.LineCoordinates is var xy && (!xy.IsEmpty || f.Geometry is LineString))
        {
            // Coordinates read straight from the feature: f.Geometry would make (and copy) a LineString per line.
            w.Write((byte)1);
            w.Write(xy.Length / 2);
            foreach (double v in xy)
            {
                w.Write(v);
            }
        }
        else
        {
            throw new ArgumentException($"feature '{f.Id}': a {f.Geometry?.GeometryType ?? "missing geometry"} has no place in a network snapshot", nameof(f));
        }
    }

    private static void WriteIf(BinaryWriter w, string? value)
    {
        if (value is not null)
        {
            w.Write(value);
        }
    }

    private static TopologyFeature[] ReadPayload(ReadOnlyMemory<byte> payload)
    {
        var r = new SpanReader(payload.Span);
        int count = r.Int32();
        int partSize = r.Int32();
        if (count < 0 || count > payload.Length / 8 || partSize < 1)
        {
            throw new FormatException($"feature count {count} in parts of {partSize} does not fit in {payload.Length} bytes");
        }

        int parts = (count + partSize - 1) / partSize;
        var ids = new string[count];
        var idParts = Parts(payload, ref r, parts);
        var table = new string[ReadTableCount(ref r, payload.Length)];
        for (int t = 0; t < table.Length; t++)
        {
            table[t] = r.String();
        }

        var featureParts = Parts(payload, ref r, parts);
        if (r.Remaining != 0)
        {
            throw new FormatException($"{r.Remaining} bytes after the last feature");
        }

        var features = new TopologyFeature[count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
        Parallel.For(0, parts, options, p =>
        {
            var pr = new SpanReader(payload.Span[idParts[p].Start..idParts[p].End]);
            for (int k = p * partSize; k < Math.Min(count, (p + 1) * partSize); k++)
            {
                ids[k] = pr.String();
            }

            pr.EndOfPart(p);
        });
        Parallel.For(0, parts, options, p =>
        {
            var pr = new SpanReader(payload.Span[featureParts[p].Start..featureParts[p].End]);
            for (int k = p * partSize; k < Math.Min(count, (p + 1) * partSize); k++)
            {
                features[k] = ReadFeature(ref pr, k, ids, table);
            }

            pr.EndOfPart(p);
        });
        return features;
    }

    private static int ReadTableCount(ref SpanReader r, int payloadLength)
    {
        int n = r.Int32();
        return n < 0 || n > payloadLength ? throw new FormatException($"string table of {n}") : n;
    }

    /// <summary>The [start, end) of each part of a section whose offsets <paramref name="r"/> is at; leaves it after the section.</summary>
    private static (int Start, int End)[] Parts(ReadOnlyMemory<byte> payload, ref SpanReader r, int parts)
    {
        var offsets = new int[parts + 1];
        for (int p = 0; p <= parts; p++)
        {
            offsets[p] = r.Int32();
        }

        int dataAt = r.Position;
        var result = new (int Start, int End)[parts];
        for (int p = 0; p < parts; p++)
        {
            if (offsets[p] < 0 || offsets[p + 1] < offsets[p] || offsets[p + 1] > payload.Length - dataAt)
            {
                throw new FormatException($"part {p} at {offsets[p]}..{offsets[p + 1]} is out of order or outside the snapshot");
            }

            result[p] = (dataAt + offsets[p], dataAt + offsets[p + 1]);
        }

        if (offsets[parts] < 0 || offsets[parts] > payload.Length - dataAt)
        {
            throw new FormatException($"section of {offsets[parts]} bytes does not fit in the snapshot");
        }

        r.Seek(dataAt + offsets[parts]);
        return result;
    }

    private static TopologyFeature ReadFeature(ref SpanReader r, int k, string[] ids, string[] table)
    {
        var kind = (ElementKind)r.Byte();
        var has = (Has)r.Byte();
        var deviceType = (DeviceType)r.Byte();
        if (kind > ElementKind.Line)
        {
            throw new FormatException($"feature {k}: kind {(byte)kind}");
        }

        string? parent = has.HasFlag(Has.Parent) ? Ref(ref r, ids, table) : null;
        string? name = has.HasFlag(Has.Name) ? r.String() : null;
        string? address = has.HasFlag(Has.Address) ? r.String() : null;
        double? kva = has.HasFlag(Has.Kva) ? r.Double() : null;
        string? phase = has.HasFlag(Has.Phase) ? Ref(ref r, ids, table) : null;
        string? feeder = has.HasFlag(Has.Feeder) ? Ref(ref r, ids, table) : null;
        Guid g = Guid.Empty;
        ulong systemTitle = 0;
        if (kind == ElementKind.Meter)
        {
            g = new Guid(r.Bytes(16));
            systemTitle = r.UInt64();
        }

        byte shape = r.Byte();
        double x = 0, y = 0;
        LineCoordinates2D? line = null;
        if (shape == 0)
        {
            x = r.Double();
            y = r.Double();
        }
        else if (shape == 1)
        {
            int n = r.Int32();
            if (n < 0 || n > r.Remaining / 16)
            {
                throw new FormatException($"feature {k}: {n} points");
            }

            var xy = new double[2 * n];
            r.Bytes(16 * n).CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(xy.AsSpan()));
            if (!BitConverter.IsLittleEndian)
            {
                for (int i = 0; i < xy.Length; i++)
                {
                    xy[i] = BitConverter.Int64BitsToDouble(BinaryPrimitives.ReverseEndianness(BitConverter.DoubleToInt64Bits(xy[i])));
                }
            }

            line = new LineCoordinates2D(xy);
        }
        else
        {
            throw new FormatException($"feature {k}: geometry type {shape}");
        }

        return new TopologyFeature
        {
            Kind = kind,
            Id = ids[k],
            Geometry = null!,
            Shape = (x, y, line),
            Parent = parent,
            Name = name,
            Guid = g,
            SystemTitle = systemTitle,
            Critical = has.HasFlag(Has.Critical) ? has.HasFlag(Has.CriticalTrue) : null,
            Address = address,
            DeviceType = deviceType,
            Kva = kva,
            Phase = phase,
            Feeder = feeder,
        };
    }

    private static string Ref(ref SpanReader r, string[] ids, string[] table)
    {
        int v = r.Varint();
        return v < ids.Length ? ids[v] : (v - ids.Length < table.Length ? table[v - ids.Length] : throw new FormatException($"reference {v} to no string"));
    }

    /// <summary>Reads what <see cref="BinaryWriter"/> wrote (little-endian, 7-bit length-prefixed UTF-8), from a span: no copy of the payload.</summary>
    private ref struct SpanReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at;

        public readonly int Remaining => _data.Length - _at;

        public readonly int Position => _at;

        public void Seek(int position) => _at = position >= 0 && position <= _data.Length ? position : throw new EndOfStreamException($"position {position} outside {_data.Length} bytes");

        /// <summary>A part must be read to its last byte: anything else means the offsets or the data are wrong.</summary>
        public readonly void EndOfPart(int part)
        {
            if (Remaining != 0)
            {
                throw new FormatException($"part {part}: {Remaining} bytes left after its last feature");
            }
        }

        public ReadOnlySpan<byte> Bytes(int n)
        {
            if (n < 0 || n > Remaining)
            {
                throw new EndOfStreamException($"{n} bytes wanted at {_at}, {Remaining} left");
            }

            var s = _data.Slice(_at, n);
            _at += n;
            return s;
        }

        public byte Byte() => Bytes(1)[0];

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4));

        public ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8));

        public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Bytes(8));

        public int Varint()
        {
            uint result = 0;
            for (int shift = 0; shift < 35; shift += 7)
            {
                byte b = Byte();
                result |= (uint)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return (int)result;
                }
            }

            throw new FormatException("7-bit encoded int longer than 5 bytes");
        }

        public string String()
        {
            int length = Varint();
            return length < 0 ? throw new FormatException($"string of length {length}") : Encoding.UTF8.GetString(Bytes(length));
        }
    }
}
