using OpsConsole.Engine.Protocols.Dlms;

namespace OpsConsole.Engine.Tests.Dlms;

public class AxdrReaderTests
{
    [Theory]
    [InlineData("00", 0, 1)]
    [InlineData("7F", 127, 1)]
    [InlineData("81 80", 128, 2)]
    [InlineData("81 05", 5, 2)] // non-minimal, accepted
    [InlineData("82 01 00", 256, 3)]
    [InlineData("82 FF FF", 65535, 3)]
    public void TryReadLength_ValidEncodings_ReadValueAndSize(string hex, int expected, int consumed)
    {
        var reader = new AxdrReader(Hex.Bytes(hex));
        Assert.True(reader.TryReadLength(out int length));
        Assert.Equal(expected, length);
        Assert.Equal(consumed, reader.Position);
        Assert.Equal(AxdrError.None, reader.Error);
    }

    [Theory]
    [InlineData("80", AxdrError.InvalidLengthEncoding)]
    [InlineData("83 00 00 01", AxdrError.InvalidLengthEncoding)]
    [InlineData("FF", AxdrError.InvalidLengthEncoding)]
    [InlineData("", AxdrError.EndOfData)]
    [InlineData("81", AxdrError.EndOfData)]
    [InlineData("82 01", AxdrError.EndOfData)]
    public void TryReadLength_InvalidOrCut_FailsWithoutConsuming(string hex, AxdrError expected)
    {
        var reader = new AxdrReader(Hex.Bytes(hex));
        Assert.False(reader.TryReadLength(out _));
        Assert.Equal(expected, reader.Error);
        Assert.Equal(0, reader.Position);
    }

    [Fact]
    public void TypedReads_WellFormedSequence_ReadBigEndianValues()
    {
        var reader = new AxdrReader(Hex.Bytes("02 03 11 E7 12 0E 42 06 00 00 01 2C 0F A9 09 02 AB CD"));
        Assert.True(reader.TryReadStructure(out int count));
        Assert.Equal(3, count);
        Assert.True(reader.TryReadUnsigned(out byte u8));
        Assert.Equal(231, u8);
        Assert.True(reader.TryReadLongUnsigned(out ushort u16));
        Assert.Equal(3650, u16);
        Assert.True(reader.TryReadDoubleLongUnsigned(out uint u32));
        Assert.Equal(300u, u32);
        Assert.True(reader.TryReadInteger(out sbyte i8));
        Assert.Equal(-87, i8);
        Assert.True(reader.TryReadOctetString(out var bytes));
        Assert.Equal("ABCD", Hex.Of(bytes));
        Assert.True(reader.IsAtEnd);
    }

    [Theory]
    [InlineData("12 0E", AxdrError.EndOfData)]      // long-unsigned cut
    [InlineData("11 0E 42", AxdrError.UnexpectedTag)] // unsigned where long-unsigned expected
    [InlineData("", AxdrError.EndOfData)]
    public void TryReadLongUnsigned_WrongOrCut_FailsWithoutConsuming(string hex, AxdrError expected)
    {
        var reader = new AxdrReader(Hex.Bytes(hex));
        Assert.False(reader.TryReadLongUnsigned(out _));
        Assert.Equal(expected, reader.Error);
        Assert.Equal(0, reader.Position);
    }

    [Fact]
    public void TryReadOctetString_DeclaredLongerThanInput_FailsEndOfData()
    {
        var reader = new AxdrReader(Hex.Bytes("09 10 01 02 03"));
        Assert.False(reader.TryReadOctetString(out _));
        Assert.Equal(AxdrError.EndOfData, reader.Error);
        Assert.Equal(0, reader.Position);
    }

    [Fact]
    public void TryReadOctetString_WrongExpectedLength_FailsUnexpectedLength()
    {
        var reader = new AxdrReader(Hex.Bytes("09 0F" + new string('0', 30)));
        Assert.False(reader.TryReadOctetString(16, out _));
        Assert.Equal(AxdrError.UnexpectedLength, reader.Error);
        Assert.Equal(0, reader.Position);
    }

    [Fact]
    public void TryReadDateTime_TypedAndOctetStringForms_BothRead()
    {
        const string value = "07 E8 05 01 03 0C 00 00 00 00 00 00";
        var typed = new AxdrReader(Hex.Bytes("19 " + value));
        Assert.True(typed.TryReadDateTime(out var a));
        var octets = new AxdrReader(Hex.Bytes("09 0C " + value));
        Assert.True(octets.TryReadDateTimeOctetString(out var b));
        Assert.Equal(a, b);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero), a.Utc);
    }

    [Fact]
    public void TryReadDateTimeOctetString_InvalidMonth_FailsInvalidDateTimeWithoutConsuming()
    {
        var reader = new AxdrReader(Hex.Bytes("09 0C 07 E8 0D 01 FF 0C 00 00 00 00 00 00"));
        Assert.False(reader.TryReadDateTimeOctetString(out _));
        Assert.Equal(AxdrError.InvalidDateTime, reader.Error);
        Assert.Equal(0, reader.Position);
    }

    [Fact]
    public void TryReadBytes_NegativeOrTooMany_FailsEndOfData()
    {
        var reader = new AxdrReader(Hex.Bytes("01 02"));
        Assert.False(reader.TryReadBytes(-1, out _));
        Assert.False(reader.TryReadBytes(3, out _));
        Assert.Equal(AxdrError.EndOfData, reader.Error);
        Assert.True(reader.TryReadBytes(2, out var two));
        Assert.Equal(2, two.Length);
    }
}
