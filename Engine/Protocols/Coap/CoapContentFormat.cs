namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>Content-Format identifiers (RFC 7252 §12.3).</summary>
public static class CoapContentFormat
{
    /// <summary>text/plain; charset=utf-8.</summary>
    public const ushort TextPlain = 0;

    /// <summary>application/link-format.</summary>
    public const ushort LinkFormat = 40;

    /// <summary>application/xml.</summary>
    public const ushort Xml = 41;

    /// <summary>application/octet-stream: the DLMS APDU of every meter event (wire-format.md §1).</summary>
    public const ushort OctetStream = 42;

    /// <summary>application/exi.</summary>
    public const ushort Exi = 47;

    /// <summary>application/json.</summary>
    public const ushort Json = 50;
}
