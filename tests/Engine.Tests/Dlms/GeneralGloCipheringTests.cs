using System.Security.Cryptography;
using OpsConsole.Engine.Protocols.Dlms;

namespace OpsConsole.Engine.Tests.Dlms;

public class GeneralGloCipheringTests
{
    [Fact]
    public void TryParse_GreenBookFrame_ExposesHeaderAndViews()
    {
        Assert.True(GeneralGloCiphering.TryParse(DlmsFixtures.GreenBookFrame, out var frame, out var error));
        Assert.Equal(DlmsFrameError.None, error);
        Assert.Equal(0x4D4D4D0000BC614EUL, frame.SystemTitleValue);
        Assert.Equal(Hex.Of(DlmsFixtures.GreenBookSystemTitle), Hex.Of(frame.SystemTitle));
        Assert.Equal(0x30, frame.SecurityControl);
        Assert.Equal(DlmsFixtures.GreenBookInvocationCounter, frame.InvocationCounter);
        Assert.Equal(Hex.Of(DlmsFixtures.GreenBookCiphertext), Hex.Of(frame.Ciphertext));
        Assert.Equal(Hex.Of(DlmsFixtures.GreenBookTag), Hex.Of(frame.AuthenticationTag));
    }

    [Fact]
    public void TryDecrypt_GreenBookVector_GivesPublishedPlaintext()
    {
        using var gcm = DlmsFixtures.NewGcm(DlmsFixtures.GreenBookEk);
        Assert.True(GeneralGloCiphering.TryParse(DlmsFixtures.GreenBookFrame, out var frame, out _));
        var plaintext = new byte[64];
        Assert.True(frame.TryDecrypt(gcm, DlmsFixtures.GreenBookAk, plaintext, out int written));
        Assert.Equal(Hex.Of(DlmsFixtures.GreenBookPlaintext), Hex.Of(plaintext.AsSpan(0, written)));
    }

    [Fact]
    public void TryEncrypt_GreenBookVector_GivesPublishedCiphertextAndTag()
    {
        using var gcm = DlmsFixtures.NewGcm(DlmsFixtures.GreenBookEk);
        var frame = new byte[GeneralGloCiphering.GetEncryptedLength(DlmsFixtures.GreenBookPlaintext.Length)];
        Assert.True(GeneralGloCiphering.TryEncrypt(
            DlmsFixtures.GreenBookSystemTitle, DlmsFixtures.GreenBookInvocationCounter, DlmsFixtures.GreenBookPlaintext,
            gcm, DlmsFixtures.GreenBookAk, frame, out int written));
        Assert.Equal(frame.Length, written);
        Assert.Equal(Hex.Of(DlmsFixtures.GreenBookFrame), Hex.Of(frame));
    }

    [Fact]
    public void TryEncrypt_GreenBookGetRequestVector_GivesPublishedBytesAndDecryptsBack()
    {
        using var gcm = DlmsFixtures.NewGcm(DlmsFixtures.GreenBookEk);
        var frame = new byte[GeneralGloCiphering.GetEncryptedLength(DlmsFixtures.GetRequestPlaintext.Length)];
        Assert.True(GeneralGloCiphering.TryEncrypt(
            DlmsFixtures.GreenBookSystemTitle, DlmsFixtures.GreenBookInvocationCounter, DlmsFixtures.GetRequestPlaintext,
            gcm, DlmsFixtures.GreenBookAk, frame, out _));
        Assert.Equal("DB084D4D4D0000BC614E1E3001234567" + Hex.Of(DlmsFixtures.GetRequestCipheredWithTag), Hex.Of(frame));

        Assert.True(GeneralGloCiphering.TryParse(frame, out var parsed, out _));
        var plaintext = new byte[parsed.Ciphertext.Length];
        Assert.True(parsed.TryDecrypt(gcm, DlmsFixtures.GreenBookAk, plaintext, out _));
        Assert.Equal(DlmsFixtures.GetRequestPlaintext, plaintext);
    }

    public static TheoryData<string, int> Tampering() => new()
    {
        { "system title (IV)", 2 },
        { "invocation counter (IV)", 15 },
        { "first ciphertext byte", 16 },
        { "last ciphertext byte", 46 },
        { "first tag byte", 47 },
        { "last tag byte", 58 },
    };

    [Theory]
    [MemberData(nameof(Tampering))]
    public void TryDecrypt_OneBitFlipped_AuthenticationFailsAndDestinationCleared(string where, int offset)
    {
        var bytes = (byte[])DlmsFixtures.GreenBookFrame.Clone();
        bytes[offset] ^= 0x01;
        using var gcm = DlmsFixtures.NewGcm(DlmsFixtures.GreenBookEk);
        Assert.True(GeneralGloCiphering.TryParse(bytes, out var frame, out _), where);
        var plaintext = Enumerable.Repeat((byte)0xEE, 64).ToArray();
        Assert.False(frame.TryDecrypt(gcm, DlmsFixtures.GreenBookAk, plaintext, out int written));
        Assert.Equal(0, written);
        Assert.All(plaintext.Take(frame.Ciphertext.Length), b => Assert.Equal(0, b));
    }

