using System.Buffers.Binary;
using System.Text;

namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// Writes one CoAP message (RFC 7252 §3) into a caller-provided buffer without allocating:
/// the header and token, then options in ascending number order (the writer computes the
/// delta/length nibbles and their 13/14 extensions, §3.1), then an optional payload behind the
/// 0xFF marker.
/// </summary>
/// <remarks>
/// Each <c>TryWrite…</c> is all-or-nothing: it returns <see langword="false"/> and writes nothing
/// when the buffer is too small, so the caller can retry with a larger one. Misuse — options out
/// of order, a token longer than 8 bytes, anything after the payload, or options/token/payload
/// on an Empty message (§4.1) — throws, because it is a bug in the caller, not bad input.
/// </remarks>
public ref struct CoapWriter
{
    private readonly Span<byte> _destination;
    private int _position;
    private int _lastOptionNumber;
    private Stage _stage;

    public CoapWriter(Span<byte> destination)
    {
        _destination = destination;
        _position = 0;
        _lastOptionNumber = 0;
        _stage = Stage.Start;
    }

    private enum Stage
    {
        Start,
        Options,
        EmptyMessage,
        Done,
    }

    /// <summary>Bytes written so far: the message length once everything is written.</summary>
    public readonly int Written => _position;

    /// <summary>The message written so far.</summary>
    public readonly ReadOnlySpan<byte> WrittenSpan => _destination[.._position];

    /// <summary>Writes the 4-byte header (version 1) and the token. Must be called first, once.</summary>
    public bool TryWriteHeader(CoapType type, byte code, ushort messageId, scoped ReadOnlySpan<byte> token)
    {
        if (_stage != Stage.Start)
        {
            CoapThrowHelper.ThrowInvalidOperation("The header is written once, first.");
        }

        if ((uint)type > (uint)CoapType.Reset)
        {
            CoapThrowHelper.ThrowArgumentOutOfRange(nameof(type), "A message type is 0-3.");
        }

        if (token.Length > CoapMessage.MaxTokenLength)
        {
            CoapThrowHelper.ThrowArgument(nameof(token), "A token is 0-8 bytes (RFC 7252 §3).");
        }

        if (code == CoapCode.Empty && !token.IsEmpty)
        {
            CoapThrowHelper.ThrowArgument(nameof(token), "An Empty message has no token (RFC 7252 §4.1).");
        }

        int size = CoapMessage.HeaderLength + token.Length;
        if (_destination.Length - _position < size)
        {
            return false;
        }

        Span<byte> header = _destination.Slice(_position, size);
        header[0] = (byte)((1 << 6) | ((int)type << 4) | token.Length);
        header[1] = code;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], messageId);
        token.CopyTo(header[CoapMessage.HeaderLength..]);
        _position += size;
        _stage = code == CoapCode.Empty ? Stage.EmptyMessage : Stage.Options;
        return true;
    }

    /// <summary>Appends an option with an opaque value (0–65804 bytes).</summary>
    public bool TryWriteOption(ushort optionNumber, scoped ReadOnlySpan<byte> value)
    {
        int delta = CheckOption(optionNumber, value.Length);
        int size = CoapOptionCodec.GetEncodedSize(delta, value.Length);
        if (_destination.Length - _position < size)
        {
            return false;
        }

        Span<byte> target = _destination.Slice(_position, size);
        int headerLength = CoapOptionCodec.WriteHeader(target, delta, value.Length);
        value.CopyTo(target[headerLength..]);
        Commit(optionNumber, size);
        return true;
    }

    /// <summary>Appends a <c>uint</c> option in its minimal encoding (RFC 7252 §3.2).</summary>
    public bool TryWriteUInt32Option(ushort optionNumber, uint value)
    {
        Span<byte> encoded = stackalloc byte[sizeof(uint)];
        CoapUInt.TryWrite(value, encoded, out int length);
        return TryWriteOption(optionNumber, encoded[..length]);
    }

    /// <summary>Appends a string option, UTF-8 encoded (RFC 7252 §3.2), e.g. one Uri-Path segment.</summary>
    public bool TryWriteStringOption(ushort optionNumber, scoped ReadOnlySpan<char> value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        int delta = CheckOption(optionNumber, length);
        int size = CoapOptionCodec.GetEncodedSize(delta, length);
        if (_destination.Length - _position < size)
        {
            return false;
        }

        Span<byte> target = _destination.Slice(_position, size);
        int headerLength = CoapOptionCodec.WriteHeader(target, delta, length);
        Encoding.UTF8.GetBytes(value, target[headerLength..]);
        Commit(optionNumber, size);
        return true;
    }

    /// <summary>Appends a Block1/Block2 option (RFC 7959 §2.2).</summary>
    public bool TryWriteBlockOption(ushort optionNumber, CoapBlockOption block) =>
        TryWriteUInt32Option(optionNumber, block.Value);

    /// <summary>
    /// Appends the 0xFF marker and the payload; an empty payload writes nothing, since a marker
    /// followed by nothing is a format error (RFC 7252 §3). Nothing can be written afterwards.
    /// </summary>
    public bool TryWritePayload(scoped ReadOnlySpan<byte> payload)
    {
        EnsureBodyAllowed(payload.IsEmpty);
        if (payload.IsEmpty)
        {
            _stage = _stage == Stage.EmptyMessage ? Stage.EmptyMessage : Stage.Done;
            return true;
        }

        int size = 1 + payload.Length;
        if (_destination.Length - _position < size)
        {
            return false;
        }

        _destination[_position] = CoapOptionCodec.PayloadMarker;
        payload.CopyTo(_destination[(_position + 1)..]);
        _position += size;
        _stage = Stage.Done;
        return true;
    }

    private readonly int CheckOption(ushort optionNumber, int length)
    {
        EnsureBodyAllowed(isEmpty: false);
        if (optionNumber < _lastOptionNumber)
        {
            CoapThrowHelper.ThrowInvalidOperation("Options are written in ascending number order (RFC 7252 §3.1).");
        }

        if (length > CoapOptionCodec.MaxExtendedValue)
        {
            CoapThrowHelper.ThrowArgumentOutOfRange(nameof(length), "An option value is at most 65804 bytes (RFC 7252 §3.1).");
        }

        return optionNumber - _lastOptionNumber;
    }

    private readonly void EnsureBodyAllowed(bool isEmpty)
    {
        switch (_stage)
        {
            case Stage.Start:
                CoapThrowHelper.ThrowInvalidOperation("Write the header first.");
                break;
            case Stage.Done:
                CoapThrowHelper.ThrowInvalidOperation("Nothing follows the payload (RFC 7252 §3).");
                break;
            case Stage.EmptyMessage when !isEmpty:
                CoapThrowHelper.ThrowInvalidOperation("An Empty message has nothing after the Message ID (RFC 7252 §4.1).");
                break;
        }
    }

    private void Commit(ushort optionNumber, int size)
    {
        _position += size;
        _lastOptionNumber = optionNumber;
    }
}
