using System.Text;
using OpsConsole.Engine.Protocols.Coap;

namespace OpsConsole.Engine.Tests.Coap;

public class CoapMessageParseTests
{
    // RFC 7252 Appendix A, Figure 16: CON GET, MID 0x7d34, no token, Uri-Path "temperature" (16 bytes).
    private const string Figure16Request = "40 01 7D 34  BB 74 65 6D 70 65 72 61 74 75 72 65";

    // RFC 7252 Appendix A, Figure 16: piggy-backed ACK 2.05 Content, MID 0x7d34, payload "22.3 C" (11 bytes).
    private const string Figure16Response = "60 45 7D 34  FF 32 32 2E 33 20 43";

    // RFC 7252 Appendix A, Figure 17: as Figure 16 with token 0x20 (17 and 12 bytes).
    private const string Figure17Request = "41 01 7D 35  20  BB 74 65 6D 70 65 72 61 74 75 72 65";
    private const string Figure17Response = "61 45 7D 35  20  FF 32 32 2E 33 20 43";

    [Fact]
    public void TryParse_Rfc7252Figure16Request_ReadsConGetWithUriPath()
    {
        byte[] frame = Hex.Bytes(Figure16Request);

        CoapParseStatus status = CoapMessage.TryParse(frame, out CoapMessageView message);

        Assert.Equal(CoapParseStatus.Ok, status);
        Assert.Equal(16, frame.Length);
        Assert.Equal(1, message.Version);
        Assert.Equal(CoapType.Confirmable, message.Type);
        Assert.Equal(CoapCode.Get, message.Code);
        Assert.Equal(0x7D34, message.MessageId);
        Assert.Equal(0, message.TokenLength);
        Assert.True(message.Token.IsEmpty);
        Assert.True(message.Payload.IsEmpty);
        Assert.Equal(CoapFormatError.None, message.FormatError);
        var options = new List<(ushort Number, string Value)>();
        foreach (CoapOption option in message.Options)
        {
            options.Add((option.Number, Encoding.ASCII.GetString(option.Value)));
        }

        Assert.Equal(new List<(ushort, string)> { (CoapOptionNumber.UriPath, "temperature") }, options);
    }

    [Fact]
    public void TryParse_Rfc7252Figure16Response_ReadsPiggybackedContent()
    {
        byte[] frame = Hex.Bytes(Figure16Response);

        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(frame, out CoapMessageView message));