    [Fact]
    public void TryDecrypt_WrongAuthenticationKey_Fails()
    {
        var ak = (byte[])DlmsFixtures.GreenBookAk.Clone();
        ak[15] ^= 0x80; // AK is only in the AAD: it must still be bound to the tag
        using var gcm = DlmsFixtures.NewGcm(DlmsFixtures.GreenBookEk);
        Assert.True(GeneralGloCiphering.TryParse(DlmsFixtures.GreenBookFrame, out var frame, out _));
        Assert.False(frame.TryDecrypt(gcm, ak, new byte[64], out _));
    }

    [Fact]
    public void TryDecrypt_WrongEncryptionKey_Fails()
    {
        var ek = (byte[])DlmsFixtures.GreenBookEk.Clone();
        ek[0] ^= 0x01;
        using var gcm = DlmsFixtures.NewGcm(ek);
        Assert.True(GeneralGloCiphering.TryParse(DlmsFixtures.GreenBookFrame, out var frame, out _));
        Assert.False(frame.TryDecrypt(gcm, DlmsFixtures.GreenBookAk, new byte[64], out _));
    }

    [Fact]
    public void TryDecrypt_GcmWithSixteenByteTag_ThrowsCallerError()
    {
        using var gcm = new AesGcm(DlmsFixtures.GreenBookEk, 16);
        Assert.True(GeneralGloCiphering.TryParse(DlmsFixtures.GreenBookFrame, out var frame, out _));
        try
        {
            frame.TryDecrypt(gcm, DlmsFixtures.GreenBookAk, new byte[64], out _);
            Assert.Fail("expected ArgumentException");
        }
        catch (ArgumentException)
        {
        }
    }

    [Fact]
    public void TryDecrypt_DestinationTooShort_ThrowsCallerError()
    {
        using var gcm = DlmsFixtures.NewGcm(DlmsFixtures.GreenBookEk);
        Assert.True(GeneralGloCiphering.TryParse(DlmsFixtures.GreenBookFrame, out var frame, out _));
        try
        {
            frame.TryDecrypt(gcm, DlmsFixtures.GreenBookAk, new byte[30], out _);
            Assert.Fail("expected ArgumentException");
        }
        catch (ArgumentException)
        {
        }
    }

    [Fact]
    public void TryParse_DeclaredLengthLargerThanReceived_Truncated()
    {
        var cut = DlmsFixtures.GreenBookFrame.AsSpan(0, DlmsFixtures.GreenBookFrame.Length - 1);
        Assert.False(GeneralGloCiphering.TryParse(cut, out var frame, out var error));
        Assert.Equal(DlmsFrameError.Truncated, error);
        Assert.Equal(0x4D4D4D0000BC614EUL, frame.SystemTitleValue); // still known for the log
        Assert.True(frame.HasInvocationCounter);
        Assert.Equal(DlmsFixtures.GreenBookInvocationCounter, frame.InvocationCounter);
    }

    [Fact]
    public void TryParse_EveryProperPrefix_Truncated()
    {
        var full = DlmsFixtures.GreenBookFrame;
        for (int length = 1; length < full.Length; length++)
        {
            Assert.False(GeneralGloCiphering.TryParse(full.AsSpan(0, length), out _, out var error));
            Assert.Equal(DlmsFrameError.Truncated, error);
        }
    }

