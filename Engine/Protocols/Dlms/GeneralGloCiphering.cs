using System.Buffers.Binary;
using System.Security.Cryptography;

namespace OpsConsole.Engine.Protocols.Dlms;

/// <summary>
/// The DLMS/COSEM <c>general-glo-ciphering</c> APDU, security suite 0 (AES-GCM-128), as the contract
/// uses it (wire-format.md §2; DLMS UA 1000-2 "Green Book"):
/// <code>
/// DB                 tag
/// 08 + 8 bytes       system title
/// len                A-XDR length of the rest (1 byte &lt; 0x80, 81 nn, 82 nnnn)
/// 30                 security control: suite 0, authenticated + encrypted
/// 4 bytes            invocation counter, big-endian
/// n bytes            ciphertext
/// 12 bytes           GCM tag (truncated to 12 bytes)
/// </code>
/// IV = system title ‖ invocation counter; AAD = security control ‖ AK.
/// </summary>
public static class GeneralGloCiphering
{
    /// <summary>The APDU tag.</summary>
    public const byte Tag = 0xDB;

    /// <summary>The only security control byte accepted: suite 0, authenticated and encrypted.</summary>
    public const byte SecurityControlAuthenticatedEncrypted = 0x30;

    /// <summary>System title length.</summary>
    public const int SystemTitleSize = 8;

    /// <summary>GCM tag length on the wire.</summary>
    public const int AuthenticationTagSize = 12;

    /// <summary>EK and AK length (AES-128).</summary>
    public const int KeySize = 16;

    internal const int NonceSize = SystemTitleSize + sizeof(uint);
    internal const int AadSize = 1 + KeySize;

    private const int HeaderSize = 1 + 1 + SystemTitleSize; // DB 08 <title>
    private const int MinimumContentLength = 1 + sizeof(uint) + AuthenticationTagSize;
    private const int MaximumContentLength = ushort.MaxValue;

    /// <summary>
    /// Parses the frame structure (no decryption). Succeeds only for a complete suite-0 frame with
    /// security control <c>0x30</c> whose declared length matches the bytes received exactly. Never throws.
    /// </summary>
    /// <param name="apdu">The CoAP payload.</param>
    /// <param name="frame">The view; on failure, the header fields read so far (see <see cref="GeneralGloCipheringFrame"/>).</param>
    /// <param name="error">
    /// <see cref="DlmsFrameError.Truncated"/> when the bytes end before the declared length or inside the header
    /// (logged as <c>ERR_PACKET_FRAGMENTED</c>, §1); <see cref="DlmsFrameError.UnsupportedSecurityControl"/> for
    /// any security control but <c>0x30</c>; otherwise the structural fault.
    /// </param>
    public static bool TryParse(ReadOnlySpan<byte> apdu, out GeneralGloCipheringFrame frame, out DlmsFrameError error)
    {
        frame = default;
        var reader = new AxdrReader(apdu);
        if (!reader.TryReadTag(Tag))
        {
            error = DlmsFrameError.NotGeneralGloCiphering;
            return false;
        }

        if (!reader.TryReadTag(SystemTitleSize))
        {
            error = reader.Error == AxdrError.EndOfData ? DlmsFrameError.Truncated : DlmsFrameError.InvalidSystemTitle;
            return false;
        }

        if (!reader.TryReadBytes(SystemTitleSize, out var systemTitle))
        {
            error = DlmsFrameError.Truncated;
            return false;
        }

        frame = new GeneralGloCipheringFrame(systemTitle, 0, 0, false, default, default);
        if (!reader.TryReadLength(out int length))
        {
            error = reader.Error == AxdrError.EndOfData ? DlmsFrameError.Truncated : DlmsFrameError.InvalidLengthEncoding;
            return false;
        }

        var content = reader.RemainingBytes;
        if (content.Length >= 1)
        {
            // The header fields, for the log, even when the rest is wrong.
            byte sc = content[0];
            bool hasIc = content.Length >= 1 + sizeof(uint) && length >= 1 + sizeof(uint);
            uint ic = hasIc ? BinaryPrimitives.ReadUInt32BigEndian(content[1..]) : 0;
            frame = new GeneralGloCipheringFrame(systemTitle, sc, ic, hasIc, default, default);
        }

        if (content.Length < length)
        {
            error = DlmsFrameError.Truncated;
            return false;
        }

        if (content.Length > length)
        {
            error = DlmsFrameError.TrailingBytes;
            return false;
        }

        if (length < 1)
        {
            error = DlmsFrameError.ContentTooShort;
            return false;
        }

        if (content[0] != SecurityControlAuthenticatedEncrypted)
        {
            error = DlmsFrameError.UnsupportedSecurityControl;
            return false;
        }

        if (length < MinimumContentLength)
        {
            error = DlmsFrameError.ContentTooShort;
            return false;
        }

        var ciphertext = content[(1 + sizeof(uint))..^AuthenticationTagSize];
        frame = new GeneralGloCipheringFrame(
            systemTitle,
            content[0],
            BinaryPrimitives.ReadUInt32BigEndian(content[1..]),
            true,
            ciphertext,
            content[^AuthenticationTagSize..]);
        error = DlmsFrameError.None;
        return true;
    }

