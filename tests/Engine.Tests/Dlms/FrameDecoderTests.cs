using System.Buffers.Binary;
using OpsConsole.Engine.Protocols.Dlms;
using OpsConsole.Engine.Security;

namespace OpsConsole.Engine.Tests.Dlms;

public sealed class FrameDecoderTests : IDisposable
{
    private static readonly Guid OtherMeter = Guid.Parse("0b2f6f0e-8d1c-4f6a-9a43-6a1d2b3c4d5e");

    private readonly MeterKeys _keys = MeterKeys.Derive(DlmsFixtures.MasterKey, DlmsFixtures.MeterGuid);
    private readonly FrameDecoder _decoder;

    public FrameDecoderTests()
    {
        var lookup = new DictionaryKeyLookup()
            .Add(DlmsFixtures.MeterSystemTitle, DlmsFixtures.MeterGuid, _keys)
            .Add(0x4D4D4D0000000002UL, OtherMeter, MeterKeys.Derive(DlmsFixtures.MasterKey, OtherMeter))
            .Add(0x4D4D4D0000000003UL, DlmsFixtures.MeterGuid, new MeterKeys(DlmsFixtures.GreenBookEk, DlmsFixtures.GreenBookAk));
        _decoder = new FrameDecoder(lookup);
    }

    public void Dispose() => _decoder.Dispose();

    [Fact]
    public void Encrypt_ReferenceNotification_GivesTheIndependentlyComputedFrame()
    {
        var frame = DlmsFixtures.Encrypt(DlmsFixtures.NotificationPlaintext, _keys, DlmsFixtures.MeterSystemTitle, 1);
        Assert.Equal(Hex.Of(DlmsFixtures.NotificationFrame), Hex.Of(frame));
    }

    [Fact]
    public void Decode_ReferenceFrame_OkWithEventTitleAndCounter()
    {
        var result = _decoder.Decode(DlmsFixtures.NotificationFrame);
        Assert.Equal(FrameDecodeStatus.Ok, result.Status);
        Assert.True(result.IsOk);
        Assert.Equal(DlmsFrameError.None, result.Error);
        Assert.Equal(DlmsFixtures.NotificationEvent, result.Event);
        Assert.Equal(DlmsFixtures.MeterSystemTitle, result.SystemTitle);
        Assert.Equal(1u, result.InvocationCounter);
        Assert.Equal(DlmsFixtures.MeterGuid, result.RegisteredMeterId);
    }

    [Fact]
    public void Decode_SameFrameTwice_OkBothTimesBecauseReplayIsTheIngestStagesJob()
    {
        Assert.True(_decoder.Decode(DlmsFixtures.NotificationFrame).IsOk);
        Assert.True(_decoder.Decode(DlmsFixtures.NotificationFrame).IsOk);
        Assert.Equal(1, _decoder.Ciphers.Hits);
    }

    [Fact]
    public void Decode_UnregisteredSystemTitle_UnknownSystemTitle()
    {
        var frame = DlmsFixtures.Encrypt(DlmsFixtures.NotificationPlaintext, _keys, 0x4D4D4D0000000099UL, 5);
        var result = _decoder.Decode(frame);
        Assert.Equal(FrameDecodeStatus.UnknownSystemTitle, result.Status);
        Assert.Equal(0x4D4D4D0000000099UL, result.SystemTitle);
        Assert.Equal(5u, result.InvocationCounter);
        Assert.Null(result.RegisteredMeterId);
    }

    [Fact]
    public void Decode_FrameUnderAnotherMetersKeys_AuthenticationFailed()
    {
        // Sent under the reference meter's keys, but claiming meter 2's system title.
        var frame = DlmsFixtures.Encrypt(DlmsFixtures.NotificationPlaintext, _keys, 0x4D4D4D0000000002UL, 9);
        var result = _decoder.Decode(frame);
        Assert.Equal(FrameDecodeStatus.AuthenticationFailed, result.Status);
        Assert.Equal(DlmsFrameError.AuthenticationFailed, result.Error);
        Assert.Equal(OtherMeter, result.RegisteredMeterId);
        Assert.Equal(9u, result.InvocationCounter);
    }

