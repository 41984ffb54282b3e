using System.Buffers.Binary;
using System.Security.Cryptography;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Protocols.Dlms;
using OpsConsole.Engine.Security;

namespace OpsConsole.Engine.Protocols;

/// <summary>
/// The meter's side of wire-format.md: an event as a Data-Notification, encrypted with the
/// meter's keys in a general-glo-ciphering APDU, posted to /ami/ev. For simulators, storm
/// harnesses and tests; the head-end itself only decodes.
/// </summary>
public static class MeterFrameWriter
{
    /// <summary>The encrypted APDU (wire-format.md §2–3) of <paramref name="e"/>.</summary>
    public static byte[] Apdu(in MeterEvent e, ulong systemTitle, uint invocationCounter, MeterKeys keys)
    {
        Span<byte> plaintext = stackalloc byte[DataNotification.MaxLength];
        if (!DataNotification.TryWrite(e, plaintext, out int length))
        {
            throw new ArgumentException("the event does not fit a Data-Notification", nameof(e));
        }

        Span<byte> title = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(title, systemTitle);
        using var aes = new AesGcm(keys.EncryptionKey, GeneralGloCiphering.AuthenticationTagSize);
        var apdu = new byte[GeneralGloCiphering.GetEncryptedLength(length)];
        if (!GeneralGloCiphering.TryEncrypt(title, invocationCounter, plaintext[..length], aes, keys.AuthenticationKey, apdu, out int written))
        {
            throw new InvalidOperationException("encryption buffer too small");
        }

        return apdu[..written];
    }

    /// <summary>A CoAP POST of <paramref name="payload"/> to /ami/ev (Content-Format 42).</summary>
    public static byte[] Post(CoapType type, ushort messageId, ReadOnlySpan<byte> token, ReadOnlySpan<byte> payload)
    {
        var buffer = new byte[payload.Length + 64];
        if (!CoapMessage.TryWriteEventPost(buffer, type, messageId, token, payload, out int written))
        {
            throw new ArgumentException("the message does not fit", nameof(payload));
        }

        return buffer[..written];
    }
}
