using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using OpsConsole.Engine.Protocols.Dlms;
using OpsConsole.Engine.Security;

namespace OpsConsole.Engine.Tests.Dlms;

/// <summary>The §6 protected payloads: the bytes as the contract writes them, decrypted here with AES-GCM directly.</summary>
public sealed class ProtectedTextTests
{
    private static readonly MeterKeys Keys = MeterKeys.Derive(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), Guid.Parse("0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3"));

    [Fact]
    public void Protect_WritesGeneralGloCiphering_AroundADataNotificationWithOneVisibleString()
    {
        byte[] apdu = ProtectedText.Protect(0x4F50534845000001, 0x01020304, Keys, [new("GUID", "g"), new("UPTIME", "12")]);

        Assert.Equal(0xDB, apdu[0]);
        Assert.Equal(0x08, apdu[1]);
        Assert.Equal(0x4F50534845000001UL, BinaryPrimitives.ReadUInt64BigEndian(apdu.AsSpan(2)));
        Assert.Equal(apdu.Length - 11, apdu[10]);
        Assert.Equal(0x30, apdu[11]);
        Assert.Equal(0x01020304u, BinaryPrimitives.ReadUInt32BigEndian(apdu.AsSpan(12)));
        var nonce = apdu.AsSpan(2, 8).ToArray().Concat(apdu.AsSpan(12, 4).ToArray()).ToArray();
        var aad = new byte[] { 0x30 }.Concat(Keys.AuthenticationKey.ToArray()).ToArray();
        var cipher = apdu.AsSpan(16, apdu.Length - 16 - 12);
        var plain = new byte[cipher.Length];
        using var aes = new AesGcm(Keys.EncryptionKey, 12);
        aes.Decrypt(nonce, cipher, apdu.AsSpan(apdu.Length - 12), plain, aad);
        const string text = "GUID=g;UPTIME=12";
        Assert.Equal([0x0F, 0x01, 0x02, 0x03, 0x04, 0x00, 0x0A, (byte)text.Length, .. Encoding.ASCII.GetBytes(text)], plain);
    }

    [Fact]
    public void TryUnprotect_ReadsBackTitleCounterAndPairs_AndRefusesOtherKeysOrATamperedByte()
    {
        byte[] apdu = ProtectedText.Protect(42, 7, Keys, [new("GUID", "x"), new("VOLTAGE", "239000")]);
        var other = MeterKeys.Derive(new byte[32], Guid.NewGuid());
        var tampered = apdu.ToArray();
        tampered[^1] ^= 1;

        Assert.True(ProtectedText.TryUnprotect(apdu, Keys, out ulong title, out uint ic, out var pairs));
        Assert.Equal((42UL, 7u), (title, ic));
        Assert.Equal("239000", pairs["VOLTAGE"]);
        Assert.False(ProtectedText.TryUnprotect(apdu, other, out _, out _, out _));
        Assert.False(ProtectedText.TryUnprotect(tampered, Keys, out _, out _, out _));
        Assert.False(ProtectedText.TryUnprotect([0xDB, 0x08], Keys, out _, out _, out _));
    }

    [Fact]
    public void Protect_RefusesAPairThatWouldBreakTheSyntax()
    {
        Assert.Throws<ArgumentException>(() => ProtectedText.Protect(1, 1, Keys, [new("A;B", "1")]));
        Assert.Throws<ArgumentException>(() => ProtectedText.Protect(1, 1, Keys, [new("A", "1;B=2")]));
    }
}
