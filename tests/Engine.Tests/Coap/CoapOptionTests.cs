using OpsConsole.Engine.Protocols.Coap;

namespace OpsConsole.Engine.Tests.Coap;

public class CoapOptionTests
{
    [Theory]
    // RFC 7959 §2.2 Figure 1: value = NUM << 4 | M << 3 | SZX, minimal uint (0-3 bytes); size = 2**(SZX+4).
    [InlineData(0, false, 0, "", "0/0/16")]        // all zero: the zero-length value (§2.2)
    [InlineData(0, true, 2, "0A", "0/1/64")]
    [InlineData(1, true, 2, "1A", "1/1/64")]
    [InlineData(2, false, 2, "22", "2/0/64")]
    [InlineData(0, true, 3, "0B", "0/1/128")]      // RFC 7959 Figure 7, 1:0/1/128
    [InlineData(2, false, 3, "23", "2/0/128")]     // RFC 7959 Figure 7, 1:2/0/128
    [InlineData(3, true, 3, "3B", "3/1/128")]      // RFC 7959 §3: "a Block1 Option value of 59 would be shown as 1:3/1/128"
    [InlineData(2, false, 1, "21", "2/0/32")]      // RFC 7959 §3: "a Block2 Option value of 33 would be shown as 2:2/0/32"
    [InlineData(4, true, 1, "49", "4/1/32")]       // RFC 7959 Figure 9, 1:4/1/32
    [InlineData(6, false, 1, "61", "6/0/32")]      // RFC 7959 Figure 9, 1:6/0/32
    [InlineData(16, true, 6, "01 0E", "16/1/1024")]
    [InlineData(4095, false, 6, "FF F6", "4095/0/1024")]
    [InlineData(4096, true, 0, "01 00 08", "4096/1/16")]
    [InlineData(CoapBlockOption.MaxNumber, true, 6, "FF FF FE", "1048575/1/1024")]
    public void BlockOption_EncodeAndDecode_MatchRfc7959Layout(int number, bool more, int szx, string hex, string text)
    {
        var block = new CoapBlockOption(number, more, szx);
        Span<byte> encoded = stackalloc byte[3];

        Assert.True(block.TryEncode(encoded, out int written));

        Assert.Equal(Hex.Of(Hex.Bytes(hex)), Hex.Of(encoded[..written]));
        Assert.Equal(text, block.ToString());
        Assert.Equal(CoapBlockStatus.Ok, CoapBlockOption.TryDecode(Hex.Bytes(hex), out CoapBlockOption decoded));
        Assert.Equal(block, decoded);
    }

    [Fact]
    public void BlockOption_SizeAndOffset_FollowSzx()
    {
        var block = new CoapBlockOption(4, more: true, sizeExponent: 1);

        Assert.Equal(32, block.Size);
        Assert.Equal(128, block.Offset); // RFC 7959 Figure 9: 1:4/1/32 continues after the first 128 bytes
        Assert.Equal(64, new CoapBlockOption(0, true, 2).Size);
        Assert.Equal(1024, new CoapBlockOption(0, true, 6).Size);
        Assert.Equal(2, CoapBlockOption.SizeExponentOf(64));
        Assert.Equal(6, CoapBlockOption.SizeExponentOf(1024));
        Assert.Throws<ArgumentOutOfRangeException>(() => CoapBlockOption.SizeExponentOf(2048));
        Assert.Throws<ArgumentOutOfRangeException>(() => CoapBlockOption.SizeExponentOf(100));
    }

    [Theory]
    [InlineData("07")]        // 0/0/2048: SZX 7 is reserved (RFC 7959 §2.2) → 4.00
    [InlineData("0F")]
    [InlineData("01 0F")]
    [InlineData("FF FF FF")]
    public void BlockOption_ReservedSzx7_IsReported(string hex)
    {
        Assert.Equal(CoapBlockStatus.ReservedSizeExponent, CoapBlockOption.TryDecode(Hex.Bytes(hex), out _));
    }

    [Fact]
    public void BlockOption_FourByteValue_IsInvalidLength()
    {
        Assert.Equal(CoapBlockStatus.InvalidLength, CoapBlockOption.TryDecode(Hex.Bytes("00 00 00 0A"), out _));
    }

