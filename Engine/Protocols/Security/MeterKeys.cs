using System.Security.Cryptography;

namespace OpsConsole.Engine.Security;

/// <summary>
/// One meter's suite-0 keys (wire-format.md §4):
/// <c>EK = HKDF-SHA256(ikm = master key, salt = empty, info = "EK" ‖ GUID, L = 16)</c> and
/// <c>AK</c> likewise with <c>"AK"</c>, the GUID as its 16 bytes in network order.
/// A compromised meter therefore exposes only its own keys.
/// </summary>
/// <remarks>Immutable and thread-safe. The key bytes never appear in <see cref="ToString"/>.</remarks>
public sealed class MeterKeys
{
    /// <summary>EK and AK length (AES-128).</summary>
    public const int KeySize = 16;

    /// <summary>The master key length.</summary>
    public const int MasterKeySize = 32;

    private const int GuidSize = 16;

    private readonly byte[] _keys = new byte[2 * KeySize]; // EK ‖ AK

    /// <summary>Wraps keys derived elsewhere (e.g. a test vector).</summary>
    /// <exception cref="ArgumentException">A key is not 16 bytes.</exception>
    public MeterKeys(ReadOnlySpan<byte> encryptionKey, ReadOnlySpan<byte> authenticationKey)
    {
        if (encryptionKey.Length != KeySize || authenticationKey.Length != KeySize)
        {
            throw new ArgumentException($"EK and AK are {KeySize} bytes each.");
        }

        encryptionKey.CopyTo(_keys);
        authenticationKey.CopyTo(_keys.AsSpan(KeySize));
    }

    private MeterKeys()
    {
    }

    /// <summary>The block cipher key EK.</summary>
    public ReadOnlySpan<byte> EncryptionKey => _keys.AsSpan(0, KeySize);

    /// <summary>The authentication key AK (part of the GCM additional data).</summary>
    public ReadOnlySpan<byte> AuthenticationKey => _keys.AsSpan(KeySize, KeySize);

    /// <summary>Derives both keys of <paramref name="meterId"/> (two HKDF runs, ~2.5 µs each: cache the result).</summary>
    /// <exception cref="ArgumentException">The master key is not 32 bytes.</exception>
    public static MeterKeys Derive(ReadOnlySpan<byte> masterKey, Guid meterId)
    {
        var keys = new MeterKeys();
        DeriveEncryptionKey(masterKey, meterId, keys._keys.AsSpan(0, KeySize));
        DeriveAuthenticationKey(masterKey, meterId, keys._keys.AsSpan(KeySize, KeySize));
        return keys;
    }

    /// <summary>EK = HKDF-SHA256(master key, salt = empty, info = "EK" ‖ GUID, 16).</summary>
    public static void DeriveEncryptionKey(ReadOnlySpan<byte> masterKey, Guid meterId, Span<byte> destination) =>
        Derive(masterKey, (byte)'E', meterId, destination);

    /// <summary>AK = HKDF-SHA256(master key, salt = empty, info = "AK" ‖ GUID, 16).</summary>
    public static void DeriveAuthenticationKey(ReadOnlySpan<byte> masterKey, Guid meterId, Span<byte> destination) =>
        Derive(masterKey, (byte)'A', meterId, destination);

    /// <inheritdoc/>
    public override string ToString() => "MeterKeys { EK = (16 bytes), AK = (16 bytes) }";

    private static void Derive(ReadOnlySpan<byte> masterKey, byte label, Guid meterId, Span<byte> destination)
    {
        if (masterKey.Length != MasterKeySize)
        {
            throw new ArgumentException($"The master key is {MasterKeySize} bytes.", nameof(masterKey));
        }

        if (destination.Length != KeySize)
        {
            throw new ArgumentException($"A meter key is {KeySize} bytes.", nameof(destination));
        }

        Span<byte> info = stackalloc byte[2 + GuidSize];
        info[0] = label;
        info[1] = (byte)'K';
        meterId.TryWriteBytes(info[2..], bigEndian: true, out _);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey, destination, salt: [], info);
    }
}
