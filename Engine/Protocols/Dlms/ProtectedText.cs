using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using OpsConsole.Engine.Security;

namespace OpsConsole.Engine.Protocols.Dlms;

/// <summary>
/// The protected payloads of head-end ⇄ meter exchanges (wire-format.md §6): a <c>general-glo-ciphering</c> APDU
/// (§2) around a <c>Data-Notification</c> (§3) whose notification-body is one <c>visible-string</c>
/// (<c>0A</c> ‖ A-XDR length ‖ ASCII) of <c>KEY=VALUE</c> pairs separated by <c>;</c>. Used by the head-end's meter
/// client and by the meter simulator, so both sides share one codec.
/// </summary>
public static class ProtectedText
{
    /// <summary>A-XDR visible-string tag.</summary>
    public const byte VisibleStringTag = 0x0A;

    /// <summary>The longest pair text accepted (an answer is one UDP datagram).</summary>
    public const int MaxTextLength = 1024;

    /// <summary>Encrypts <paramref name="pairs"/> under <paramref name="systemTitle"/> and <paramref name="invocationCounter"/> with <paramref name="keys"/>.</summary>
    /// <exception cref="ArgumentException">A key or value contains <c>;</c> or <c>=</c> or non-ASCII characters, or the text is too long.</exception>
    public static byte[] Protect(ulong systemTitle, uint invocationCounter, MeterKeys keys, IEnumerable<KeyValuePair<string, string>> pairs)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(pairs);
        var text = new StringBuilder();
        foreach (var (key, value) in pairs)
        {
            if (key.Length == 0 || key.AsSpan().IndexOfAny(";=") >= 0 || value.Contains(';') || !Ascii.IsValid(key) || !Ascii.IsValid(value))
            {
                throw new ArgumentException($"'{key}={value}' is not an ASCII KEY=VALUE pair without ';'", nameof(pairs));
            }

            text.Append(text.Length == 0 ? "" : ";").Append(key).Append('=').Append(value);
        }

        if (text.Length > MaxTextLength)
        {
            throw new ArgumentException($"the pairs exceed {MaxTextLength} characters", nameof(pairs));
        }

        byte[] ascii = Encoding.ASCII.GetBytes(text.ToString());
        var plain = new byte[1 + 4 + 1 + 1 + AxdrLength.GetSize(ascii.Length) + ascii.Length];
        plain[0] = 0x0F; // Data-Notification
        BinaryPrimitives.WriteUInt32BigEndian(plain.AsSpan(1), invocationCounter); // long-invoke-id: the counter, for matching
        plain[5] = 0x00; // no date-time
        plain[6] = VisibleStringTag;
        int p = 7 + AxdrLength.Write(plain.AsSpan(7), ascii.Length);
        ascii.CopyTo(plain.AsSpan(p));

        Span<byte> title = stackalloc byte[GeneralGloCiphering.SystemTitleSize];
        BinaryPrimitives.WriteUInt64BigEndian(title, systemTitle);
        using var aes = new AesGcm(keys.EncryptionKey, GeneralGloCiphering.AuthenticationTagSize);
        var apdu = new byte[GeneralGloCiphering.GetEncryptedLength(plain.Length)];
        if (!GeneralGloCiphering.TryEncrypt(title, invocationCounter, plain, aes, keys.AuthenticationKey, apdu, out int written))
        {
            throw new InvalidOperationException("encryption buffer too small");
        }

        return apdu[..written];
    }

    /// <summary>
    /// Reads a protected payload: the system title and invocation counter it carries (for the caller's checks) and its pairs.
    /// <see langword="false"/> when the frame is malformed, the tag does not verify with <paramref name="keys"/>, or the
    /// plaintext is not a Data-Notification around one visible-string. Never throws for bad input.
    /// </summary>
    public static bool TryUnprotect(ReadOnlySpan<byte> apdu, MeterKeys keys, out ulong systemTitle, out uint invocationCounter, out IReadOnlyDictionary<string, string> pairs)
    {
        ArgumentNullException.ThrowIfNull(keys);
        systemTitle = 0;
        invocationCounter = 0;
        pairs = new Dictionary<string, string>();
        if (!GeneralGloCiphering.TryParse(apdu, out var frame, out _) || frame.Ciphertext.Length > MaxTextLength + 16)
        {
            return false;
        }

        systemTitle = frame.SystemTitleValue;
        invocationCounter = frame.InvocationCounter;
        Span<byte> plain = stackalloc byte[frame.Ciphertext.Length];
        using var aes = new AesGcm(keys.EncryptionKey, GeneralGloCiphering.AuthenticationTagSize);
        if (!frame.TryDecrypt(aes, keys.AuthenticationKey, plain, out int n))
        {
            return false;
        }

        var reader = new AxdrReader(plain[..n]);
        if (!reader.TryReadTag(0x0F) || !reader.TryReadUInt32(out _) || !reader.TryReadByte(out byte dateTag))
        {
            return false;
        }

        if (dateTag != 0 && (dateTag != 12 || !reader.TryReadBytes(12, out _)))
        {
            return false;
        }

        if (!reader.TryReadTag(VisibleStringTag) || !reader.TryReadLength(out int length) || !reader.TryReadBytes(length, out var text) || !reader.IsAtEnd || !Ascii.IsValid(text))
        {
            return false;
        }

        pairs = Parse(Encoding.ASCII.GetString(text));
        return true;
    }

    /// <summary>The pairs of <c>K=V;K=V</c> (the last of a repeated key wins; pieces without <c>=</c> are ignored).</summary>
    public static IReadOnlyDictionary<string, string> Parse(string text)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var piece in text.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = piece.IndexOf('=');
            if (eq > 0)
            {
                pairs[piece[..eq]] = piece[(eq + 1)..];
            }
        }

        return pairs;
    }
}
