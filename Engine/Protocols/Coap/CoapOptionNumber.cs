namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// Option numbers (RFC 7252 §5.10, §12.2; RFC 7959 §2.1, §4) and the properties encoded in
/// the number itself (RFC 7252 §5.4.6).
/// </summary>
public static class CoapOptionNumber
{
    /// <summary>If-Match (1), critical, repeatable, opaque 0–8.</summary>
    public const ushort IfMatch = 1;

    /// <summary>Uri-Host (3), critical, string 1–255.</summary>
    public const ushort UriHost = 3;

    /// <summary>ETag (4), elective.</summary>
    public const ushort ETag = 4;

    /// <summary>If-None-Match (5), critical, empty.</summary>
    public const ushort IfNoneMatch = 5;

    /// <summary>Observe (6, RFC 7641), elective.</summary>
    public const ushort Observe = 6;

    /// <summary>Uri-Port (7), critical, uint 0–2.</summary>
    public const ushort UriPort = 7;

    /// <summary>Location-Path (8), elective.</summary>
    public const ushort LocationPath = 8;

    /// <summary>Uri-Path (11), critical, repeatable, one string 0–255 per path segment.</summary>
    public const ushort UriPath = 11;

    /// <summary>Content-Format (12), elective, uint 0–2.</summary>
    public const ushort ContentFormat = 12;

    /// <summary>Max-Age (14), elective.</summary>
    public const ushort MaxAge = 14;

    /// <summary>Uri-Query (15), critical, repeatable, string 0–255.</summary>
    public const ushort UriQuery = 15;

    /// <summary>Accept (17), critical, uint 0–2.</summary>
    public const ushort Accept = 17;

    /// <summary>Location-Query (20), elective.</summary>
    public const ushort LocationQuery = 20;

    /// <summary>Block2 (23, RFC 7959), critical, uint 0–3.</summary>
    public const ushort Block2 = 23;

    /// <summary>Block1 (27, RFC 7959), critical, uint 0–3.</summary>
    public const ushort Block1 = 27;

    /// <summary>Size2 (28, RFC 7959 §4), elective.</summary>
    public const ushort Size2 = 28;

    /// <summary>Proxy-Uri (35), critical.</summary>
    public const ushort ProxyUri = 35;

    /// <summary>Proxy-Scheme (39), critical.</summary>
    public const ushort ProxyScheme = 39;

    /// <summary>Size1 (60, RFC 7252 §5.10.9, RFC 7959 §4), elective, uint 0–4.</summary>
    public const ushort Size1 = 60;

    /// <summary>Critical options have an odd number (RFC 7252 §5.4.6); the others are elective.</summary>
    public static bool IsCritical(int optionNumber) => (optionNumber & 1) != 0;

    /// <summary>Elective options have an even number and may be ignored when unrecognised (RFC 7252 §5.4.1).</summary>
    public static bool IsElective(int optionNumber) => (optionNumber & 1) == 0;

    /// <summary>Unsafe-to-forward options have bit 1 set (RFC 7252 §5.4.6).</summary>
    public static bool IsUnsafe(int optionNumber) => (optionNumber & 2) != 0;

    /// <summary>NoCacheKey options have bits 2–4 all set (RFC 7252 §5.4.6).</summary>
    public static bool IsNoCacheKey(int optionNumber) => (optionNumber & 0x1E) == 0x1C;
}
