namespace OpsConsole.Engine.Protocols.Dlms;

/// <summary>Why an <see cref="AxdrReader"/> read failed. The reader never throws and never reads out of range.</summary>
public enum AxdrError : byte
{
    /// <summary>No failure.</summary>
    None = 0,

    /// <summary>The input ended before the item did.</summary>
    EndOfData,

    /// <summary>The type tag is not the one expected.</summary>
    UnexpectedTag,

    /// <summary>A length byte of <c>0x80</c> (indefinite) or <c>0x83</c> and above (more than 16 bits): not used by this contract.</summary>
    InvalidLengthEncoding,

    /// <summary>A well-formed length, but not the one the contract requires (e.g. a GUID octet-string that is not 16 bytes).</summary>
    UnexpectedLength,

    /// <summary>A COSEM date-time whose fields are out of range or not specified (see <see cref="CosemDateTime"/>).</summary>
    InvalidDateTime,
}