    /// <summary>The encoded size of a frame around <paramref name="plaintextLength"/> bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The content would not fit a 16-bit A-XDR length.</exception>
    public static int GetEncryptedLength(int plaintextLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(plaintextLength);
        int content = MinimumContentLength + plaintextLength;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(content, MaximumContentLength, nameof(plaintextLength));
        return HeaderSize + AxdrLength.GetSize(content) + content;
    }

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> and writes the whole <c>general-glo-ciphering</c> frame
    /// (security control <c>0x30</c>), for the meter simulator and tests. Allocates nothing.
    /// </summary>
    /// <returns><see langword="false"/> when <paramref name="destination"/> is shorter than <see cref="GetEncryptedLength"/>.</returns>
    /// <exception cref="ArgumentException">System title not 8 bytes, AK not 16 bytes, wrong GCM tag size, or plaintext too long.</exception>
    public static bool TryEncrypt(
        ReadOnlySpan<byte> systemTitle,
        uint invocationCounter,
        ReadOnlySpan<byte> plaintext,
        AesGcm encryption,
        ReadOnlySpan<byte> authenticationKey,
        Span<byte> destination,
        out int bytesWritten)
    {
        ArgumentNullException.ThrowIfNull(encryption);
        if (systemTitle.Length != SystemTitleSize)
        {
            throw new ArgumentException($"A system title is {SystemTitleSize} bytes.", nameof(systemTitle));
        }

        CheckCryptoArguments(encryption, authenticationKey);
        int total = GetEncryptedLength(plaintext.Length);
        if (destination.Length < total)
        {
            bytesWritten = 0;
            return false;
        }

        int content = MinimumContentLength + plaintext.Length;
        destination[0] = Tag;
        destination[1] = SystemTitleSize;
        systemTitle.CopyTo(destination[2..]);
        int p = HeaderSize + AxdrLength.Write(destination[HeaderSize..], content);
        destination[p++] = SecurityControlAuthenticatedEncrypted;
        BinaryPrimitives.WriteUInt32BigEndian(destination[p..], invocationCounter);
        p += sizeof(uint);

        Span<byte> nonce = stackalloc byte[NonceSize];
        Span<byte> aad = stackalloc byte[AadSize];
        BuildNonceAndAad(systemTitle, invocationCounter, authenticationKey, nonce, aad);
        encryption.Encrypt(
            nonce,
            plaintext,
            destination.Slice(p, plaintext.Length),
            destination.Slice(p + plaintext.Length, AuthenticationTagSize),
            aad);
        bytesWritten = total;
        return true;
    }

    internal static void BuildNonceAndAad(
        ReadOnlySpan<byte> systemTitle, uint invocationCounter, ReadOnlySpan<byte> authenticationKey, Span<byte> nonce, Span<byte> aad)
    {
        systemTitle.CopyTo(nonce);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[SystemTitleSize..], invocationCounter);
        aad[0] = SecurityControlAuthenticatedEncrypted;
        authenticationKey.CopyTo(aad[1..]);
    }

    internal static void CheckCryptoArguments(AesGcm encryption, ReadOnlySpan<byte> authenticationKey)
    {
        if (authenticationKey.Length != KeySize)
        {
            throw new ArgumentException($"AK is {KeySize} bytes.", nameof(authenticationKey));
        }

        if (encryption.TagSizeInBytes != AuthenticationTagSize)
        {
            throw new ArgumentException($"The AesGcm instance must be created with a {AuthenticationTagSize}-byte tag size.", nameof(encryption));
        }
    }
}
