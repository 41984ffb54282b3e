using System.Text;
using OpsConsole.Engine.Protocols.Coap;

namespace OpsConsole.Engine.Tests.Coap;

public class CoapMessageWriteTests
{
    [Fact]
    public void Writer_Rfc7252Figure16Request_WritesExactBytes()
    {
        // RFC 7252 Appendix A, Figure 16: CON GET MID 0x7d34, Uri-Path "temperature", 16 bytes.
        var buffer = new byte[64];
        var writer = new CoapWriter(buffer);

        Assert.True(writer.TryWriteHeader(CoapType.Confirmable, CoapCode.Get, 0x7D34, default));
        Assert.True(writer.TryWriteStringOption(CoapOptionNumber.UriPath, "temperature"));

        Assert.Equal(Hex.Of(Hex.Bytes("40 01 7D 34 BB 74 65 6D 70 65 72 61 74 75 72 65")), Hex.Of(writer.WrittenSpan));
    }

    [Fact]
    public void Writer_Rfc7252Figure17Response_WritesExactBytes()
    {
        // RFC 7252 Appendix A, Figure 17: ACK 2.05 MID 0x7d35, token 0x20, payload "22.3 C", 12 bytes.
        var buffer = new byte[64];
        var writer = new CoapWriter(buffer);

        Assert.True(writer.TryWriteHeader(CoapType.Acknowledgement, CoapCode.Content, 0x7D35, [0x20]));
        Assert.True(writer.TryWritePayload("22.3 C"u8));

        Assert.Equal("61457D3520FF32322E332043", Hex.Of(writer.WrittenSpan));
    }

    [Fact]
    public void Writer_Rfc7959Figure12Notification_WritesExactBytes()
    {
        // RFC 7959 §3.4 Figure 12: 2.05 0x61451636, token FB, ETag 6f00f38e, Observe 62350, Block2 0/1/128.
        byte[] payload = Enumerable.Range(0, 128).Select(i => (byte)i).ToArray();
        var buffer = new byte[256];
        var writer = new CoapWriter(buffer);

        Assert.True(writer.TryWriteHeader(CoapType.Acknowledgement, CoapCode.Content, 0x1636, [0xFB]));
        Assert.True(writer.TryWriteOption(CoapOptionNumber.ETag, Hex.Bytes("6F 00 F3 8E")));
        Assert.True(writer.TryWriteUInt32Option(CoapOptionNumber.Observe, 62350));
        Assert.True(writer.TryWriteBlockOption(CoapOptionNumber.Block2, new CoapBlockOption(0, more: true, sizeExponent: 3)));
        Assert.True(writer.TryWritePayload(payload));

        byte[] expected = [.. Hex.Bytes("61 45 16 36  FB  44 6F 00 F3 8E  22 F3 8E  D1 04 0B  FF"), .. payload];
        Assert.Equal(Hex.Of(expected), Hex.Of(writer.WrittenSpan));
    }

    [Fact]
    public void Writer_EmptyPayload_WritesNoMarker()
    {
        var buffer = new byte[16];
        var writer = new CoapWriter(buffer);

        Assert.True(writer.TryWriteHeader(CoapType.NonConfirmable, CoapCode.Post, 7, default));
        Assert.True(writer.TryWritePayload(default));

        Assert.Equal("50020007", Hex.Of(writer.WrittenSpan));
    }

    [Fact]
    public void Writer_BufferTooSmall_ReturnsFalseAndWritesNothing()
    {
        var buffer = new byte[8];
        var writer = new CoapWriter(buffer);
        Assert.True(writer.TryWriteHeader(CoapType.Confirmable, CoapCode.Post, 1, default));

        Assert.False(writer.TryWriteStringOption(CoapOptionNumber.UriPath, "temperature"));
        Assert.Equal(4, writer.Written);
        Assert.True(writer.TryWriteStringOption(CoapOptionNumber.UriPath, "ami"));
        Assert.False(writer.TryWritePayload([1, 2, 3]));
        Assert.Equal(8, writer.Written);
        Assert.False(new CoapWriter(new byte[3]).TryWriteHeader(CoapType.Confirmable, CoapCode.Post, 1, default));
    }

