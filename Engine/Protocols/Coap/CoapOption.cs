namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>One option instance of a parsed message: its absolute number and its value (a slice of the datagram).</summary>
public readonly ref struct CoapOption
{
    internal CoapOption(ushort number, ReadOnlySpan<byte> value)
    {
        Number = number;
        Value = value;
    }

    /// <summary>The option number (the running sum of the deltas, RFC 7252 §3.1).</summary>
    public ushort Number { get; }

    /// <summary>The option value, 0 or more bytes.</summary>
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>Odd numbers are critical (RFC 7252 §5.4.6).</summary>
    public bool IsCritical => CoapOptionNumber.IsCritical(Number);

    /// <summary>The value as a <c>uint</c> (RFC 7252 §3.2); false when longer than 4 bytes.</summary>
    public bool TryGetUInt32(out uint value) => CoapUInt.TryRead(Value, out value);
}
