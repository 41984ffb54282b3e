namespace OpsConsole.Engine.Protocols.Coap;

public static partial class CoapMessage
{
    /// <summary>
    /// 5.03 Service Unavailable with Max-Age (RFC 7252 §5.9.3.4, §5.10.5): "try again in
    /// <paramref name="maxAgeSeconds"/> seconds" — the answer to a CON the head-end could not record
    /// durably (the journal's disk refuses writes), so the meter keeps the event and sends it again.
    /// </summary>
    public static bool TryWriteServiceUnavailable(
        Span<byte> destination, ushort messageId, ReadOnlySpan<byte> token, uint maxAgeSeconds, out int written)
    {
        var writer = new CoapWriter(destination);
        bool ok = writer.TryWriteHeader(CoapType.Acknowledgement, CoapCode.ServiceUnavailable, messageId, token)
            && writer.TryWriteUInt32Option(CoapOptionNumber.MaxAge, maxAgeSeconds);
        return Finish(ok, ref writer, out written);
    }
}