    [Fact]
    public void Writer_OptionsOutOfOrder_Throws()
    {
        var buffer = new byte[32];

        Assert.Throws<InvalidOperationException>(() =>
        {
            var writer = new CoapWriter(buffer);
            writer.TryWriteHeader(CoapType.Confirmable, CoapCode.Post, 1, default);
            writer.TryWriteUInt32Option(CoapOptionNumber.ContentFormat, 42);
            writer.TryWriteStringOption(CoapOptionNumber.UriPath, "ami");
        });
    }

    [Fact]
    public void Writer_Misuse_Throws()
    {
        var buffer = new byte[32];

        Assert.Throws<ArgumentException>(() => new CoapWriter(buffer).TryWriteHeader(CoapType.Confirmable, CoapCode.Post, 1, new byte[9]));
        Assert.Throws<ArgumentException>(() => new CoapWriter(buffer).TryWriteHeader(CoapType.Confirmable, CoapCode.Empty, 1, [1]));
        Assert.Throws<InvalidOperationException>(() => new CoapWriter(buffer).TryWritePayload([1]));
        Assert.Throws<InvalidOperationException>(() =>
        {
            var writer = new CoapWriter(buffer);
            writer.TryWriteHeader(CoapType.Confirmable, CoapCode.Empty, 1, default);
            writer.TryWritePayload([1]);
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            var writer = new CoapWriter(buffer);
            writer.TryWriteHeader(CoapType.Confirmable, CoapCode.Post, 1, default);
            writer.TryWritePayload([1]);
            writer.TryWriteUInt32Option(CoapOptionNumber.Size1, 1);
        });
    }

    [Theory]
    // Piggy-backed ACK (RFC 7252 §5.2.1) to "44 02 7D 34 0A 0B 0C 0D ..." (CON POST, MID 0x7d34, token 0A0B0C0D):
    // 64 = Ver 1, T ACK, TKL 4; the code; the same MID and token; nothing else.
    [InlineData(CoapCode.Changed, "64 44 7D 34 0A 0B 0C 0D")]
    [InlineData(CoapCode.BadRequest, "64 80 7D 34 0A 0B 0C 0D")]
    [InlineData(CoapCode.Unauthorized, "64 81 7D 34 0A 0B 0C 0D")]
    [InlineData(CoapCode.BadOption, "64 82 7D 34 0A 0B 0C 0D")]
    [InlineData(CoapCode.NotFound, "64 84 7D 34 0A 0B 0C 0D")]
    [InlineData(CoapCode.RequestEntityIncomplete, "64 88 7D 34 0A 0B 0C 0D")]
    [InlineData(CoapCode.RequestEntityTooLarge, "64 8D 7D 34 0A 0B 0C 0D")]
    public void TryWriteAck_ParsedRequest_EchoesMessageIdAndToken(byte code, string expected)
    {
        byte[] request = Hex.Bytes("44 02 7D 34  0A 0B 0C 0D  B3 61 6D 69 02 65 76 11 2A FF 01");
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(request, out CoapMessageView view));
        var buffer = new byte[32];

        Assert.True(CoapMessage.TryWriteAck(buffer, view, code, out int written));

