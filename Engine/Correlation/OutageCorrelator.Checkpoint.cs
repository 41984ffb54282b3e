using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols.Dlms;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Correlation;

/// <summary>The engine's whole state as bytes, and back: a start loads it and replays only what came after.</summary>
/// <remarks>
/// <para>Everything the engine holds is written, nothing is recomputed on load: per-element counts (remaps change
/// them), per-meter states, windows pending decision, virtual (unknown) meters, remaps in their dictionary order (it
/// decides the order meters are collected in, hence reporting-meter order), muted meters with their ends, test results, the seen event keys, every
/// queued deadline (stale ones too: a Qualify deadline can come alive again when an earlier last gasp joins), every
/// outage with its history, and the changes not yet drained. So <c>Restore(Write(engine))</c> goes on exactly as
/// <c>engine</c> would: the same outages with the same ids (OutageCorrelatorCheckpointTests proves it on ckt24 storms).</para>
/// <para>The bytes are canonical: two engines in the same state write the same bytes (dictionaries whose order decides
/// nothing are written sorted, deadlines in the order they run), so tests compare checkpoints byte for byte.</para>
/// <para>Format: little-endian binary, <see cref="CheckpointVersion"/>, then the topology fingerprint and the decision
/// options, so a checkpoint of another network or other rules is refused rather than misread; a CRC-32 ends it.</para>
/// </remarks>
public sealed partial class OutageCorrelator
{
    /// <summary>Bumped whenever the layout or the meaning of a field changes: an older checkpoint is then refused.</summary>
    public const int CheckpointVersion = 2; // 2: muted meters

    private const uint CheckpointMagic = 0x504B434F; // "OCKP"

    private byte[]? _fingerprint; // of _topology, which never changes: hashed once, not at every checkpoint

    private byte[] TopologyFingerprint => _fingerprint ??= Fingerprint(_topology);

    /// <summary>Writes the engine's whole state. Call on the engine's own thread, like every other member.</summary>
    public byte[] WriteCheckpoint()
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(CheckpointMagic);
            w.Write(CheckpointVersion);
            w.Write(TopologyFingerprint);
            WriteOptions(w);
            w.Write(_n);
            w.Write(_state.Length);
            w.Write(_now);

            WriteInts(w, _customers);
            WriteInts(w, _critical);
            WriteInts(w, _meteredTx);
            WriteInts(w, _downAt);
            WriteInts(w, _affectedTx);
            WriteInts(w, _txListedIn);
            WriteInts(w, _outageAt);
            WriteLongs(w, _windowDeadline);
            w.Write(MemoryMarshal.AsBytes(_state.AsSpan()));
            WriteInts(w, _meterOutage);
            WriteInts(w, _listedIn);
            WriteInts(w, _txOf);
            WriteLongs(w, _gaspTicks);
            w.Write(MemoryMarshal.AsBytes(_lastCode.AsSpan()));
            WriteLongs(w, _lastEventTicks);

            w.Write(_virtualGuids.Count);
            foreach (var g in _virtualGuids)
            {
                w.Write(g.ToByteArray());
            }

            w.Write(_overrides.Count);
            foreach (var (meter, tx) in _overrides.OrderBy(kv => kv.Key)) // canonical: its order decides nothing
            {
                w.Write(meter);
                w.Write(tx);
            }

            w.Write(_mutes.Count);
            foreach (var (meter, mute) in _mutes.OrderBy(kv => kv.Key)) // canonical: its order decides nothing
            {
                w.Write(meter);
                w.Write(mute.At.UtcTicks);
                w.Write(mute.Until.UtcTicks);
                w.Write(mute.Actor);
                w.Write(mute.Reason);
            }

            w.Write(_movedInto.Count);
            foreach (var (tx, meters) in _movedInto)
            {
                w.Write(tx);
                w.Write(meters.Count);
                foreach (int m in meters)
                {
                    w.Write(m);
                }
            }

            w.Write(_tests.Count);
            foreach (var (meter, times) in _tests)
            {
                w.Write(meter);
                w.Write(times.Count);
                foreach (long t in times)
                {
                    w.Write(t);
                }
            }

