namespace OpsConsole.Engine.Protocols.Dlms;

/// <summary>Writes the A-XDR length in its shortest form: one byte below <c>0x80</c>, else <c>81 nn</c> or <c>82 nnnn</c> (wire-format.md §2).</summary>
public static class AxdrLength
{
    /// <summary>Bytes needed for <paramref name="length"/> (0–65535).</summary>
    public static int GetSize(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, ushort.MaxValue);
        return length < 0x80 ? 1 : length <= byte.MaxValue ? 2 : 3;
    }

    /// <summary>Writes <paramref name="length"/>; returns the bytes written.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short, or the length is outside 0–65535.</exception>
    public static int Write(Span<byte> destination, int length)
    {
        int size = GetSize(length);
        if (destination.Length < size)
        {
            throw new ArgumentException("The destination is too short.", nameof(destination));
        }

        switch (size)
        {
            case 1:
                destination[0] = (byte)length;
                break;
            case 2:
                destination[0] = 0x81;
                destination[1] = (byte)length;
                break;
            default:
                destination[0] = 0x82;
                destination[1] = (byte)(length >> 8);
                destination[2] = (byte)length;
                break;
        }

        return size;
    }
}