    [Fact]
    public void BlockOption_LeadingZeroBytes_AreAccepted()
    {
        // RFC 7252 §3.2: "A recipient MUST be prepared to process values with leading zero bytes."
        Assert.Equal(CoapBlockStatus.Ok, CoapBlockOption.TryDecode(Hex.Bytes("00 00 0A"), out CoapBlockOption block));
        Assert.Equal(new CoapBlockOption(0, true, 2), block);
    }

    [Fact]
    public void BlockOption_OutOfRangeArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CoapBlockOption(0, true, 7));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CoapBlockOption(CoapBlockOption.MaxNumber + 1, true, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CoapBlockOption(-1, true, 0));
    }

    [Theory]
    // RFC 7252 §3.2: minimal big-endian, 0 is the empty value.
    [InlineData(0u, "")]
    [InlineData(1u, "01")]
    [InlineData(42u, "2A")]
    [InlineData(255u, "FF")]
    [InlineData(256u, "01 00")]
    [InlineData(62350u, "F3 8E")]
    [InlineData(0x10000u, "01 00 00")]
    [InlineData(0xFFFFFFFFu, "FF FF FF FF")]
    public void UInt_EncodeAndDecode_Minimal(uint value, string hex)
    {
        Span<byte> encoded = stackalloc byte[4];

        Assert.True(CoapUInt.TryWrite(value, encoded, out int written));

        Assert.Equal(Hex.Of(Hex.Bytes(hex)), Hex.Of(encoded[..written]));
        Assert.Equal(written, CoapUInt.GetEncodedLength(value));
        Assert.True(CoapUInt.TryRead(Hex.Bytes(hex), out uint decoded));
        Assert.Equal(value, decoded);
    }

    [Fact]
    public void UInt_LeadingZerosAndOverlong_AreHandled()
    {
        Assert.True(CoapUInt.TryRead(Hex.Bytes("00 00 2A"), out uint value));
        Assert.Equal(42u, value);
        Assert.False(CoapUInt.TryRead(Hex.Bytes("00 00 00 00 2A"), out _));
        Assert.False(CoapUInt.TryWrite(256, new byte[1], out int written));
        Assert.Equal(0, written);
    }

    [Theory]
    // RFC 7252 §5.4.6: odd = critical, even = elective.
    [InlineData(CoapOptionNumber.IfMatch, true)]
    [InlineData(CoapOptionNumber.UriHost, true)]
    [InlineData(CoapOptionNumber.ETag, false)]
    [InlineData(CoapOptionNumber.Observe, false)]
    [InlineData(CoapOptionNumber.UriPath, true)]
    [InlineData(CoapOptionNumber.ContentFormat, false)]
    [InlineData(CoapOptionNumber.Block2, true)]
    [InlineData(CoapOptionNumber.Block1, true)]
    [InlineData(CoapOptionNumber.Size1, false)]
    [InlineData(CoapOptionNumber.ProxyUri, true)]
    public void OptionNumber_Parity_DecidesCritical(ushort number, bool critical)
    {
        Assert.Equal(critical, CoapOptionNumber.IsCritical(number));
        Assert.Equal(!critical, CoapOptionNumber.IsElective(number));
    }

    [Fact]
    public void OptionNumber_UnsafeAndNoCacheKey_FollowRfc7252Bits()
    {
        Assert.True(CoapOptionNumber.IsUnsafe(CoapOptionNumber.UriHost));
        Assert.False(CoapOptionNumber.IsUnsafe(CoapOptionNumber.ETag));
        Assert.True(CoapOptionNumber.IsNoCacheKey(CoapOptionNumber.Size1));
        Assert.False(CoapOptionNumber.IsNoCacheKey(CoapOptionNumber.UriPath));
    }

    [Theory]
    // Every option the head-end knows, with a legal value, after Uri-Path /ami/ev: nothing to reject.
    [InlineData(CoapOptionNumber.IfMatch, "01 02")]
    [InlineData(CoapOptionNumber.UriHost, "68 65 73")]
    [InlineData(CoapOptionNumber.IfNoneMatch, "")]
    [InlineData(CoapOptionNumber.UriPort, "16 33")]
    [InlineData(CoapOptionNumber.ContentFormat, "2A")]
    [InlineData(CoapOptionNumber.UriQuery, "61 3D 31")]
    [InlineData(CoapOptionNumber.Accept, "2A")]
    [InlineData(CoapOptionNumber.Block1, "0A")]
    [InlineData(CoapOptionNumber.Size1, "10 00")]
    [InlineData(CoapOptionNumber.ETag, "01")]           // unknown but elective: ignored
    [InlineData(CoapOptionNumber.Observe, "")]          // unknown but elective: ignored
    [InlineData(2048, "01")]                            // unknown, even: elective
    public void TryFindUnrecognizedCritical_KnownOrElective_FindsNothing(ushort number, string value)
    {
        byte[] frame = Request((CoapOptionNumber.UriPath, "61 6D 69"), (CoapOptionNumber.UriPath, "65 76"), (number, value));
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(frame, out CoapMessageView message));

        Assert.False(CoapOptionPolicy.TryFindUnrecognizedCritical(message, out _));
    }

    [Theory]
    // Unknown critical options → 4.02 Bad Option (RFC 7252 §5.4.1).
    [InlineData(CoapOptionNumber.Block2, "0A")]
    [InlineData(CoapOptionNumber.ProxyUri, "63 6F 61 70")]
    [InlineData(CoapOptionNumber.ProxyScheme, "63 6F 61 70")]
    [InlineData(9, "")]
    [InlineData(2049, "01")]
    [InlineData(65535, "")]
    // Known, but the value length is out of range: treated as unrecognised (RFC 7252 §5.4.3).
    [InlineData(CoapOptionNumber.Block1, "00 00 00 0A")]
    [InlineData(CoapOptionNumber.IfNoneMatch, "01")]
    [InlineData(CoapOptionNumber.UriHost, "")]
    [InlineData(CoapOptionNumber.UriPort, "00 16 33")]
    [InlineData(CoapOptionNumber.Accept, "00 00 2A")]
    [InlineData(CoapOptionNumber.IfMatch, "01 02 03 04 05 06 07 08 09")]
    public void TryFindUnrecognizedCritical_UnknownOrOutOfRange_ReturnsTheOption(ushort number, string value)
    {
        byte[] frame = Request((CoapOptionNumber.UriPath, "61 6D 69"), (number, value));
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(frame, out CoapMessageView message));

        Assert.True(CoapOptionPolicy.TryFindUnrecognizedCritical(message, out ushort found));

        Assert.Equal(number, found);
    }

    [Fact]
    public void TryFindUnrecognizedCritical_RepeatedBlock1_IsRejected()
    {
        // RFC 7959 §2.1: "Either Block option MUST NOT occur more than once"; RFC 7252 §5.4.5 → unrecognised.
        byte[] frame = Request((CoapOptionNumber.Block1, "0A"), (CoapOptionNumber.Block1, "1A"));
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(frame, out CoapMessageView message));

        Assert.True(CoapOptionPolicy.TryFindUnrecognizedCritical(message, out ushort found));
        Assert.Equal(CoapOptionNumber.Block1, found);
    }

    [Fact]
    public void TryFindUnrecognizedCritical_RepeatedUriPathAndQuery_AreAllowed()
    {
        byte[] frame = Request(
            (CoapOptionNumber.UriPath, "61"), (CoapOptionNumber.UriPath, "62"), (CoapOptionNumber.UriPath, ""),
            (CoapOptionNumber.UriQuery, "78"), (CoapOptionNumber.UriQuery, "79"));
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(frame, out CoapMessageView message));

        Assert.False(CoapOptionPolicy.TryFindUnrecognizedCritical(message, out _));
    }

    [Theory]
    [InlineData(CoapOptionNumber.UriPath, true)]
    [InlineData(CoapOptionNumber.Block1, true)]
    [InlineData(CoapOptionNumber.Size1, true)]
    [InlineData(CoapOptionNumber.Block2, false)]
    [InlineData(CoapOptionNumber.Observe, false)]
    public void IsRecognized_HeadEndSet(ushort number, bool recognized)
    {
        Assert.Equal(recognized, CoapOptionPolicy.IsRecognized(number));
    }

    [Theory]
    [InlineData("B3 61 6D 69 02 65 76", true)]            // /ami/ev
    [InlineData("B3 61 6D 69", false)]                    // /ami
    [InlineData("B3 61 6D 69 02 65 76 01 78", false)]     // /ami/ev/x
    [InlineData("B3 61 6D 69 02 65 77", false)]           // /ami/ew
    [InlineData("B2 65 76 03 61 6D 69", false)]           // /ev/ami
    [InlineData("", false)]                               // /
    [InlineData("32 68 6F 83 61 6D 69 02 65 76", true)]   // Uri-Host "ho" then /ami/ev (Uri-Path delta 8)
    public void UriPath_AmiEvents_MatchesExactlyTwoSegments(string options, bool matches)
    {
        byte[] frame = [.. Hex.Bytes("40 02 00 01"), .. Hex.Bytes(options)];
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(frame, out CoapMessageView message));

        Assert.Equal(matches, CoapUriPath.AmiEvents.Matches(message));
    }

    [Fact]
    public void UriPath_Text_IsSlashSeparated()
    {
        Assert.Equal("/ami/ev", CoapUriPath.AmiEvents.ToString());
        Assert.Equal(2, CoapUriPath.AmiEvents.SegmentCount);
        Assert.Equal("616D69", Hex.Of(CoapUriPath.AmiEvents.GetSegment(0)));
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(Hex.Bytes("40 02 00 01"), out CoapMessageView root));
        Assert.Equal("/", CoapUriPath.Format(root));
        Assert.Throws<ArgumentException>(() => new CoapUriPath(new string('x', 256)));
    }

    [Theory]
    [InlineData(CoapCode.Empty, "0.00", false, false)]
    [InlineData(CoapCode.Post, "0.02", true, false)]
    [InlineData(CoapCode.Changed, "2.04", false, true)]
    [InlineData(CoapCode.Continue, "2.31", false, true)]
    [InlineData(CoapCode.BadOption, "4.02", false, true)]
    [InlineData(CoapCode.RequestEntityIncomplete, "4.08", false, true)]
    [InlineData(CoapCode.RequestEntityTooLarge, "4.13", false, true)]
    [InlineData(CoapCode.ServiceUnavailable, "5.03", false, true)]
    public void Code_ClassDetail_FormatAndKind(byte code, string text, bool request, bool response)
    {
        Assert.Equal(text, CoapCode.Format(code));
        Assert.Equal(request, CoapCode.IsRequest(code));
        Assert.Equal(response, CoapCode.IsResponse(code));
        Assert.Equal(code, CoapCode.Create(CoapCode.GetClass(code), CoapCode.GetDetail(code)));
    }

    [Fact]
    public void Code_ReservedClasses_AreFlagged()
    {
        Assert.True(CoapCode.IsReservedClass(CoapCode.Create(1, 0)));
        Assert.True(CoapCode.IsReservedClass(CoapCode.Create(6, 1)));
        Assert.True(CoapCode.IsReservedClass(CoapCode.Create(7, 31)));
        Assert.False(CoapCode.IsReservedClass(CoapCode.Changed));
        Assert.Throws<ArgumentOutOfRangeException>(() => CoapCode.Create(8, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => CoapCode.Create(2, 32));
    }

    /// <summary>A CON POST with the given options (sorted by number, stable) written by <see cref="CoapWriter"/>.</summary>
    private static byte[] Request(params (ushort Number, string Value)[] options)
    {
        var buffer = new byte[512];
        var writer = new CoapWriter(buffer);
        Assert.True(writer.TryWriteHeader(CoapType.Confirmable, CoapCode.Post, 0x1234, default));
        foreach ((ushort number, string value) in options.OrderBy(o => o.Number))
        {
            Assert.True(writer.TryWriteOption(number, Hex.Bytes(value)));
        }

        return writer.WrittenSpan.ToArray();
    }
}
