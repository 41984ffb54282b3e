namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>The messages the head-end answers with, and the request the meter simulator sends.</summary>
public static partial class CoapMessage
{
    /// <summary>
    /// A piggy-backed response (RFC 7252 §5.2.1): an ACK with the request's Message ID and token
    /// and the given code — 2.04, 4.00, 4.01, 4.02, 4.04, … — and no options or payload.
    /// </summary>
    public static bool TryWriteAck(Span<byte> destination, ushort messageId, ReadOnlySpan<byte> token, byte code, out int written)
    {
        var writer = new CoapWriter(destination);
        return Finish(writer.TryWriteHeader(CoapType.Acknowledgement, code, messageId, token), ref writer, out written);
    }

    /// <summary>
    /// A piggy-backed response echoing a Block1 option in control usage (RFC 7959 §2.3): 2.31
    /// Continue with M=1 for a block taken, or the final 2.04 with M=0 for the last block (Figure 7).
    /// </summary>
    public static bool TryWriteAck(
        Span<byte> destination, ushort messageId, ReadOnlySpan<byte> token, byte code, CoapBlockOption block1, out int written)
    {
        var writer = new CoapWriter(destination);
        bool ok = writer.TryWriteHeader(CoapType.Acknowledgement, code, messageId, token)
            && writer.TryWriteBlockOption(CoapOptionNumber.Block1, block1);
        return Finish(ok, ref writer, out written);
    }

    /// <summary>The response to a parsed request: an ACK echoing its Message ID and token.</summary>
    public static bool TryWriteAck(Span<byte> destination, in CoapMessageView request, byte code, out int written) =>
        TryWriteAck(destination, request.MessageId, request.Token, code, out written);

    /// <summary>
    /// 2.31 Continue with the Block1 option echoed with M=1 ("the server collects further blocks",
    /// RFC 7959 §2.3, §2.9.1).
    /// </summary>
    public static bool TryWriteContinue(
        Span<byte> destination, ushort messageId, ReadOnlySpan<byte> token, CoapBlockOption block1, out int written) =>
        TryWriteAck(destination, messageId, token, CoapCode.Continue, block1.WithMore(true), out written);

    /// <summary>
    /// 4.13 Request Entity Too Large with Size1 carrying the largest body the server accepts
    /// (RFC 7252 §5.9.2.9, §5.10.9; RFC 7959 §2.9.3).
    /// </summary>
    public static bool TryWriteRequestEntityTooLarge(
        Span<byte> destination, ushort messageId, ReadOnlySpan<byte> token, uint maxBodySize, out int written)
    {
        var writer = new CoapWriter(destination);
        bool ok = writer.TryWriteHeader(CoapType.Acknowledgement, CoapCode.RequestEntityTooLarge, messageId, token)
            && writer.TryWriteUInt32Option(CoapOptionNumber.Size1, maxBodySize);
        return Finish(ok, ref writer, out written);
    }

    /// <summary>
    /// 5.03 Service Unavailable with Max-Age (RFC 7252 §5.9.3.4: the client may retry after that many
    /// seconds) — the answer to a Block1 transfer the server has no slot for now, and to a CON whose event
    /// the journal could not write (disk full), so the meter keeps the event and sends it again.
    /// </summary>
    public static bool TryWriteServiceUnavailable(
        Span<byte> destination, ushort messageId, ReadOnlySpan<byte> token, uint maxAgeSeconds, out int written)
    {
        var writer = new CoapWriter(destination);
        bool ok = writer.TryWriteHeader(CoapType.Acknowledgement, CoapCode.ServiceUnavailable, messageId, token)
            && writer.TryWriteUInt32Option(CoapOptionNumber.MaxAge, maxAgeSeconds);
        return Finish(ok, ref writer, out written);
    }

    /// <summary>
    /// A Reset (RFC 7252 §4.2): Empty, echoing the Message ID of the rejected message — the
    /// answer to a malformed CON and to a CoAP ping (an Empty CON).
    /// </summary>
    public static bool TryWriteReset(Span<byte> destination, ushort messageId, out int written)
    {
        var writer = new CoapWriter(destination);
        return Finish(writer.TryWriteHeader(CoapType.Reset, CoapCode.Empty, messageId, default), ref writer, out written);
    }

    /// <summary>
    /// A meter event (wire-format.md §1): POST <c>/ami/ev</c>, Content-Format 42, the DLMS APDU as
    /// payload; CON for most events, NON for a last gasp.
    /// </summary>
    public static bool TryWriteEventPost(
        Span<byte> destination, CoapType type, ushort messageId, ReadOnlySpan<byte> token, ReadOnlySpan<byte> payload, out int written)
    {
        var writer = new CoapWriter(destination);
        bool ok = WriteEventHead(ref writer, type, messageId, token) && writer.TryWritePayload(payload);
        return Finish(ok, ref writer, out written);
    }

    /// <summary>One block of a block-wise event POST (RFC 7959 §2.5): as above plus Block1 (27).</summary>
    public static bool TryWriteEventPost(
        Span<byte> destination,
        CoapType type,
        ushort messageId,
        ReadOnlySpan<byte> token,
        CoapBlockOption block1,
        ReadOnlySpan<byte> payload,
        out int written)
    {
        var writer = new CoapWriter(destination);
        bool ok = WriteEventHead(ref writer, type, messageId, token)
            && writer.TryWriteBlockOption(CoapOptionNumber.Block1, block1)
            && writer.TryWritePayload(payload);
        return Finish(ok, ref writer, out written);
    }

    private static bool WriteEventHead(ref CoapWriter writer, CoapType type, ushort messageId, ReadOnlySpan<byte> token) =>
        writer.TryWriteHeader(type, CoapCode.Post, messageId, token)
        && CoapUriPath.AmiEvents.TryWrite(ref writer)
        && writer.TryWriteUInt32Option(CoapOptionNumber.ContentFormat, CoapContentFormat.OctetStream);

    private static bool Finish(bool ok, ref CoapWriter writer, out int written)
    {
        written = ok ? writer.Written : 0;
        return ok;
    }
}
