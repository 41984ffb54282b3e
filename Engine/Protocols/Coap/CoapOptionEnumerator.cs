namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// Walks option TLVs that <see cref="CoapMessage.TryParse"/> has already validated. It reads
/// through the same bounds-checked decoder, so even on bytes it was not meant for it stops rather
/// than reads out of range.
/// </summary>
public ref struct CoapOptionEnumerator
{
    private CoapSpanReader _reader;
    private readonly int _only;
    private int _number;
    private ReadOnlySpan<byte> _value;

    internal CoapOptionEnumerator(ReadOnlySpan<byte> encoded, int only)
    {
        _reader = new CoapSpanReader(encoded);
        _only = only;
        _number = 0;
        _value = default;
    }

    /// <summary>The current option.</summary>
    public readonly CoapOption Current => new((ushort)_number, _value);

    /// <summary>Advances to the next option (of the selected number, if one was selected).</summary>
    public bool MoveNext()
    {
        while (_reader.TryPeekByte(out byte next) && next != CoapOptionCodec.PayloadMarker)
        {
            if (CoapOptionCodec.TryRead(ref _reader, ref _number, out _value) != CoapFormatError.None)
            {
                return false;
            }

            if (_only < 0 || _number == _only)
            {
                return true;
            }

            if (_number > _only)
            {
                // Options are in ascending order (RFC 7252 §3.1): none of the selected number follow.
                return false;
            }
        }

        return false;
    }
}
