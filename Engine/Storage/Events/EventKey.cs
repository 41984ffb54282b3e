using System.Buffers.Binary;

namespace OpsConsole.Engine.Storage.Events;

/// <summary>
/// (GUID, epoch, event id): what identifies one event (wire-format.md §3, §5 de-duplication).
/// </summary>
/// <remarks>
/// <see cref="ToBytes"/> is the 22-byte big-endian form (GUID in RFC 4122 network order ‖ epoch ‖
/// event id): compared byte-wise, it orders a meter's events by epoch, then event id.
/// </remarks>
public readonly record struct EventKey(Guid MeterId, ushort Epoch, uint EventId)
{
    /// <summary>Bytes of <see cref="ToBytes"/>.</summary>
    public const int Size = 22;

    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size || !MeterId.TryWriteBytes(destination, bigEndian: true, out _))
        {
            throw new ArgumentException($"needs {Size} bytes", nameof(destination));
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination[16..], Epoch);
        BinaryPrimitives.WriteUInt32BigEndian(destination[18..], EventId);
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    public static EventKey FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"an event key is {Size} bytes, not {bytes.Length}", nameof(bytes));
        }

        return new EventKey(
            new Guid(bytes[..16], bigEndian: true),
            BinaryPrimitives.ReadUInt16BigEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[18..]));
    }
}