    [Theory]
    [InlineData("", DlmsFrameError.NotGeneralGloCiphering)]
    [InlineData("0F 80 00 00 01 00", DlmsFrameError.NotGeneralGloCiphering)]                  // a plaintext Data-Notification
    [InlineData("DD 08 4D 4D 4D 00 00 BC 61 4E 11 30 00 00 00 01", DlmsFrameError.NotGeneralGloCiphering)] // general-ded-ciphering
    [InlineData("DB 07 4D 4D 4D 00 00 BC 61 4E", DlmsFrameError.InvalidSystemTitle)]
    [InlineData("DB 08 4D 4D 4D 00 00 BC 61 4E 80", DlmsFrameError.InvalidLengthEncoding)]
    [InlineData("DB 08 4D 4D 4D 00 00 BC 61 4E 83 00 00 11", DlmsFrameError.InvalidLengthEncoding)]
    [InlineData("DB 08 4D 4D 4D 00 00 BC 61 4E 00", DlmsFrameError.ContentTooShort)]
    [InlineData("DB 08 4D 4D 4D 00 00 BC 61 4E 10 30 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00", DlmsFrameError.ContentTooShort)]
    [InlineData("DB 08 4D 4D 4D 00 00 BC 61 4E 01 30 FF", DlmsFrameError.TrailingBytes)]
    public void TryParse_StructuralFault_RejectedWithReason(string hex, DlmsFrameError expected)
    {
        Assert.False(GeneralGloCiphering.TryParse(Hex.Bytes(hex), out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryParse_ShortestValidContent_EmptyCiphertext()
    {
        // 17 = SC + IC + tag: structurally valid (the tag will not verify, and the plaintext would be empty).
        var bytes = Hex.Bytes("DB 08 4D 4D 4D 00 00 BC 61 4E 11 30 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00");
        Assert.True(GeneralGloCiphering.TryParse(bytes, out var frame, out _));
        Assert.Equal(0, frame.Ciphertext.Length);
    }

    [Theory]
    [InlineData(0x10)] // authenticated only
    [InlineData(0x20)] // encrypted only
    [InlineData(0x00)] // neither
    [InlineData(0x31)] // suite 1
    [InlineData(0x70)] // broadcast key
    public void TryParse_SecurityControlOtherThan30_UnsupportedWithHeaderKept(byte securityControl)
    {
        var bytes = (byte[])DlmsFixtures.GreenBookFrame.Clone();
        bytes[11] = securityControl;
        Assert.False(GeneralGloCiphering.TryParse(bytes, out var frame, out var error));
        Assert.Equal(DlmsFrameError.UnsupportedSecurityControl, error);
        Assert.Equal(securityControl, frame.SecurityControl);
        Assert.Equal(0x4D4D4D0000BC614EUL, frame.SystemTitleValue);
        Assert.Equal(DlmsFixtures.GreenBookInvocationCounter, frame.InvocationCounter);
    }

    [Theory]
    [InlineData(0, "11")]        // content 17: one length byte
    [InlineData(110, "7F")]      // content 127: the largest one-byte length
    [InlineData(111, "81 80")]   // content 128
    [InlineData(238, "81 FF")]   // content 255
    [InlineData(239, "82 01 00")] // content 256
    [InlineData(65518, "82 FF FF")] // content 65535: the largest frame
    public void TryEncrypt_LengthBoundaries_UseShortestLengthAndRoundTrip(int plaintextLength, string lengthHex)
    {
        var plaintext = new byte[plaintextLength];
        new Random(plaintextLength).NextBytes(plaintext);
        using var gcm = DlmsFixtures.NewGcm(DlmsFixtures.GreenBookEk);
        var frame = new byte[GeneralGloCiphering.GetEncryptedLength(plaintextLength)];
        Assert.True(GeneralGloCiphering.TryEncrypt(
            DlmsFixtures.GreenBookSystemTitle, 7, plaintext, gcm, DlmsFixtures.GreenBookAk, frame, out _));
        var expectedLength = Hex.Bytes(lengthHex);
        Assert.Equal(Hex.Of(expectedLength), Hex.Of(frame.AsSpan(10, expectedLength.Length)));

        Assert.True(GeneralGloCiphering.TryParse(frame, out var parsed, out var error), error.ToString());
        var decrypted = new byte[plaintextLength];
        Assert.True(parsed.TryDecrypt(gcm, DlmsFixtures.GreenBookAk, decrypted, out int written));
        Assert.Equal(plaintextLength, written);
        Assert.Equal(plaintext, decrypted);
    }

    [Fact]
    public void TryParse_NonMinimalLength_Accepted()
    {
        // 0x30 written as 81 30: A-XDR readers accept it; the tag still authenticates the content.
        var bytes = Hex.Bytes("DB 08 4D 4D 4D 00 00 BC 61 4E 81" + Hex.Of(DlmsFixtures.GreenBookFrame.AsSpan(10)));
        using var gcm = DlmsFixtures.NewGcm(DlmsFixtures.GreenBookEk);
        Assert.True(GeneralGloCiphering.TryParse(bytes, out var frame, out _));
        Assert.True(frame.TryDecrypt(gcm, DlmsFixtures.GreenBookAk, new byte[64], out _));
    }

    [Fact]
    public void GetEncryptedLength_ContentBeyond65535_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GeneralGloCiphering.GetEncryptedLength(65519));
    }

    [Fact]
    public void TryEncrypt_ShortDestination_ReturnsFalse()
    {
        using var gcm = DlmsFixtures.NewGcm(DlmsFixtures.GreenBookEk);
        Assert.False(GeneralGloCiphering.TryEncrypt(
            DlmsFixtures.GreenBookSystemTitle, 1, DlmsFixtures.GreenBookPlaintext, gcm, DlmsFixtures.GreenBookAk, new byte[58], out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void ParseAndDecrypt_HappyPath_AllocatesNothing()
    {
        using var gcm = DlmsFixtures.NewGcm(DlmsFixtures.GreenBookEk);
        var plaintext = new byte[64];
        var frameBytes = DlmsFixtures.GreenBookFrame;
        var ak = DlmsFixtures.GreenBookAk;
        for (int i = 0; i < 100; i++)
        {
            Assert.True(GeneralGloCiphering.TryParse(frameBytes, out var warm, out _));
            Assert.True(warm.TryDecrypt(gcm, ak, plaintext, out _));
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        int ok = 0;
        for (int i = 0; i < 1000; i++)
        {
            if (GeneralGloCiphering.TryParse(frameBytes, out var frame, out _) && frame.TryDecrypt(gcm, ak, plaintext, out _))
            {
                ok++;
            }
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(1000, ok);
        Assert.Equal(0, allocated);
    }
}
