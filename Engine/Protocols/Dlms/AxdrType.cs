namespace OpsConsole.Engine.Protocols.Dlms;

/// <summary>
/// The A-XDR data type tags used by the wire format (wire-format.md §3; DLMS UA 1000-2 "Green Book",
/// the <c>Data</c> CHOICE). Only the types the contract uses are named.
/// </summary>
public static class AxdrType
{
    /// <summary><c>structure</c>: an element count (A-XDR length encoding), then the elements.</summary>
    public const byte Structure = 0x02;

    /// <summary><c>double-long-unsigned</c>: uint32, big-endian.</summary>
    public const byte DoubleLongUnsigned = 0x06;

    /// <summary><c>octet-string</c>: an A-XDR length, then that many bytes.</summary>
    public const byte OctetString = 0x09;

    /// <summary><c>integer</c>: int8.</summary>
    public const byte Integer = 0x0F;

    /// <summary><c>unsigned</c>: uint8.</summary>
    public const byte Unsigned = 0x11;

    /// <summary><c>long-unsigned</c>: uint16, big-endian.</summary>
    public const byte LongUnsigned = 0x12;

    /// <summary><c>date-time</c>: 12 bytes, no length (the contract itself sends date-times as octet-strings).</summary>
    public const byte DateTime = 0x19;
}