    [Fact]
    public void Decode_AuthenticGuidMismatch_RogueGuid()
    {
        // Meter 2's keys authenticate the frame, but the notification inside names the reference meter.
        var frame = DlmsFixtures.Encrypt(
            DlmsFixtures.NotificationPlaintext, MeterKeys.Derive(DlmsFixtures.MasterKey, OtherMeter), 0x4D4D4D0000000002UL, 3);
        var result = _decoder.Decode(frame);
        Assert.Equal(FrameDecodeStatus.RogueGuid, result.Status);
        Assert.Equal(OtherMeter, result.RegisteredMeterId);
        Assert.Equal(DlmsFixtures.MeterGuid, result.Event.MeterId);
    }

    [Fact]
    public void Decode_GreenBookInitiateRequest_NotADataNotificationWithItsTag()
    {
        var frame = DlmsFixtures.Encrypt(DlmsFixtures.GreenBookPlaintext, new MeterKeys(DlmsFixtures.GreenBookEk, DlmsFixtures.GreenBookAk), 0x4D4D4D0000000003UL, 1);
        var result = _decoder.Decode(frame);
        Assert.Equal(FrameDecodeStatus.NotADataNotification, result.Status);
        Assert.Equal(DlmsFrameError.NotADataNotification, result.Error);
        Assert.Equal((byte)0x01, result.PlaintextTag); // xDLMS InitiateRequest
    }

    [Fact]
    public void Decode_AuthenticEmptyPlaintext_NotADataNotificationWithoutTag()
    {
        var frame = DlmsFixtures.Encrypt([], _keys, DlmsFixtures.MeterSystemTitle, 2);
        var result = _decoder.Decode(frame);
        Assert.Equal(FrameDecodeStatus.NotADataNotification, result.Status);
        Assert.Null(result.PlaintextTag);
    }

    [Fact]
    public void Decode_AuthenticMalformedNotification_MalformedWithReason()
    {
        var plaintext = (byte[])DlmsFixtures.NotificationPlaintext.Clone();
        plaintext[19] = 0x06; // structure of 6
        var result = _decoder.Decode(DlmsFixtures.Encrypt(plaintext, _keys, DlmsFixtures.MeterSystemTitle, 2));
        Assert.Equal(FrameDecodeStatus.Malformed, result.Status);
        Assert.Equal(DlmsFrameError.WrongElementCount, result.Error);
        Assert.Equal(DlmsFixtures.MeterGuid, result.RegisteredMeterId);
    }

    [Fact]
    public void Decode_DeclaredLengthBeyondReceived_Truncated()
    {
        var result = _decoder.Decode(DlmsFixtures.NotificationFrame.AsSpan(0, 60));
        Assert.Equal(FrameDecodeStatus.Truncated, result.Status);
        Assert.Equal(DlmsFrameError.Truncated, result.Error);
        Assert.Equal(DlmsFixtures.MeterSystemTitle, result.SystemTitle);
        Assert.Equal(1u, result.InvocationCounter);
    }

    [Fact]
    public void Decode_SecurityControl10_UnsupportedSecurity()
    {
        var frame = (byte[])DlmsFixtures.NotificationFrame.Clone();
        frame[11] = 0x10;
        var result = _decoder.Decode(frame);
        Assert.Equal(FrameDecodeStatus.UnsupportedSecurity, result.Status);
        Assert.Equal(DlmsFrameError.UnsupportedSecurityControl, result.Error);
        Assert.Equal(DlmsFixtures.MeterSystemTitle, result.SystemTitle);
    }

    [Theory]
    [InlineData("", DlmsFrameError.NotGeneralGloCiphering)]
    [InlineData("0F 00 00 00 01 00 02 07", DlmsFrameError.NotGeneralGloCiphering)] // an unciphered Data-Notification
    [InlineData("DB 09 4D 4D 4D 00 00 BC 61 4E 00", DlmsFrameError.InvalidSystemTitle)]
    public void Decode_NotAFrame_Malformed(string hex, DlmsFrameError expected)
    {
        var result = _decoder.Decode(Hex.Bytes(hex));
        Assert.Equal(FrameDecodeStatus.Malformed, result.Status);
        Assert.Equal(expected, result.Error);
    }

    [Fact]
    public void Decode_TamperedFrame_AuthenticationFailed()
    {
        var frame = (byte[])DlmsFixtures.NotificationFrame.Clone();
        frame[40] ^= 0x04;
        Assert.Equal(FrameDecodeStatus.AuthenticationFailed, _decoder.Decode(frame).Status);
    }

