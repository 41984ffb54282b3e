using System.Globalization;

namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// A Block1/Block2 option value (RFC 7959 §2.2): <c>NUM &lt;&lt; 4 | M &lt;&lt; 3 | SZX</c> as a
/// 0–3 byte <c>uint</c>; block size = 2**(SZX + 4), 16–1024 bytes (SZX 7 is reserved).
/// </summary>
public readonly struct CoapBlockOption : IEquatable<CoapBlockOption>
{
    /// <summary>The largest NUM a 3-byte value carries: 2**20 − 1.</summary>
    public const int MaxNumber = (1 << 20) - 1;

    /// <summary>The largest usable SZX: 6 (1024 bytes).</summary>
    public const int MaxSizeExponent = 6;

    /// <summary>Creates a block value; NUM 0–<see cref="MaxNumber"/>, SZX 0–6.</summary>
    public CoapBlockOption(int number, bool more, int sizeExponent)
    {
        if ((uint)number > MaxNumber)
        {
            CoapThrowHelper.ThrowArgumentOutOfRange(nameof(number), "Block NUM is 0 to 2^20 - 1 (RFC 7959 §2.2).");
        }

        if ((uint)sizeExponent > MaxSizeExponent)
        {
            CoapThrowHelper.ThrowArgumentOutOfRange(nameof(sizeExponent), "SZX is 0 to 6; 7 is reserved (RFC 7959 §2.2).");
        }

        Number = number;
        More = more;
        SizeExponent = sizeExponent;
    }

    /// <summary>NUM: the block number.</summary>
    public int Number { get; }

    /// <summary>M: more blocks follow (descriptive usage) / the server collects atomically (control usage in a response).</summary>
    public bool More { get; }

    /// <summary>SZX: 0–6.</summary>
    public int SizeExponent { get; }

    /// <summary>The block size, 2**(SZX + 4) bytes.</summary>
    public int Size => 1 << (SizeExponent + 4);

    /// <summary>Byte offset of this block in the body: NUM × size (RFC 7959 §2.2).</summary>
    public int Offset => Number << (SizeExponent + 4);

    /// <summary>The option value as an integer.</summary>
    public uint Value => ((uint)Number << 4) | (More ? 8u : 0u) | (uint)SizeExponent;

    /// <summary>The SZX of a block size of 16, 32, …, 1024 bytes.</summary>
    public static int SizeExponentOf(int blockSize)
    {
        if (blockSize is < 16 or > 1024 || (blockSize & (blockSize - 1)) != 0)
        {
            CoapThrowHelper.ThrowArgumentOutOfRange(nameof(blockSize), "A block size is a power of two from 16 to 1024 (RFC 7959 §2.2).");
        }

        return System.Numerics.BitOperations.Log2((uint)blockSize) - 4;
    }

    /// <summary>Decodes an option value (0–3 bytes, leading zeros accepted).</summary>
    public static CoapBlockStatus TryDecode(ReadOnlySpan<byte> value, out CoapBlockOption block)
    {
        block = default;
        if (value.Length > 3)
        {
            return CoapBlockStatus.InvalidLength;
        }

        CoapUInt.TryRead(value, out uint raw);
        int sizeExponent = (int)(raw & 7);
        if (sizeExponent == 7)
        {
            return CoapBlockStatus.ReservedSizeExponent;
        }

        block = new CoapBlockOption((int)(raw >> 4), (raw & 8) != 0, sizeExponent);
        return CoapBlockStatus.Ok;
    }

    /// <summary>The same block with M set or cleared.</summary>
    public CoapBlockOption WithMore(bool more) => new(Number, more, SizeExponent);

    /// <summary>Writes the minimal 0–3 byte encoding.</summary>
    public bool TryEncode(Span<byte> destination, out int written) => CoapUInt.TryWrite(Value, destination, out written);

    public bool Equals(CoapBlockOption other) =>
        Number == other.Number && More == other.More && SizeExponent == other.SizeExponent;

    public override bool Equals(object? obj) => obj is CoapBlockOption other && Equals(other);

    public override int GetHashCode() => (int)Value;

    /// <summary>RFC 7959 §3 notation, <c>NUM/M/size</c>, e.g. <c>0/1/128</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Number}/{(More ? 1 : 0)}/{Size}");

    public static bool operator ==(CoapBlockOption left, CoapBlockOption right) => left.Equals(right);

    public static bool operator !=(CoapBlockOption left, CoapBlockOption right) => !left.Equals(right);
}
