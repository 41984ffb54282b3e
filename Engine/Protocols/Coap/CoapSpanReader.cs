using System.Buffers.Binary;

namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// The one bounds-checked, forward-only, big-endian reader the CoAP codec reads through. Every
/// <c>TryRead…</c> either consumes the whole item and returns <see langword="true"/> or consumes
/// nothing and returns <see langword="false"/>; spans it returns are slices of the input.
/// </summary>
internal ref struct CoapSpanReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public CoapSpanReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _buffer.Length - _position;

    public readonly bool TryPeekByte(out byte value)
    {
        if (_position >= _buffer.Length)
        {
            value = 0;
            return false;
        }

        value = _buffer[_position];
        return true;
    }

    public bool TryReadByte(out byte value)
    {
        if (!TryPeekByte(out value))
        {
            return false;
        }

        _position++;
        return true;
    }

    public bool TryReadUInt16BigEndian(out ushort value)
    {
        if (Remaining < sizeof(ushort))
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt16BigEndian(_buffer.Slice(_position, sizeof(ushort)));
        _position += sizeof(ushort);
        return true;
    }

    public bool TryReadBytes(int count, out ReadOnlySpan<byte> bytes)
    {
        if ((uint)count > (uint)Remaining)
        {
            bytes = default;
            return false;
        }

        bytes = _buffer.Slice(_position, count);
        _position += count;
        return true;
    }

    public ReadOnlySpan<byte> ReadRemaining()
    {
        ReadOnlySpan<byte> rest = _buffer[_position..];
        _position = _buffer.Length;
        return rest;
    }
}
