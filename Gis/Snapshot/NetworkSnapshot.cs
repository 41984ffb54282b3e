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
    public const int Version = 1;

    public const int HeaderBytes = 52;

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
        using var ms = new MemoryStream(capacity: 64 + (features.Count * 96));
        ms.Write(new byte[HeaderBytes]);
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(features.Count);
            foreach (var f in features)
            {
                WriteFeature(w, f);
            }
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
    public static TopologyFeature[] Read(ReadOnlySpan<byte> snapshot)
    {
        if (snapshot.Length < HeaderBytes || !snapshot[..8].SequenceEqual(Magic))
        {
            throw new InvalidDataException($"not a network snapshot ({snapshot.Length} bytes, no {Encoding.ASCII.GetString(Magic)} header)");
        }

        int version = BinaryPrimitives.ReadInt32LittleEndian(snapshot[8..]);
        if (version != Version)
        {
            throw new InvalidDataException($"network snapshot format {version}, this server reads format {Version}");
        }

        long length = BinaryPrimitives.ReadInt64LittleEndian(snapshot[12..]);
        if (length != snapshot.Length - HeaderBytes)
        {
            throw new InvalidDataException($"network snapshot truncated or padded: header says {length} bytes of payload, {snapshot.Length - HeaderBytes} present");
        }

        var payload = snapshot[HeaderBytes..];
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(payload, hash);
        if (!hash.SequenceEqual(snapshot.Slice(20, 32)))
        {
            throw new InvalidDataException("network snapshot damaged: SHA-256 of the payload does not match its header");
        }

        try
        {
            return ReadPayload(payload.ToArray());
        }
        catch (Exception ex) when (ex is EndOfStreamException or ArgumentException or FormatException or OverflowException)
        {
            throw new InvalidDataException("network snapshot unreadable although its checksum matches: " + ex.Message, ex);
        }
    }

    /// <summary>Reads a snapshot and builds the lean network from it.</summary>
    public static NetworkTopology ReadNetwork(ReadOnlySpan<byte> snapshot) => NetworkTopology.Build(Read(snapshot), keepExtraProperties: false);

    private static void WriteFeature(BinaryWriter w, TopologyFeature f)
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
        w.Write(f.Id);
        WriteIf(w, f.Parent);
        WriteIf(w, f.Name);
        WriteIf(w, f.Address);
        if (f.Kva is { } kva)
        {
            w.Write(kva);
        }

        WriteIf(w, f.Phase);
        WriteIf(w, f.Feeder);
        if (f.Kind == ElementKind.Meter)
        {
            Span<byte> guid = stackalloc byte[16];
            f.Guid.TryWriteBytes(guid);
            w.Write(guid);
            w.Write(f.SystemTitle);
        }

        if (f.Geometry is Point p)
        {
            w.Write((byte)0);
            w.Write(p.X);
            w.Write(p.Y);
        }
        else if (f.Geometry is LineString line)
        {
            var seq = line.CoordinateSequence;
            w.Write((byte)1);
            w.Write(seq.Count);
            for (int i = 0; i < seq.Count; i++)
            {
                w.Write(seq.GetX(i));
                w.Write(seq.GetY(i));
            }
        }
        else
        {
            throw new ArgumentException($"feature '{f.Id}': a {f.Geometry.GeometryType} has no place in a network snapshot", nameof(f));
        }
    }

    private static void WriteIf(BinaryWriter w, string? value)
    {
        if (value is not null)
        {
            w.Write(value);
        }
    }

    private static TopologyFeature[] ReadPayload(byte[] payload)
    {
        using var r = new BinaryReader(new MemoryStream(payload, writable: false), Encoding.UTF8);
        int count = r.ReadInt32();
        if (count < 0 || count > payload.Length / 8)
        {
            throw new FormatException($"feature count {count} does not fit in {payload.Length} bytes");
        }

        var factory = TopologyGeoJsonReader.Factory;
        var features = new TopologyFeature[count];
        Span<byte> guid = stackalloc byte[16];
        for (int k = 0; k < count; k++)
        {
            var kind = (ElementKind)r.ReadByte();
            var has = (Has)r.ReadByte();
            var deviceType = (DeviceType)r.ReadByte();
            if (kind > ElementKind.Line)
            {
                throw new FormatException($"feature {k}: kind {(byte)kind}");
            }

            string id = r.ReadString();
            string? parent = has.HasFlag(Has.Parent) ? r.ReadString() : null;
            string? name = has.HasFlag(Has.Name) ? r.ReadString() : null;
            string? address = has.HasFlag(Has.Address) ? r.ReadString() : null;
            double? kva = has.HasFlag(Has.Kva) ? r.ReadDouble() : null;
            string? phase = has.HasFlag(Has.Phase) ? r.ReadString() : null;
            string? feeder = has.HasFlag(Has.Feeder) ? r.ReadString() : null;
            Guid g = Guid.Empty;
            ulong systemTitle = 0;
            if (kind == ElementKind.Meter)
            {
                r.BaseStream.ReadExactly(guid);
                g = new Guid(guid);
                systemTitle = r.ReadUInt64();
            }

            Geometry geometry;
            byte shape = r.ReadByte();
            if (shape == 0)
            {
                geometry = factory.CreatePoint(new Coordinate(r.ReadDouble(), r.ReadDouble()));
            }
            else if (shape == 1)
            {
                int n = r.ReadInt32();
                if (n < 0 || n > (payload.Length - r.BaseStream.Position) / 16)
                {
                    throw new FormatException($"feature {k}: {n} points");
                }

                var seq = factory.CoordinateSequenceFactory.Create(n, 2, 0);
                for (int i = 0; i < n; i++)
                {
                    seq.SetX(i, r.ReadDouble());
                    seq.SetY(i, r.ReadDouble());
                }

                geometry = factory.CreateLineString(seq);
            }
            else
            {
                throw new FormatException($"feature {k}: geometry type {shape}");
            }

            features[k] = new TopologyFeature
            {
                Kind = kind,
                Id = id,
                Parent = parent,
                Geometry = geometry,
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

        if (r.BaseStream.Position != payload.Length)
        {
            throw new FormatException($"{payload.Length - r.BaseStream.Position} bytes after the last feature");
        }

        return features;
    }
}
