using System.Buffers.Binary;

namespace OpsConsole.Engine.Protocols.Dlms;

/// <summary>
/// A bounds-checked, forward-only reader of the A-XDR pieces the wire format uses
/// (wire-format.md §2–3): type tags, the A-XDR length, <c>octet-string</c>, <c>unsigned</c>,
/// <c>integer</c>, <c>long-unsigned</c>, <c>double-long-unsigned</c>, <c>structure</c> and the
/// 12-byte COSEM <c>date-time</c>. Multi-byte integers are big-endian.
/// </summary>
/// <remarks>
/// Every read is a <c>TryRead…</c> that either consumes the whole item and returns <see langword="true"/>,
/// or consumes nothing, returns <see langword="false"/> and sets <see cref="Error"/>. The reader never
/// throws on malformed input and never reads outside the span; spans it hands out are slices of the
/// input (no copies).
/// </remarks>
public ref struct AxdrReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public AxdrReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
        Error = AxdrError.None;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>Bytes not yet consumed.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    /// <summary>True when every byte has been consumed.</summary>
    public readonly bool IsAtEnd => _position >= _buffer.Length;

    /// <summary>The bytes not yet consumed.</summary>
    public readonly ReadOnlySpan<byte> RemainingBytes => _buffer[_position..];

    /// <summary>Why the most recent <c>TryRead…</c> call failed; <see cref="AxdrError.None"/> after a success.</summary>
    public AxdrError Error { readonly get; private set; }

    /// <summary>Looks at the next byte without consuming it.</summary>
    public bool TryPeekByte(out byte value)
    {
        if (_position >= _buffer.Length)
        {
            value = 0;
            return Fail(AxdrError.EndOfData);
        }

        value = _buffer[_position];
        return Succeed();
    }

    /// <summary>Reads one raw byte.</summary>
    public bool TryReadByte(out byte value)
    {
        if (!TryPeekByte(out value))
        {
            return false;
        }

        _position++;
        return true;
    }

    /// <summary>Reads a raw big-endian uint16.</summary>
    public bool TryReadUInt16(out ushort value)
    {
        if (Remaining < sizeof(ushort))
        {
            value = 0;
            return Fail(AxdrError.EndOfData);
        }

        value = BinaryPrimitives.ReadUInt16BigEndian(_buffer.Slice(_position, sizeof(ushort)));
        _position += sizeof(ushort);
        return Succeed();
    }

    /// <summary>Reads a raw big-endian uint32.</summary>
    public bool TryReadUInt32(out uint value)
    {
        if (Remaining < sizeof(uint))
        {
            value = 0;
            return Fail(AxdrError.EndOfData);
        }

        value = BinaryPrimitives.ReadUInt32BigEndian(_buffer.Slice(_position, sizeof(uint)));
        _position += sizeof(uint);
        return Succeed();
    }

    /// <summary>Reads <paramref name="count"/> raw bytes as a slice of the input.</summary>
    public bool TryReadBytes(int count, out ReadOnlySpan<byte> value)
    {
        if (count < 0 || count > Remaining)
        {
            value = default;
            return Fail(AxdrError.EndOfData);
        }

        value = _buffer.Slice(_position, count);
        _position += count;
        return Succeed();
    }

    /// <summary>
    /// Reads an A-XDR length: one byte below <c>0x80</c>, or <c>0x81 nn</c>, or <c>0x82 nnnn</c>
    /// (wire-format.md §2). <c>0x80</c> (indefinite) and <c>0x83</c>+ are refused with
    /// <see cref="AxdrError.InvalidLengthEncoding"/>. A non-minimal form such as <c>81 05</c> is accepted.
    /// </summary>
    public bool TryReadLength(out int length)
    {
        length = 0;
        int start = _position;
        if (!TryReadByte(out byte first))
        {
            return false;
        }

        if (first < 0x80)
        {
            length = first;
            return true;
        }

        switch (first)
        {
            case 0x81:
                if (!TryReadByte(out byte one))
                {
                    _position = start;
                    return false;
                }

                length = one;
                return true;
            case 0x82:
                if (!TryReadUInt16(out ushort two))
                {
                    _position = start;
                    return false;
                }

                length = two;
                return true;
            default:
                _position = start;
                return Fail(AxdrError.InvalidLengthEncoding);
        }
    }

    /// <summary>Consumes the next byte when it equals <paramref name="expected"/>; otherwise consumes nothing.</summary>
    public bool TryReadTag(byte expected)
    {
        if (!TryPeekByte(out byte tag))
        {
            return false;
        }

        if (tag != expected)
        {
            return Fail(AxdrError.UnexpectedTag);
        }

        _position++;
        return true;
    }

    /// <summary>Reads <c>09 &lt;length&gt; &lt;bytes&gt;</c>.</summary>
    public bool TryReadOctetString(out ReadOnlySpan<byte> value)
    {
        value = default;
        int start = _position;
        if (!TryReadTag(AxdrType.OctetString) || !TryReadLength(out int length) || !TryReadBytes(length, out value))
        {
            _position = start;
            return false;
        }

        return true;
    }

    /// <summary>Reads <c>09 &lt;length&gt; &lt;bytes&gt;</c> whose length must be <paramref name="expectedLength"/>.</summary>
    public bool TryReadOctetString(int expectedLength, out ReadOnlySpan<byte> value)
    {
        value = default;
        int start = _position;
        if (!TryReadTag(AxdrType.OctetString) || !TryReadLength(out int length))
        {
            _position = start;
            return false;
        }

        if (length != expectedLength)
        {
            _position = start;
            return Fail(AxdrError.UnexpectedLength);
        }

        if (!TryReadBytes(length, out value))
        {
            _position = start;
            return false;
        }

        return true;
    }

    /// <summary>Reads <c>11 &lt;uint8&gt;</c> (<c>unsigned</c>).</summary>
    public bool TryReadUnsigned(out byte value)
    {
        value = 0;
        int start = _position;
        if (!TryReadTag(AxdrType.Unsigned) || !TryReadByte(out value))
        {
            _position = start;
            return false;
        }

        return true;
    }

    /// <summary>Reads <c>0F &lt;int8&gt;</c> (<c>integer</c>).</summary>
    public bool TryReadInteger(out sbyte value)
    {
        value = 0;
        int start = _position;
        if (!TryReadTag(AxdrType.Integer) || !TryReadByte(out byte raw))
        {
            _position = start;
            return false;
        }

        value = unchecked((sbyte)raw);
        return true;
    }

    /// <summary>Reads <c>12 &lt;uint16 BE&gt;</c> (<c>long-unsigned</c>).</summary>
    public bool TryReadLongUnsigned(out ushort value)
    {
        value = 0;
        int start = _position;
        if (!TryReadTag(AxdrType.LongUnsigned) || !TryReadUInt16(out value))
        {
            _position = start;
            return false;
        }

        return true;
    }

    /// <summary>Reads <c>06 &lt;uint32 BE&gt;</c> (<c>double-long-unsigned</c>).</summary>
    public bool TryReadDoubleLongUnsigned(out uint value)
    {
        value = 0;
        int start = _position;
        if (!TryReadTag(AxdrType.DoubleLongUnsigned) || !TryReadUInt32(out value))
        {
            _position = start;
            return false;
        }

        return true;
    }

    /// <summary>Reads <c>02 &lt;count&gt;</c>, the head of a <c>structure</c>; the elements follow.</summary>
    public bool TryReadStructure(out int count)
    {
        count = 0;
        int start = _position;
        if (!TryReadTag(AxdrType.Structure) || !TryReadLength(out count))
        {
            _position = start;
            count = 0;
            return false;
        }

        return true;
    }

    /// <summary>Reads 12 raw bytes as a COSEM date-time (no tag, no length), validated as <see cref="CosemDateTime.TryParse(ReadOnlySpan{byte}, out CosemDateTime)"/>.</summary>
    public bool TryReadDateTimeValue(out CosemDateTime value)
    {
        value = default;
        if (Remaining < CosemDateTime.Size)
        {
            return Fail(AxdrError.EndOfData);
        }

        if (!CosemDateTime.TryParse(_buffer.Slice(_position, CosemDateTime.Size), out value))
        {
            return Fail(AxdrError.InvalidDateTime);
        }

        _position += CosemDateTime.Size;
        return Succeed();
    }

    /// <summary>Reads <c>19 &lt;12 bytes&gt;</c>, the A-XDR <c>date-time</c> type.</summary>
    public bool TryReadDateTime(out CosemDateTime value)
    {
        value = default;
        int start = _position;
        if (!TryReadTag(AxdrType.DateTime) || !TryReadDateTimeValue(out value))
        {
            _position = start;
            return false;
        }

        return true;
    }

    /// <summary>Reads <c>09 0C &lt;12 bytes&gt;</c>: a date-time carried as an octet-string, as the contract sends it (wire-format.md §3).</summary>
    public bool TryReadDateTimeOctetString(out CosemDateTime value)
    {
        value = default;
        int start = _position;
        if (!TryReadOctetString(CosemDateTime.Size, out _))
        {
            return false;
        }

        _position -= CosemDateTime.Size;
        if (!TryReadDateTimeValue(out value))
        {
            _position = start;
            return false;
        }

        return true;
    }

    private bool Succeed()
    {
        Error = AxdrError.None;
        return true;
    }

    private bool Fail(AxdrError error)
    {
        Error = error;
        return false;
    }
}