        Assert.Equal(11, frame.Length);
        Assert.Equal(CoapType.Acknowledgement, message.Type);
        Assert.Equal(CoapCode.Content, message.Code);
        Assert.Equal("2.05", CoapCode.Format(message.Code));
        Assert.Equal(0x7D34, message.MessageId);
        Assert.Equal(0, message.Options.Count());
        Assert.Equal("22.3 C", Encoding.ASCII.GetString(message.Payload));
    }

    [Fact]
    public void TryParse_Rfc7252Figure17_ReadsOneByteToken()
    {
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(Hex.Bytes(Figure17Request), out CoapMessageView request));
        Assert.Equal(1, request.TokenLength);
        Assert.Equal("20", Hex.Of(request.Token));
        Assert.Equal(0x7D35, request.MessageId);
        Assert.False(CoapUriPath.AmiEvents.Matches(request));
        Assert.Equal("/temperature", CoapUriPath.Format(request));

        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(Hex.Bytes(Figure17Response), out CoapMessageView response));
        Assert.Equal("20", Hex.Of(response.Token));
        Assert.Equal("22.3 C", Encoding.ASCII.GetString(response.Payload));
    }

    [Fact]
    public void TryParse_Rfc7959Figure12Request_ReadsObserveThenUriPath()
    {
        // RFC 7959 §3.4 Figure 12: "GET 0x41011636, Token 0xfb, Uri-Path status-icon, Observe (empty)".
        // Options sorted: Observe (6, delta 6, length 0) = 60; Uri-Path (11, delta 5, length 11) = 5B.
        byte[] frame = Hex.Bytes("41 01 16 36  FB  60  5B 73 74 61 74 75 73 2D 69 63 6F 6E");

        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(frame, out CoapMessageView message));

        Assert.Equal(0x1636, message.MessageId);
        Assert.Equal("FB", Hex.Of(message.Token));
        Assert.True(message.TryGetOption(CoapOptionNumber.Observe, out ReadOnlySpan<byte> observe));
        Assert.True(observe.IsEmpty);
        Assert.Equal("/status-icon", CoapUriPath.Format(message));
        Assert.Equal(CoapBlockStatus.Absent, message.TryGetBlock2(out _));
    }

    [Fact]
    public void TryParse_Rfc7959Figure12PiggybackedResponse_ReadsETagObserveBlock2AndPayload()
    {
        // RFC 7959 §3.4 Figure 12: "2.05 0x61451636, Token 0xfb, Block2 0/1/128, Observe 62350,
        // ETag 6f00f38e, Payload [128 bytes]". ETag (4): 44 6F00F38E; Observe (6, delta 2): 22 F38E;
        // Block2 (23, delta 17 = 13 + 4): D1 04 0B; then FF and the payload.
        byte[] payload = Enumerable.Range(0, 128).Select(i => (byte)i).ToArray();
        byte[] frame = [.. Hex.Bytes("61 45 16 36  FB  44 6F 00 F3 8E  22 F3 8E  D1 04 0B  FF"), .. payload];

        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(frame, out CoapMessageView message));

        Assert.Equal(CoapType.Acknowledgement, message.Type);
        Assert.Equal(CoapCode.Content, message.Code);
        Assert.True(message.TryGetOption(CoapOptionNumber.ETag, out ReadOnlySpan<byte> etag));
        Assert.Equal("6F00F38E", Hex.Of(etag));
        Assert.True(message.TryGetUInt32(CoapOptionNumber.Observe, out uint observe));
        Assert.Equal(62350u, observe);
        Assert.Equal(CoapBlockStatus.Ok, message.TryGetBlock2(out CoapBlockOption block2));
        Assert.Equal("0/1/128", block2.ToString());
        Assert.Equal(payload, message.Payload.ToArray());
    }

    [Fact]
    public void TryParse_Rfc7959Figure12EmptyAck_IsEmptyMessage()
    {
        // RFC 7959 §3.4 Figure 12: the client's empty ACK "Header: 0x6000af9c".
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(Hex.Bytes("60 00 AF 9C"), out CoapMessageView message));

        Assert.True(message.IsEmpty);
        Assert.Equal(CoapType.Acknowledgement, message.Type);
        Assert.Equal(0xAF9C, message.MessageId);
    }

    [Fact]
    public void TryParse_EmptyConfirmable_IsCoapPing()
    {
        // RFC 7252 §4.2/§4.3: an Empty CON elicits a RST ("CoAP ping").
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(Hex.Bytes("40 00 12 34"), out CoapMessageView message));

        Assert.True(message.IsEmpty);
        Assert.False(message.IsRequest);
        Assert.Equal(CoapType.Confirmable, message.Type);
        Assert.Equal(0x1234, message.MessageId);
    }

    [Fact]
    public void TryParse_MeterEventPost_ReadsPathContentFormatAndApdu()
    {
        // wire-format.md §1: CON POST /ami/ev, Content-Format 42, token CAFE, payload a DLMS APDU (DB ...).
        // Uri-Path "ami" B3 616D69, Uri-Path "ev" 02 6576, Content-Format (12, delta 1) 11 2A.
        byte[] frame = Hex.Bytes("42 02 00 01  CA FE  B3 61 6D 69  02 65 76  11 2A  FF DB 08 01 02");

        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(frame, out CoapMessageView message));

        Assert.True(message.IsRequest);
        Assert.Equal(CoapCode.Post, message.Code);
        Assert.True(CoapUriPath.AmiEvents.Matches(message));
        Assert.True(message.TryGetContentFormat(out ushort contentFormat));
        Assert.Equal(CoapContentFormat.OctetStream, contentFormat);
        Assert.Equal("DB080102", Hex.Of(message.Payload));
        Assert.Equal(2, message.GetOptions(CoapOptionNumber.UriPath).Count());
    }

    [Theory]
    // RFC 7252 §3.1: delta and length nibbles 0-12 literal, 13 = 1 extension byte (value - 13),
    // 14 = 2 big-endian extension bytes (value - 269). Each row: option number, value length, header bytes.
    [InlineData(12, 0, "C0")]
    [InlineData(13, 0, "D0 00")]
    [InlineData(60, 2, "D2 2F")]
    [InlineData(268, 0, "D0 FF")]
    [InlineData(269, 0, "E0 00 00")]
    [InlineData(300, 1, "E1 00 1F")]
    [InlineData(65535, 0, "E0 FE F2")]
    [InlineData(1, 12, "1C")]
    [InlineData(1, 13, "1D 00")]
    [InlineData(1, 268, "1D FF")]
    [InlineData(1, 269, "1E 00 00")]
    [InlineData(1, 1000, "1E 02 DB")]
    [InlineData(27, 13, "DD 0E 00")]
    [InlineData(2000, 300, "EE 06 C3 00 1F")]
    public void TryParse_ExtendedDeltaAndLength_ReadsExactNumberAndValue(int number, int length, string header)
    {
        byte[] value = Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();
        byte[] frame = [.. Hex.Bytes("40 02 00 01"), .. Hex.Bytes(header), .. value];

        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(frame, out CoapMessageView message));

        int count = 0;
        foreach (CoapOption option in message.Options)
        {
            Assert.Equal(number, option.Number);
            Assert.Equal(value, option.Value.ToArray());
            count++;
        }

        Assert.Equal(1, count);

        // The writer produces the same header: the encoding is canonical.
        var buffer = new byte[frame.Length];
        var writer = new CoapWriter(buffer);
        Assert.True(writer.TryWriteHeader(CoapType.Confirmable, CoapCode.Post, 1, default));
        Assert.True(writer.TryWriteOption((ushort)number, value));
        Assert.Equal(Hex.Of(frame), Hex.Of(writer.WrittenSpan));
    }

    [Fact]
    public void TryParse_ByteFFInsideOptionValue_IsNotAPayloadMarker()
    {
        // RFC 7252 §3 implementation note: 0xFF is a marker only where an option could begin.
        // ETag (4) of length 1 with value FF, then If-None-Match (5, delta 1) empty; no payload.
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(Hex.Bytes("40 01 00 01  41 FF  10"), out CoapMessageView message));

        Assert.True(message.TryGetOption(CoapOptionNumber.ETag, out ReadOnlySpan<byte> etag));
        Assert.Equal("FF", Hex.Of(etag));
        Assert.True(message.TryGetOption(CoapOptionNumber.IfNoneMatch, out _));
        Assert.True(message.Payload.IsEmpty);
    }

    [Fact]
    public void TryParse_RepeatedOptions_EnumeratesInstancesInOrder()
    {
        // RFC 7252 Appendix B: Uri-Path "", "/", "", "" then Uri-Query "//", "?&" (198.51.100.1:61616//%2F//?%2F%2F&?%26).
        byte[] frame = Hex.Bytes("40 01 00 01  B0  01 2F  00  00  42 2F 2F  02 3F 26");

        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(frame, out CoapMessageView message));

        var path = new List<string>();
        foreach (CoapOption segment in message.GetOptions(CoapOptionNumber.UriPath))
        {
            path.Add(Encoding.ASCII.GetString(segment.Value));
        }

        var query = new List<string>();
        foreach (CoapOption parameter in message.GetOptions(CoapOptionNumber.UriQuery))
        {
            query.Add(Encoding.ASCII.GetString(parameter.Value));
        }

        Assert.Equal(new[] { "", "/", "", "" }, path);
        Assert.Equal(new[] { "//", "?&" }, query);
        Assert.Equal(6, message.Options.Count());
    }

    [Theory]
    [InlineData("")]
    [InlineData("40")]
    [InlineData("40 01")]
    [InlineData("40 01 7D")]
    public void TryParse_TruncatedHeader_IsHeaderTruncated(string hex)
    {
        Assert.Equal(CoapParseStatus.HeaderTruncated, CoapMessage.TryParse(Hex.Bytes(hex), out _));
    }

    [Theory]
    // RFC 7252 §3: "Messages with unknown version numbers MUST be silently ignored" (no RST).
    [InlineData("00 01 12 34", 0)]
    [InlineData("84 02 12 34", 2)]
    [InlineData("C4 02 12 34 01 02 03 04", 3)]
    public void TryParse_VersionNotOne_IsUnsupportedVersionWithHeaderExposed(string hex, int version)
    {
        Assert.Equal(CoapParseStatus.UnsupportedVersion, CoapMessage.TryParse(Hex.Bytes(hex), out CoapMessageView message));

        Assert.Equal(version, message.Version);
        Assert.Equal(0x1234, message.MessageId);
    }

    [Theory]
    // Each: the datagram, the error, its type, its Message ID.
    // TKL 9 and 15 are reserved (RFC 7252 §3).
    [InlineData("49 02 12 34 01 02 03 04 05 06 07 08 09", CoapFormatError.TokenLengthReserved, CoapType.Confirmable)]
    [InlineData("5F 02 12 34", CoapFormatError.TokenLengthReserved, CoapType.NonConfirmable)]
    // TKL 4 with two token bytes.
    [InlineData("44 02 12 34 AA BB", CoapFormatError.TokenTruncated, CoapType.Confirmable)]
    // Empty message (0.00) with a token, or with anything after the Message ID (RFC 7252 §4.1).
    [InlineData("41 00 12 34 AA", CoapFormatError.EmptyMessageNotEmpty, CoapType.Confirmable)]
    [InlineData("40 00 12 34 FF 01", CoapFormatError.EmptyMessageNotEmpty, CoapType.Confirmable)]
    [InlineData("70 00 12 34 00", CoapFormatError.EmptyMessageNotEmpty, CoapType.Reset)]
    // Option delta nibble 15 in a byte that is not FF (RFC 7252 §3.1).
    [InlineData("40 02 12 34 F0", CoapFormatError.OptionDeltaReserved, CoapType.Confirmable)]
    [InlineData("40 02 12 34 B3 61 6D 69 F1 00", CoapFormatError.OptionDeltaReserved, CoapType.Confirmable)]
    // Option length nibble 15 (RFC 7252 §3.1).
    [InlineData("40 02 12 34 BF 61", CoapFormatError.OptionLengthReserved, CoapType.Confirmable)]
    [InlineData("50 02 12 34 0F", CoapFormatError.OptionLengthReserved, CoapType.NonConfirmable)]
    // Truncated options: missing delta/length extension bytes, or a short value.
    [InlineData("40 02 12 34 D0", CoapFormatError.OptionTruncated, CoapType.Confirmable)]
    [InlineData("40 02 12 34 E0 00", CoapFormatError.OptionTruncated, CoapType.Confirmable)]
    [InlineData("40 02 12 34 1D", CoapFormatError.OptionTruncated, CoapType.Confirmable)]
    [InlineData("40 02 12 34 1E 00", CoapFormatError.OptionTruncated, CoapType.Confirmable)]
    [InlineData("40 02 12 34 B3 61 6D", CoapFormatError.OptionTruncated, CoapType.Confirmable)]
    [InlineData("40 02 12 34 1E 00 00 01", CoapFormatError.OptionTruncated, CoapType.Confirmable)]
    // Option 65535 then a delta of 1: no such option number.
    [InlineData("40 02 12 34 E0 FE F2 10", CoapFormatError.OptionNumberTooLarge, CoapType.Confirmable)]
    // Payload marker followed by nothing (RFC 7252 §3).
    [InlineData("40 02 12 34 FF", CoapFormatError.PayloadMarkerWithoutPayload, CoapType.Confirmable)]
    [InlineData("52 02 12 34 CA FE B3 61 6D 69 FF", CoapFormatError.PayloadMarkerWithoutPayload, CoapType.NonConfirmable)]
    public void TryParse_MalformedAfterHeader_IsFormatErrorWithTypeAndMessageId(string hex, CoapFormatError error, CoapType type)
    {
        Assert.Equal(CoapParseStatus.FormatError, CoapMessage.TryParse(Hex.Bytes(hex), out CoapMessageView message));

        Assert.Equal(error, message.FormatError);
        Assert.Equal(type, message.Type);
        Assert.Equal(0x1234, message.MessageId);
        Assert.True(message.Payload.IsEmpty);
        Assert.Equal(0, message.Options.Count());
    }

    [Fact]
    public void TryParse_FormatErrorAfterToken_StillExposesToken()
    {
        Assert.Equal(CoapParseStatus.FormatError, CoapMessage.TryParse(Hex.Bytes("42 02 12 34 CA FE BF"), out CoapMessageView message));

        Assert.Equal(CoapFormatError.OptionLengthReserved, message.FormatError);
        Assert.Equal("CAFE", Hex.Of(message.Token));
    }

    [Fact]
    public void TryParse_ReservedCodeClass_IsWellFormedButFlagged()
    {
        // Class 1, 6 and 7 are reserved; RFC 7252 §4.2 rejects such a CON with a RST, which is the caller's call.
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(Hex.Bytes("40 E1 12 34"), out CoapMessageView message));

        Assert.True(CoapCode.IsReservedClass(message.Code));
        Assert.False(message.IsRequest);
    }
}
