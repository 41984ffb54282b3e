using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace OpsConsole.Engine.Security;

/// <summary>
/// Per-meter keys derived from the master key on first use and kept for the life of the process
/// (wire-format.md §4). Thread-safe: shared by every ingest worker.
/// </summary>
/// <remarks>
/// <para>
/// Only raw keys are cached here (EK ‖ AK, 32 bytes per meter plus the dictionary entry), not
/// <see cref="AesGcm"/> objects: an <see cref="AesGcm"/> is ~1.4 KiB and not thread-safe, while raw keys
/// are small and immutable (PERFORMANCE-NOTES.md: HKDF ~2.5 µs per key, so one derivation per meter
/// and process). The GCM objects live in a per-worker <see cref="MeterCipherCache"/>.
/// </para>
/// <para>
/// Growth is bounded by the meter registry: callers derive keys only for GUIDs registered against a
/// known system title, never for what an unauthenticated frame claims.
/// </para>
/// </remarks>
public sealed class MeterKeyCache : IDisposable
{
    private readonly byte[] _masterKey;
    private readonly ConcurrentDictionary<Guid, MeterKeys> _keys = new();

    /// <summary>Copies <paramref name="masterKey"/>; the copy is cleared by <see cref="Dispose"/>.</summary>
    /// <exception cref="ArgumentException">The master key is not 32 bytes.</exception>
    public MeterKeyCache(ReadOnlySpan<byte> masterKey)
    {
        if (masterKey.Length != MeterKeys.MasterKeySize)
        {
            throw new ArgumentException($"The master key is {MeterKeys.MasterKeySize} bytes.", nameof(masterKey));
        }

        _masterKey = masterKey.ToArray();
    }

    /// <summary>Meters whose keys are cached.</summary>
    public int Count => _keys.Count;

    /// <summary>The keys of <paramref name="meterId"/>, derived on first use. Allocation-free once cached.</summary>
    public MeterKeys GetKeys(Guid meterId) =>
        _keys.GetOrAdd(meterId, static (id, master) => MeterKeys.Derive(master, id), _masterKey);

    /// <summary>Drops a meter's keys (meter removed from the registry).</summary>
    public bool Forget(Guid meterId) => _keys.TryRemove(meterId, out _);

    /// <summary>Clears the master key copy and the cache.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_masterKey);
        _keys.Clear();
    }

    /// <inheritdoc/>
    public override string ToString() => $"MeterKeyCache {{ Count = {Count} }}";
}
