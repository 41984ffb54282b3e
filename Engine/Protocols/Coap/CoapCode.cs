using System.Globalization;

namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// The 8-bit Code field as <c>c.dd</c>: a 3-bit class and a 5-bit detail (RFC 7252 §3), with the
/// codes this head-end uses (RFC 7252 §5.8, §5.9, §12.1; RFC 7959 §2.9).
/// </summary>
public static class CoapCode
{
    /// <summary>0.00: an Empty message (RFC 7252 §4.1).</summary>
    public const byte Empty = 0x00;

    /// <summary>0.01 GET (RFC 7252 §5.8.1).</summary>
    public const byte Get = 0x01;

    /// <summary>0.02 POST (RFC 7252 §5.8.2).</summary>
    public const byte Post = 0x02;

    /// <summary>0.03 PUT (RFC 7252 §5.8.3).</summary>
    public const byte Put = 0x03;

    /// <summary>0.04 DELETE (RFC 7252 §5.8.4).</summary>
    public const byte Delete = 0x04;

    /// <summary>2.01 Created.</summary>
    public const byte Created = 0x41;

    /// <summary>2.02 Deleted.</summary>
    public const byte Deleted = 0x42;

    /// <summary>2.03 Valid.</summary>
    public const byte Valid = 0x43;

    /// <summary>2.04 Changed: the head-end's answer to an accepted event (RFC 7252 §5.9.1.4).</summary>
    public const byte Changed = 0x44;

    /// <summary>2.05 Content.</summary>
    public const byte Content = 0x45;

    /// <summary>2.31 Continue: a Block1 block was taken, send the next (RFC 7959 §2.9.1).</summary>
    public const byte Continue = 0x5F;

    /// <summary>4.00 Bad Request.</summary>
    public const byte BadRequest = 0x80;

    /// <summary>4.01 Unauthorized.</summary>
    public const byte Unauthorized = 0x81;

    /// <summary>4.02 Bad Option: an unrecognised critical option (RFC 7252 §5.4.1).</summary>
    public const byte BadOption = 0x82;

    /// <summary>4.03 Forbidden.</summary>
    public const byte Forbidden = 0x83;

    /// <summary>4.04 Not Found.</summary>
    public const byte NotFound = 0x84;

    /// <summary>4.05 Method Not Allowed.</summary>
    public const byte MethodNotAllowed = 0x85;

    /// <summary>4.06 Not Acceptable.</summary>
    public const byte NotAcceptable = 0x86;

    /// <summary>4.08 Request Entity Incomplete (RFC 7959 §2.9.2).</summary>
    public const byte RequestEntityIncomplete = 0x88;

    /// <summary>4.12 Precondition Failed.</summary>
    public const byte PreconditionFailed = 0x8C;

    /// <summary>4.13 Request Entity Too Large (RFC 7252 §5.9.2.9, RFC 7959 §2.9.3).</summary>
    public const byte RequestEntityTooLarge = 0x8D;

    /// <summary>4.15 Unsupported Content-Format.</summary>
    public const byte UnsupportedContentFormat = 0x8F;

    /// <summary>5.00 Internal Server Error.</summary>
    public const byte InternalServerError = 0xA0;

    /// <summary>5.01 Not Implemented.</summary>
    public const byte NotImplemented = 0xA1;

    /// <summary>5.03 Service Unavailable.</summary>
    public const byte ServiceUnavailable = 0xA3;

    /// <summary>Builds <c>c.dd</c> from a class (0–7) and a detail (0–31).</summary>
    public static byte Create(int codeClass, int detail)
    {
        if ((uint)codeClass > 7)
        {
            CoapThrowHelper.ThrowArgumentOutOfRange(nameof(codeClass), "A code class is 0–7.");
        }

        if ((uint)detail > 31)
        {
            CoapThrowHelper.ThrowArgumentOutOfRange(nameof(detail), "A code detail is 0–31.");
        }

        return (byte)((codeClass << 5) | detail);
    }

    /// <summary>The class <c>c</c> (the 3 most significant bits).</summary>
    public static int GetClass(byte code) => code >> 5;

    /// <summary>The detail <c>dd</c> (the 5 least significant bits).</summary>
    public static int GetDetail(byte code) => code & 0x1F;

    /// <summary>True for a request method: class 0 except 0.00 (RFC 7252 §5.1).</summary>
    public static bool IsRequest(byte code) => code != Empty && GetClass(code) == 0;

    /// <summary>True for a response: class 2, 4 or 5 (RFC 7252 §5.2).</summary>
    public static bool IsResponse(byte code) => GetClass(code) is 2 or 4 or 5;

    /// <summary>
    /// True for the reserved classes 1, 6 and 7. A CON with such a code is rejected with a RST
    /// (RFC 7252 §4.2); a NON is ignored (§4.3).
    /// </summary>
    public static bool IsReservedClass(byte code) => GetClass(code) is 1 or 6 or 7;

    /// <summary>The code as RFC text writes it, e.g. <c>2.04</c>.</summary>
    public static string Format(byte code) =>
        string.Create(CultureInfo.InvariantCulture, $"{GetClass(code)}.{GetDetail(code):00}");
}
