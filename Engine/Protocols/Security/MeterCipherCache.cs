using System.Security.Cryptography;

namespace OpsConsole.Engine.Security;

/// <summary>
/// A small per-worker cache of <see cref="AesGcm"/> objects keyed by meter (12-byte tag size, suite 0).
/// NOT thread-safe: each ingest worker owns one (the listener runs up to 2 workers), so no locks and no
/// <see cref="AesGcm"/> is ever used by two threads at once.
/// </summary>
/// <remarks>
/// <para>
/// Why this shape (PERFORMANCE-NOTES.md): a cached <see cref="AesGcm"/> decrypts 100 bytes in ~0.8 µs,
/// a new one per datagram costs ~2 µs, and each object holds ~1.4 KiB of native state. During an outage
/// storm most meters send one or two frames, so hit rates are modest and an unbounded per-meter cache
/// would cost ~1.4 KiB × meters for little gain. A fixed, 4-way set-associative table of
/// <see cref="Capacity"/> slots per worker bounds memory (256 slots ≈ 360 KiB) and makes every lookup O(1);
/// a miss (a new <see cref="AesGcm"/>, the evicted one disposed) costs ~1.2 µs more than a hit, which is
/// small next to the ~3 µs receive cost per datagram. The shared, thread-safe part is the raw keys in
/// <see cref="MeterKeyCache"/>.
/// </para>
/// <para>A slot also remembers its EK, so a changed key for the same meter never reuses a stale object.</para>
/// </remarks>
public sealed class MeterCipherCache : IDisposable
{
    /// <summary>The GCM tag size of suite 0 on the wire.</summary>
    public const int TagSize = 12;

    /// <summary>Slots of one set: a meter may sit in any of them, so two meters that hash alike do not evict each other.</summary>
    public const int Ways = 4;

    private readonly Slot[] _slots;
    private readonly int _ways;
    private readonly int _setMask;
    private long _clock;
    private bool _disposed;

    /// <param name="capacity">Slots, rounded up to a power of two (1–65536), in sets of <see cref="Ways"/>.</param>
    public MeterCipherCache(int capacity = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 65536);
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
        _slots = new Slot[size];
        _ways = Math.Min(Ways, size);
        _setMask = (size / _ways) - 1;
    }

    /// <summary>Slots in the table.</summary>
    public int Capacity => _slots.Length;

    /// <summary>Lookups answered from the table (for tests and diagnostics).</summary>
    public long Hits { get; private set; }

    /// <summary>Lookups that created a new <see cref="AesGcm"/>.</summary>
    public long Misses { get; private set; }

    /// <summary>
    /// The GCM object for <paramref name="meterId"/> keyed with <paramref name="encryptionKey"/>. The caller
    /// must not dispose it and must not keep it beyond the current frame.
    /// </summary>
    public AesGcm Get(Guid meterId, ReadOnlySpan<byte> encryptionKey)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (encryptionKey.Length != MeterKeys.KeySize)
        {
            throw new ArgumentException($"EK is {MeterKeys.KeySize} bytes.", nameof(encryptionKey));
        }

        // Set-associative, least recently used out: with one slot per hash (direct-mapped) 3,890 meters in 4,096 slots
        // collided for about half of them, and a storm cycling through them missed on every other frame.
        int first = (meterId.GetHashCode() & _setMask) * _ways;
        int victim = first;
        for (int i = first; i < first + _ways; i++)
        {
            ref var candidate = ref _slots[i];
            if (candidate.Cipher is null)
            {
                victim = i;
                break;
            }

            if (candidate.MeterId == meterId)
            {
                if (encryptionKey.SequenceEqual(candidate.Key))
                {
                    Hits++;
                    candidate.LastUse = ++_clock;
                    return candidate.Cipher;
                }

                victim = i; // the meter's key changed: its old object goes
                break;
            }

            if (candidate.LastUse < _slots[victim].LastUse)
            {
                victim = i;
            }
        }

        Misses++;
        ref var slot = ref _slots[victim];
        var cipher = new AesGcm(encryptionKey, TagSize);
        slot.Cipher?.Dispose();
        slot.Cipher = cipher;
        slot.MeterId = meterId;
        slot.LastUse = ++_clock;
        slot.Key ??= new byte[MeterKeys.KeySize];
        encryptionKey.CopyTo(slot.Key);
        return cipher;
    }

    /// <summary>Disposes every cached object and clears the remembered keys.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i].Cipher?.Dispose();
            if (_slots[i].Key is { } key)
            {
                CryptographicOperations.ZeroMemory(key);
            }

            _slots[i] = default;
        }
    }

    private struct Slot
    {
        public Guid MeterId;
        public long LastUse;
        public AesGcm? Cipher;
        public byte[]? Key;
    }
}