    [Fact]
    public void Decode_HappyPathOnceCached_AllocatesNothing()
    {
        var frame = DlmsFixtures.NotificationFrame;
        for (int i = 0; i < 100; i++)
        {
            Assert.True(_decoder.Decode(frame).IsOk);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        int ok = 0;
        for (int i = 0; i < 1000; i++)
        {
            if (_decoder.Decode(frame).IsOk)
            {
                ok++;
            }
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(1000, ok);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Decode_100000SeededRandomAndMutatedApdus_NeverThrows()
    {
        var random = new Random(20240501);
        var valid = DlmsFixtures.NotificationFrame;
        var plaintext = DlmsFixtures.NotificationPlaintext;
        var counts = new Dictionary<FrameDecodeStatus, int>();
        for (int i = 0; i < 100_000; i++)
        {
            byte[] apdu;
            switch (i % 4)
            {
                case 0: // outer frame mutated: mostly structural faults or tag failures
                    apdu = Mutate(random, valid);
                    break;
                case 1: // plaintext mutated, then properly encrypted: exercises the Data-Notification parser behind a valid tag
                    var mutated = Mutate(random, plaintext);
                    apdu = DlmsFixtures.Encrypt(mutated, _keys, DlmsFixtures.MeterSystemTitle, (uint)i);
                    var direct = DataNotification.TryParse(mutated, out _, out var directError);
                    var viaDecoder = _decoder.Decode(apdu);
                    Assert.Equal(direct ? DlmsFrameError.None : directError, viaDecoder.Error);
                    break;
                case 2: // random bytes behind a valid-looking header
                    apdu = new byte[random.Next(0, 120)];
                    random.NextBytes(apdu);
                    if (apdu.Length > 11)
                    {
                        apdu[0] = 0xDB;
                        apdu[1] = 0x08;
                        BinaryPrimitives.WriteUInt64BigEndian(apdu.AsSpan(2), DlmsFixtures.MeterSystemTitle);
                        apdu[10] = (byte)(apdu.Length - 11);
                        apdu[11] = 0x30;
                    }

                    break;
                default: // pure noise
                    apdu = new byte[random.Next(0, 200)];
                    random.NextBytes(apdu);
                    break;
            }

            var result = _decoder.Decode(apdu);
            counts[result.Status] = counts.GetValueOrDefault(result.Status) + 1;
            if (result.IsOk)
            {
                Assert.Equal(DlmsFixtures.MeterGuid, result.Event.MeterId);
            }
        }

        // The corpus reaches every layer, not only the first check.
        Assert.True(counts.GetValueOrDefault(FrameDecodeStatus.Ok) > 0);
        Assert.True(counts.GetValueOrDefault(FrameDecodeStatus.Malformed) > 0);
        Assert.True(counts.GetValueOrDefault(FrameDecodeStatus.Truncated) > 0);
        Assert.True(counts.GetValueOrDefault(FrameDecodeStatus.AuthenticationFailed) > 0);
        Assert.True(counts.GetValueOrDefault(FrameDecodeStatus.UnsupportedSecurity) > 0);
        Assert.True(counts.GetValueOrDefault(FrameDecodeStatus.UnknownSystemTitle) > 0);
        Assert.True(counts.GetValueOrDefault(FrameDecodeStatus.NotADataNotification) > 0);
        Assert.True(counts.GetValueOrDefault(FrameDecodeStatus.RogueGuid) > 0);
    }

    private static byte[] Mutate(Random random, byte[] source)
    {
        var bytes = new List<byte>(source);
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits; e++)
        {
            switch (random.Next(6))
            {
                case 0 when bytes.Count > 0:
                    bytes[random.Next(bytes.Count)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                    break;
                case 2 when bytes.Count > 0:
                    bytes.RemoveRange(random.Next(bytes.Count), 1);
                    break;
                case 3:
                    bytes.Insert(random.Next(bytes.Count + 1), (byte)random.Next(256));
                    break;
                case 4 when bytes.Count > 0:
                    int keep = random.Next(bytes.Count);
                    bytes.RemoveRange(keep, bytes.Count - keep);
                    break;
                case 5 when bytes.Count > 0:
                    // Interesting values at random places: lengths, tags, "not specified".
                    byte[] specials = [0x00, 0x7F, 0x80, 0x81, 0x82, 0x83, 0xFF, 0x02, 0x06, 0x09, 0x0C, 0x0F, 0x11, 0x12, 0x19, 0x30, 0xDB];
                    bytes[random.Next(bytes.Count)] = specials[random.Next(specials.Length)];
                    break;
            }
        }

        return [.. bytes];
    }
}
