using System.Buffers.Binary;
using System.Text;
using OpsConsole.Engine.Domain;

namespace OpsConsole.Engine.Storage.Events;

/// <summary>
/// The journal payload of one <see cref="RecordedEvent"/>, little-endian, version 1:
/// <code>
/// 01                     format version
/// 16 bytes               meter GUID, RFC 4122 network order
/// 1                      event code
/// 4                      event id
/// 2                      epoch
/// 1 + 8                  send time present (0/1), send time UTC ticks (0 when absent)
/// 8                      event time UTC ticks
/// 2                      capacitor mV
/// 1                      RSSI dBm (signed)
/// 4                      long-invoke-id-and-priority
/// 8                      system title
/// 4                      invocation counter
/// 8                      received-at UTC ticks
/// 1                      flags
/// 2 + n                  source, UTF-8
/// 2 + n                  topology id, UTF-8; length 0xFFFF = null
/// </code>
/// Pure: no I/O. A payload that does not decode is a typed failure, never an exception.
/// </summary>
public static class RecordedEventCodec
{
    public const byte Version = 1;

    /// <summary>Largest UTF-8 length of <see cref="RecordedEvent.Source"/> or <see cref="RecordedEvent.TopologyId"/>.</summary>
    public const int MaxStringBytes = 1024;

    /// <summary>Bytes of a payload whose two strings are empty.</summary>
    public const int FixedSize = 73;

    public const int MaxSize = FixedSize + (2 * MaxStringBytes);

    private const ushort NullString = 0xFFFF;

    /// <summary>The payload size of <paramref name="value"/>; throws when a string is too long to record.</summary>
    public static int GetSize(RecordedEvent value)
    {
        ArgumentNullException.ThrowIfNull(value.Source, nameof(RecordedEvent.Source));
        return FixedSize + StringSize(value.Source, nameof(RecordedEvent.Source)) + StringSize(value.TopologyId, nameof(RecordedEvent.TopologyId));
    }

    /// <summary>Writes the payload; returns the bytes written. <paramref name="destination"/> must hold <see cref="GetSize"/> bytes.</summary>
    public static int Write(RecordedEvent value, Span<byte> destination)
    {
        int size = GetSize(value);
        if (destination.Length < size)
        {
            throw new ArgumentException($"needs {size} bytes", nameof(destination));
        }

        var e = value.Event;
        destination[0] = Version;
        e.MeterId.TryWriteBytes(destination[1..], bigEndian: true, out _);
        destination[17] = (byte)e.EventCode;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[18..], e.EventId);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[22..], e.Epoch);
        destination[24] = e.SendTime.HasValue ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64LittleEndian(destination[25..], e.SendTime?.UtcTicks ?? 0);
        BinaryPrimitives.WriteInt64LittleEndian(destination[33..], e.EventTime.UtcTicks);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[41..], e.CapacitorMillivolts);
        destination[43] = unchecked((byte)e.RssiDbm);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[44..], e.InvokeIdAndPriority);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[48..], value.SystemTitle);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[56..], value.InvocationCounter);
        BinaryPrimitives.WriteInt64LittleEndian(destination[60..], value.ReceivedAt.UtcTicks);
        destination[68] = (byte)value.Flags;
        int at = 69;
        at += WriteString(value.Source, destination[at..]);
        at += WriteString(value.TopologyId, destination[at..]);
        return at;
    }

    /// <summary>Decodes a payload that fills <paramref name="payload"/> exactly.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out RecordedEvent? value)
    {
        value = null;
        if (payload.Length < FixedSize || payload[0] != Version || payload[24] > 1)
        {
            return false;
        }

        long sendTicks = BinaryPrimitives.ReadInt64LittleEndian(payload[25..]);
        long eventTicks = BinaryPrimitives.ReadInt64LittleEndian(payload[33..]);
        long receivedTicks = BinaryPrimitives.ReadInt64LittleEndian(payload[60..]);
        if (!IsTicks(sendTicks) || !IsTicks(eventTicks) || !IsTicks(receivedTicks))
        {
            return false;
        }

        int at = 69;
        if (!TryReadString(payload, ref at, out string? source) || source is null
            || !TryReadString(payload, ref at, out string? topologyId)
            || at != payload.Length)
        {
            return false;
        }

        var meterEvent = new MeterEvent(
            new Guid(payload.Slice(1, 16), bigEndian: true),
            (MeterEventCode)payload[17],
            BinaryPrimitives.ReadUInt32LittleEndian(payload[18..]),
            BinaryPrimitives.ReadUInt16LittleEndian(payload[22..]),
            payload[24] == 1 ? new DateTimeOffset(sendTicks, TimeSpan.Zero) : null,
            new DateTimeOffset(eventTicks, TimeSpan.Zero),
            BinaryPrimitives.ReadUInt16LittleEndian(payload[41..]),
            unchecked((sbyte)payload[43]),
            BinaryPrimitives.ReadUInt32LittleEndian(payload[44..]));

        value = new RecordedEvent(
            meterEvent,
            BinaryPrimitives.ReadUInt64LittleEndian(payload[48..]),
            BinaryPrimitives.ReadUInt32LittleEndian(payload[56..]),
            new DateTimeOffset(receivedTicks, TimeSpan.Zero),
            source,
            (EventFlags)payload[68],
            topologyId);
        return true;
    }

    private static bool IsTicks(long ticks) => ticks >= 0 && ticks <= DateTime.MaxValue.Ticks;

    private static int StringSize(string? s, string name)
    {
        if (s is null)
        {
            return 0;
        }

        int n = Encoding.UTF8.GetByteCount(s);
        if (n > MaxStringBytes)
        {
            throw new ArgumentException($"{name} is {n} UTF-8 bytes; at most {MaxStringBytes} are recorded", name);
        }

        return n;
    }

    private static int WriteString(string? s, Span<byte> destination)
    {
        if (s is null)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination, NullString);
            return 2;
        }

        int n = Encoding.UTF8.GetBytes(s, destination[2..]);
        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)n);
        return 2 + n;
    }

    private static bool TryReadString(ReadOnlySpan<byte> payload, ref int at, out string? value)
    {
        value = null;
        if (payload.Length - at < 2)
        {
            return false;
        }

        ushort n = BinaryPrimitives.ReadUInt16LittleEndian(payload[at..]);
        at += 2;
        if (n == NullString)
        {
            return true;
        }

        if (n > MaxStringBytes || payload.Length - at < n)
        {
            return false;
        }

        value = Encoding.UTF8.GetString(payload.Slice(at, n));
        at += n;
        return true;
    }
}