        Assert.Equal(Hex.Of(Hex.Bytes(expected)), Hex.Of(buffer.AsSpan(0, written)));
    }

    [Fact]
    public void TryWriteContinue_Block0Of64_EchoesBlock1WithMoreSet()
    {
        // RFC 7959 §2.9.1 2.31 Continue (code 0x5F) with Block1 (27 = 13 + 14 → D1 0E) 0/1/64 = 0x0A.
        var buffer = new byte[32];

        Assert.True(CoapMessage.TryWriteContinue(buffer, 0x1234, [0xAB], new CoapBlockOption(0, more: true, sizeExponent: 2), out int written));

        Assert.Equal("615F1234ABD10E0A", Hex.Of(buffer.AsSpan(0, written)));
    }

    [Fact]
    public void TryWriteAck_FinalBlock_EchoesBlock1WithMoreClear()
    {
        // RFC 7959 Figure 7: "ACK [MID=1236], 2.04 Changed, 1:2/0/128" — Block1 value 0x23; MID 1236 = 0x04D4.
        var buffer = new byte[32];

        Assert.True(CoapMessage.TryWriteAck(buffer, 1236, default, CoapCode.Changed, new CoapBlockOption(2, more: false, sizeExponent: 3), out int written));

        Assert.Equal("604404D4D10E23", Hex.Of(buffer.AsSpan(0, written)));
    }

    [Fact]
    public void TryWriteRequestEntityTooLarge_WritesSize1()
    {
        // 4.13 (0x8D) with Size1 (60 = 13 + 47 → D2 2F) = 4096 (10 00): RFC 7252 §5.9.2.9, §5.10.9.
        var buffer = new byte[32];

        Assert.True(CoapMessage.TryWriteRequestEntityTooLarge(buffer, 0x1234, default, 4096, out int written));

        Assert.Equal("608D1234D22F1000", Hex.Of(buffer.AsSpan(0, written)));
    }

    [Fact]
    public void TryWriteReset_WritesEmptyRstWithSameMessageId()
    {
        // RFC 7252 Figure 21: "Header: (T=RST, Code=0.00, MID=0xad7c)".
        var buffer = new byte[4];

        Assert.True(CoapMessage.TryWriteReset(buffer, 0xAD7C, out int written));

        Assert.Equal("7000AD7C", Hex.Of(buffer.AsSpan(0, written)));
        Assert.False(CoapMessage.TryWriteReset(new byte[3], 1, out written));
        Assert.Equal(0, written);
    }

    [Theory]
    // wire-format.md §1: POST /ami/ev, Content-Format 42; CON (42 = T 0, TKL 2) or NON (52 = T 1, TKL 2).
    [InlineData(CoapType.Confirmable, "42 02 00 2A  CA FE  B3 61 6D 69  02 65 76  11 2A  FF DB 08")]
    [InlineData(CoapType.NonConfirmable, "52 02 00 2A  CA FE  B3 61 6D 69  02 65 76  11 2A  FF DB 08")]
    public void TryWriteEventPost_WritesPathContentFormatAndPayload(CoapType type, string expected)
    {
        var buffer = new byte[64];

        Assert.True(CoapMessage.TryWriteEventPost(buffer, type, 42, [0xCA, 0xFE], [0xDB, 0x08], out int written));

        Assert.Equal(Hex.Of(Hex.Bytes(expected)), Hex.Of(buffer.AsSpan(0, written)));
    }

    [Fact]
    public void TryWriteEventPost_WithBlock1_AppendsBlockAfterContentFormat()
    {
        // Block1 (27) after Content-Format (12): delta 15 = 13 + 2 → D1 02; 1/1/64 = 0x1A.
        byte[] payload = new byte[64];
        var buffer = new byte[128];

        Assert.True(CoapMessage.TryWriteEventPost(buffer, CoapType.Confirmable, 0x0102, [0x01], new CoapBlockOption(1, more: true, sizeExponent: 2), payload, out int written));

        byte[] expected = [.. Hex.Bytes("41 02 01 02  01  B3 61 6D 69  02 65 76  11 2A  D1 02 1A  FF"), .. payload];
        Assert.Equal(Hex.Of(expected), Hex.Of(buffer.AsSpan(0, written)));
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(buffer.AsSpan(0, written), out CoapMessageView view));
        Assert.Equal(CoapBlockStatus.Ok, view.TryGetBlock1(out CoapBlockOption block));
        Assert.Equal("1/1/64", block.ToString());
    }

    [Fact]
    public void TryWriteEventPost_BufferTooSmall_ReturnsFalseWithZeroWritten()
    {
        Assert.False(CoapMessage.TryWriteEventPost(new byte[16], CoapType.Confirmable, 1, default, new byte[8], out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void Writer_StringOption_EncodesUtf8()
    {
        // RFC 7252 Appendix B: Uri-Path U+3053 U+3093 U+306B U+3061 U+306F is E38193E38293E381ABE381A1E381AF (15 bytes → BD 02).
        var buffer = new byte[32];
        var writer = new CoapWriter(buffer);
        writer.TryWriteHeader(CoapType.Confirmable, CoapCode.Get, 1, default);

        Assert.True(writer.TryWriteStringOption(CoapOptionNumber.UriPath, "\u3053\u3093\u306B\u3061\u306F"));

        Assert.Equal("40010001BD02E38193E38293E381ABE381A1E381AF", Hex.Of(writer.WrittenSpan));
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(writer.WrittenSpan, out CoapMessageView view));
        Assert.Equal("/\u3053\u3093\u306B\u3061\u306F", CoapUriPath.Format(view));
        Assert.True(new CoapUriPath("\u3053\u3093\u306B\u3061\u306F").Matches(view));
        Assert.Equal(15, Encoding.UTF8.GetByteCount("\u3053\u3093\u306B\u3061\u306F"));
    }
}