            var seen = _seen.Export().OrderBy(m => m.Meter).ToList(); // canonical: a concurrent dictionary's order is its own
            w.Write(seen.Count);
            foreach (var (meter, ranges) in seen)
            {
                w.Write(meter.ToByteArray());
                w.Write(ranges.Count);
                foreach (var (first, last) in ranges)
                {
                    w.Write(first);
                    w.Write(last);
                }
            }

            var deadlines = _deadlines.UnorderedItems.Select(x => x.Element).ToList();
            deadlines.Sort(DeadlineComparer.Instance); // canonical: the order they run in, not the heap's layout
            w.Write(deadlines.Count);
            foreach (var d in deadlines)
            {
                w.Write(d.Ticks);
                w.Write((byte)d.Kind);
                w.Write(d.Target);
            }

            w.Write(_outages.Count);
            foreach (var o in _outages)
            {
                WriteOutage(w, o);
            }

            w.Write(_dirty.Count);
            foreach (int i in _dirty)
            {
                w.Write(i);
            }
        }

        uint crc = Crc32.Compute(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        buffer.Write(BitConverter.GetBytes(crc));
        return buffer.ToArray();
    }

    /// <summary>
    /// An engine in the state <paramref name="checkpoint"/> holds, on <paramref name="topology"/> with
    /// <paramref name="options"/>. Throws <see cref="InvalidDataException"/> saying why when the bytes are damaged, of
    /// another <see cref="CheckpointVersion"/>, or were written for another network or other decision options.
    /// </summary>
    public static OutageCorrelator RestoreCheckpoint(NetworkTopology topology, CorrelationOptions options, ReadOnlySpan<byte> checkpoint)
    {
        ArgumentNullException.ThrowIfNull(topology);
        if (checkpoint.Length < 12)
        {
            throw new InvalidDataException($"a correlation checkpoint of {checkpoint.Length} bytes is cut short");
        }

        uint crc = BitConverter.ToUInt32(checkpoint[^4..]);
        if (crc != Crc32.Compute(checkpoint[..^4]))
        {
            throw new InvalidDataException("the correlation checkpoint is damaged (CRC mismatch)");
        }

        var engine = new OutageCorrelator(topology, options);
        using var stream = new MemoryStream(checkpoint[..^4].ToArray(), writable: false);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            engine.Read(r);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("the correlation checkpoint is cut short", ex);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new InvalidDataException("the correlation checkpoint holds a value out of range", ex);
        }

        if (stream.Position != stream.Length)
        {
            throw new InvalidDataException($"the correlation checkpoint has {stream.Length - stream.Position} bytes too many");
        }

        return engine;
    }

    /// <summary>True when the engine has taken this event (correlated, recorded as a test, or ignored as a duplicate of one).</summary>
    public bool HasSeen(EventKey key) => _seen.Contains(key);

    /// <summary>A copy of every event key the engine has taken (what a checkpoint of it covers).</summary>
    public SeenEventKeys SeenKeys() => _seen.Clone();

    /// <summary>
    /// True when <see cref="Process"/> takes part of the event into account (its key among <see cref="SeenKeys"/> once taken);
    /// false for events it ignores whatever its state (other codes, time-sync flagged).
    /// </summary>
    public static bool TakesPart(RecordedEvent recorded)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        return !recorded.Flags.HasFlag(EventFlags.TimeSync)
            && recorded.Event.EventCode is MeterEventCode.PowerDown or MeterEventCode.PowerUp or MeterEventCode.TestPowerDown;
    }

    /// <summary>
    /// What identifies the network for a checkpoint: every element's id, kind, parent, criticality and GUID, in element
    /// order (SHA-256). Another import of the same file gives the same value; any change to the network another.
    /// </summary>
    public static byte[] Fingerprint(NetworkTopology topology)
    {
        ArgumentNullException.ThrowIfNull(topology);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        // The same bytes as appending each id and fixed part on its own, given to the hash 64 KiB at a time: two calls into
        // the crypto library per element cost about a second at each start of a million-meter network.
        var buffer = new byte[64 * 1024];
        int used = 0;
        for (int e = 0; e < topology.ElementCount; e++)
        {
            var f = topology[e];
            int needed = Encoding.UTF8.GetMaxByteCount(f.Id.Length) + 26;
            if (used + needed > buffer.Length)
            {
                hash.AppendData(buffer, 0, used);
                used = 0;
                if (needed > buffer.Length)
                {
                    buffer = new byte[needed];
                }
            }

            used += Encoding.UTF8.GetBytes(f.Id, buffer.AsSpan(used));
            var fixedPart = buffer.AsSpan(used, 26);
            BitConverter.TryWriteBytes(fixedPart, (int)f.Kind);
            BitConverter.TryWriteBytes(fixedPart[4..], topology.ParentOf(e));
            fixedPart[8] = f.IsCritical ? (byte)1 : (byte)0;
            fixedPart[9] = 0xFF; // separates the variable-length id of the next element
            f.Guid.TryWriteBytes(fixedPart[10..]);
            used += 26;
        }

        hash.AppendData(buffer, 0, used);
        return hash.GetHashAndReset();
    }

    private void WriteOptions(BinaryWriter w)
    {
        w.Write(_windowTicks);
        w.Write(_qualifyTicks);
        w.Write(_nestedTicks);
        w.Write(_rollupFraction);
    }

    private void Read(BinaryReader r)
    {
        if (r.ReadUInt32() != CheckpointMagic)
        {
            throw new InvalidDataException("not a correlation checkpoint");
        }

        int version = r.ReadInt32();
        if (version != CheckpointVersion)
        {
            throw new InvalidDataException($"correlation checkpoint version {version}, this engine reads version {CheckpointVersion}");
        }

        if (!r.ReadBytes(32).AsSpan().SequenceEqual(TopologyFingerprint))
        {
            throw new InvalidDataException("the correlation checkpoint was taken on another network (topology fingerprint differs)");
        }

        if (r.ReadInt64() != _windowTicks || r.ReadInt64() != _qualifyTicks || r.ReadInt64() != _nestedTicks || r.ReadDouble() != _rollupFraction)
        {
            throw new InvalidDataException("the correlation checkpoint was taken with other Correlation options (WindowMs, QualifyMs, NestedMs or RollupFraction)");
        }

        if (r.ReadInt32() != _n)
        {
            throw new InvalidDataException("the correlation checkpoint's element count differs from the network's");
        }

        int length = r.ReadInt32();
        if (length < _n || length > _n + (1 << 26))
        {
            throw new InvalidDataException($"the correlation checkpoint's meter table of {length} is implausible");
        }

        _now = r.ReadInt64();
        ReadInts(r, _customers);
        ReadInts(r, _critical);
        ReadInts(r, _meteredTx);
        ReadInts(r, _downAt);
        ReadInts(r, _affectedTx);
        ReadInts(r, _txListedIn);
        _outageAt = ReadInts(r, new int[length]);
        _windowDeadline = ReadLongs(r, new long[length]);
        _state = new MeterState[length];
        ReadExactly(r, MemoryMarshal.AsBytes(_state.AsSpan()));
        _meterOutage = ReadInts(r, new int[length]);
        _listedIn = ReadInts(r, new int[length]);
        _txOf = ReadInts(r, new int[length]);
        _gaspTicks = ReadLongs(r, new long[length]);
        _lastCode = new MeterEventCode[length];
        ReadExactly(r, MemoryMarshal.AsBytes(_lastCode.AsSpan()));
        _lastEventTicks = ReadLongs(r, new long[length]);

        int virtuals = Count(r, length - _n);
        Span<byte> guid = stackalloc byte[16];
        for (int i = 0; i < virtuals; i++)
        {
            ReadExactly(r, guid);
            var g = new Guid(guid);
            _virtualByGuid[g] = _n + _virtualGuids.Count;
            _virtualGuids.Add(g);
        }

        int meters = _n + virtuals;
        int overrides = Count(r, meters);
        for (int i = 0; i < overrides; i++)
        {
            _overrides[Index(r, meters)] = Index(r, _n);
        }

        int muted = Count(r, meters);
        for (int i = 0; i < muted; i++)
        {
            int m = Index(r, meters);
            long at = r.ReadInt64();
            long until = r.ReadInt64();
            string actor = r.ReadString();
            _mutes[m] = new MeterMute(At(at), At(until), actor, r.ReadString());
        }

        int moved = Count(r, _n);
        for (int i = 0; i < moved; i++)
        {
            int tx = Index(r, _n);
            int count = Count(r, meters);
            var list = new List<int>(count);
            for (int j = 0; j < count; j++)
            {
                list.Add(Index(r, meters));
            }

            _movedInto[tx] = list;
        }

        int tested = Count(r, meters);
        for (int i = 0; i < tested; i++)
        {
            int m = Index(r, meters);
            int count = Count(r, int.MaxValue);
            var list = new List<long>(Math.Min(count, 1024));
            for (int j = 0; j < count; j++)
            {
                list.Add(r.ReadInt64());
            }

            _tests[m] = list;
        }

        int seen = Count(r, int.MaxValue);
        for (int i = 0; i < seen; i++)
        {
            ReadExactly(r, guid);
            var g = new Guid(guid);
            int count = Count(r, int.MaxValue);
            var ranges = new List<(ulong First, ulong Last)>(Math.Min(count, 1024));
            for (int j = 0; j < count; j++)
            {
                ranges.Add((r.ReadUInt64(), r.ReadUInt64()));
            }

            _seen.Import(g, ranges);
        }

        int deadlines = Count(r, int.MaxValue);
        var queued = new List<(long Ticks, DeadlineKind Kind, int Target)>(Math.Min(deadlines, 1 << 16));
        for (int i = 0; i < deadlines; i++)
        {
            queued.Add((r.ReadInt64(), (DeadlineKind)r.ReadByte(), r.ReadInt32()));
        }

        int outages = Count(r, int.MaxValue);
        for (int i = 0; i < outages; i++)
        {
            _outages.Add(ReadOutage(r, i, meters));
        }

        foreach (var (ticks, kind, target) in queued)
        {
            bool valid = kind switch
            {
                DeadlineKind.WindowEnd => (uint)target < (uint)meters,
                DeadlineKind.Qualify or DeadlineKind.RestorationGrace => (uint)target < (uint)outages,
                _ => false,
            };
            if (!valid)
            {
                throw new InvalidDataException($"the correlation checkpoint holds a {kind} deadline for {target}, which does not exist");
            }

            Schedule(ticks, kind, target);
        }

        int dirty = Count(r, outages);
        for (int i = 0; i < dirty; i++)
        {
            _dirty.Add(Index(r, outages));
        }
    }

    private static void WriteOutage(BinaryWriter w, OutageRecord o)
    {
        w.Write((byte)o.Level);
        w.Write(o.Element);
        w.Write((byte)o.State);
        w.Write(o.Customers);
        w.Write(o.Critical);
        w.Write(o.StartedTicks);
        w.Write(o.FirstReportTicks);
        w.Write(o.LastReportTicks);
        w.Write(o.ConfirmedTicks);
        w.Write(o.RestoredTicks);
        w.Write(o.RestorationStartTicks);
        w.Write(o.LastPowerUpTicks);
        w.Write(o.ParentIndex);
        w.Write(o.NestedCustomers);
        w.Write(o.Down);
        w.Write(o.ReportingTransformers);
        w.Write(o.MergedInto);
        w.Write((int)o.PendingChanges);
        WriteString(w, o.Explanation);
        w.Write(o.MeterCount);
        WriteInts(w, o.MeterBuffer.AsSpan(0, o.MeterCount));
        w.Write(o.History.Count);
        foreach (var h in o.History)
        {
            w.Write(h.From is { } from ? (byte)from : byte.MaxValue);
            w.Write((byte)h.State);
            WriteTime(w, h.At);
            w.Write(h.Actor);
            WriteString(w, h.Note);
        }

        w.Write(o.Steps.Count);
        foreach (var s in o.Steps)
        {
            WriteTime(w, s.At);
            w.Write(s.CustomersRestored);
        }
    }

    private static OutageRecord ReadOutage(BinaryReader r, int index, int meters)
    {
        var o = new OutageRecord(index, "O-" + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            Level = Enum<OutageLevel>(r.ReadByte()),
            Element = Index(r, meters),
            State = Enum<OutageState>(r.ReadByte()),
            Customers = r.ReadInt32(),
            Critical = r.ReadInt32(),
            StartedTicks = r.ReadInt64(),
            FirstReportTicks = r.ReadInt64(),
            LastReportTicks = r.ReadInt64(),
            ConfirmedTicks = r.ReadInt64(),
            RestoredTicks = r.ReadInt64(),
            RestorationStartTicks = r.ReadInt64(),
            LastPowerUpTicks = r.ReadInt64(),
            ParentIndex = r.ReadInt32(),
            NestedCustomers = r.ReadInt32(),
            Down = r.ReadInt32(),
            ReportingTransformers = r.ReadInt32(),
            MergedInto = r.ReadInt32(),
            PendingChanges = (OutageChangeKinds)r.ReadInt32(),
            Explanation = ReadString(r),
        };
        int count = Count(r, int.MaxValue);
        var buffer = new int[Math.Max(4, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(count, 1)))];
        ReadInts(r, buffer.AsSpan(0, count));
        o.MeterBuffer = buffer;
        o.MeterCount = count;
        int history = Count(r, int.MaxValue);
        for (int i = 0; i < history; i++)
        {
            byte from = r.ReadByte();
            var state = Enum<OutageState>(r.ReadByte());
            o.History.Add(new OutageTransition(from == byte.MaxValue ? null : Enum<OutageState>(from), state, ReadTime(r), r.ReadString(), ReadString(r)));
        }

        int steps = Count(r, int.MaxValue);
        for (int i = 0; i < steps; i++)
        {
            o.Steps.Add(new RestorationStep(ReadTime(r), r.ReadInt32()));
        }

        return o;
    }

    private static T Enum<T>(byte value)
        where T : struct, Enum =>
        System.Enum.IsDefined(typeof(T), (int)value) ? (T)(object)(int)value : throw new InvalidDataException($"{value} is no {typeof(T).Name}");

    private static void WriteTime(BinaryWriter w, DateTimeOffset at)
    {
        w.Write(at.UtcTicks);
        w.Write((short)at.Offset.TotalMinutes);
    }

    private static DateTimeOffset ReadTime(BinaryReader r)
    {
        long utc = r.ReadInt64();
        var offset = TimeSpan.FromMinutes(r.ReadInt16());
        return new DateTimeOffset(utc + offset.Ticks, offset);
    }

    private static void WriteString(BinaryWriter w, string? s)
    {
        w.Write(s is not null);
        if (s is not null)
        {
            w.Write(s);
        }
    }

    private static string? ReadString(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    private static void WriteInts(BinaryWriter w, ReadOnlySpan<int> values) => w.Write(MemoryMarshal.AsBytes(values));

    private static void WriteLongs(BinaryWriter w, ReadOnlySpan<long> values) => w.Write(MemoryMarshal.AsBytes(values));

    private static int[] ReadInts(BinaryReader r, int[] into)
    {
        ReadInts(r, into.AsSpan());
        return into;
    }

    private static void ReadInts(BinaryReader r, Span<int> into) => ReadExactly(r, MemoryMarshal.AsBytes(into));

    private static long[] ReadLongs(BinaryReader r, long[] into)
    {
        ReadExactly(r, MemoryMarshal.AsBytes(into.AsSpan()));
        return into;
    }

    private static void ReadExactly(BinaryReader r, Span<byte> into)
    {
        if (r.Read(into) != into.Length)
        {
            throw new EndOfStreamException();
        }
    }

    /// <summary>A count of at most <paramref name="max"/>.</summary>
    private static int Count(BinaryReader r, int max)
    {
        int n = r.ReadInt32();
        return n >= 0 && n <= max ? n : throw new InvalidDataException($"the correlation checkpoint holds a count of {n} (at most {max})");
    }

    /// <summary>An element or meter index below <paramref name="bound"/>, or -1.</summary>
    private static int Index(BinaryReader r, int bound)
    {
        int i = r.ReadInt32();
        return i >= -1 && i < bound ? i : throw new InvalidDataException($"the correlation checkpoint holds index {i} (below {bound} expected)");
    }
}
