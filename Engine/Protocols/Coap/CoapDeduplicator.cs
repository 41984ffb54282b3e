namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// Message de-duplication (RFC 7252 §4.5), keyed by (source endpoint, Message ID). A CON is
/// remembered for EXCHANGE_LIFETIME (247 s) together with the response bytes sent for it, so a
/// retransmitted CON gets the same response again without being processed twice; a NON is
/// remembered for NON_LIFETIME (145 s) and its duplicates are ignored. Lifetimes run from the
/// first copy's arrival; time comes from the injected <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// <para>
/// <b>Bounded memory.</b> At most <c>capacity</c> entries live in a slot array that starts at
/// <see cref="InitialSlots"/> and doubles when full up to the capacity (an idle server does not pay
/// for a storm's table: 1,000,000 slots and their index are ~190 MB); when the capacity is reached the entry that arrived first is evicted (after eviction a very late
/// retransmission of it would be processed again — size the capacity to the CON rate × 247 s).
/// Entries are kept in two arrival-ordered lists, one per lifetime, so the expired ones are always
/// at the heads: every call unlinks at most <see cref="PurgeBatch"/> of them (incremental purge),
/// and <see cref="PurgeExpired"/> drains them all for a periodic sweep. A remembered response is a
/// private copy (one small array per answered CON).
/// </para>
/// <para>
/// <b>Thread safety.</b> One <see cref="Lock"/> guards the table. Its critical section is O(1)
/// and allocation-free — one hash probe, a few list-link writes, at most
/// <see cref="PurgeBatch"/> purges; the response copy is made before the lock is taken — so it is
/// held for well under a microsecond. With the listener's two workers that is a small fraction of
/// the ~2 µs a datagram costs to receive, so contention stays negligible. Striping the table
/// by key would give up the exact global cap and the oldest-first eviction the head-end relies on
/// for bounded memory; a <c>ConcurrentDictionary</c> would still need a second, locked structure
/// for the arrival order. One short lock is simpler and as fast at this scale.
/// </para>
/// </remarks>
public sealed class CoapDeduplicator
{
    /// <summary>Expired entries unlinked per call, so no single call pays for a backlog.</summary>
    public const int PurgeBatch = 4;

    /// <summary>Slots allocated at construction; the table doubles on demand up to the capacity.</summary>
    public const int InitialSlots = 4096;

    private const int None = -1;

    private readonly Lock _gate = new();
    private readonly TimeProvider _timeProvider;
    private readonly long _conLifetimeTicks;
    private readonly long _nonLifetimeTicks;
    private readonly Dictionary<Key, int> _index;
    private Slot[] _slots;
    private int _freeHead;
    private OrderList _con;
    private OrderList _non;

    /// <summary>A de-duplicator with the RFC 7252 §4.8.2 lifetimes (247 s for CON, 145 s for NON).</summary>
    public CoapDeduplicator(TimeProvider timeProvider, int capacity)
        : this(timeProvider, capacity, CoapTransmissionParameters.ExchangeLifetime, CoapTransmissionParameters.NonLifetime)
    {
    }

    /// <summary>A de-duplicator with explicit lifetimes (for non-default transmission parameters, RFC 7252 §4.8.1).</summary>
    public CoapDeduplicator(TimeProvider timeProvider, int capacity, TimeSpan exchangeLifetime, TimeSpan nonLifetime)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(exchangeLifetime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(nonLifetime, TimeSpan.Zero);

        _timeProvider = timeProvider;
        _conLifetimeTicks = ToTimestampTicks(exchangeLifetime, timeProvider.TimestampFrequency);
        _nonLifetimeTicks = ToTimestampTicks(nonLifetime, timeProvider.TimestampFrequency);
        Capacity = capacity;
        int initial = Math.Min(capacity, InitialSlots);
        _index = new Dictionary<Key, int>(initial);
        _slots = new Slot[initial];
        _freeHead = None;
        ThreadFree(0, initial);
        _con = OrderList.Empty;
        _non = OrderList.Empty;
    }

    /// <summary>The most entries remembered at once.</summary>
    public int Capacity { get; }

    /// <summary>Slots allocated now (grows by doubling up to <see cref="Capacity"/>).</summary>
    public int Allocated
    {
        get
        {
            lock (_gate)
            {
                return _slots.Length;
            }
        }
    }

    /// <summary>Entries currently remembered (expired ones not yet purged included).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _index.Count;
            }
        }
    }

    /// <summary>
    /// Records the arrival of a CON or NON and says whether it is new. For
    /// <see cref="CoapDeduplicationResult.ResendResponse"/>, <paramref name="response"/> holds the
    /// bytes to send again; otherwise it is empty.
    /// </summary>
    public CoapDeduplicationResult Register(CoapEndpoint source, CoapType type, ushort messageId, out ReadOnlyMemory<byte> response)
    {
        if (type is not (CoapType.Confirmable or CoapType.NonConfirmable))
        {
            CoapThrowHelper.ThrowArgumentOutOfRange(nameof(type), "Only CON and NON messages are de-duplicated (RFC 7252 §4.5).");
        }

        var key = new Key(source, messageId);
        long now = _timeProvider.GetTimestamp();
        lock (_gate)
        {
            PurgeLocked(now, PurgeBatch);
            if (_index.TryGetValue(key, out int i))
            {
                ref Slot slot = ref _slots[i];
                if (now < slot.ExpiresAt)
                {
                    response = slot.Response;
                    return slot.Response is null ? CoapDeduplicationResult.Ignore : CoapDeduplicationResult.ResendResponse;
                }

                RemoveLocked(i);
            }

            if (_index.Count == Capacity)
            {
                RemoveLocked(OldestLocked());
            }

            AddLocked(key, type == CoapType.NonConfirmable, now);
        }

        response = default;
        return CoapDeduplicationResult.New;
    }

    /// <summary>
    /// Remembers the response sent for a CON, to be sent again for its duplicates. Returns false
    /// when the entry is gone (evicted or expired) or belongs to a NON.
    /// </summary>
    public bool SetResponse(CoapEndpoint source, ushort messageId, ReadOnlySpan<byte> response)
    {
        byte[] copy = response.ToArray();
        lock (_gate)
        {
            if (!_index.TryGetValue(new Key(source, messageId), out int i) || _slots[i].IsNonConfirmable)
            {
                return false;
            }

            _slots[i].Response = copy;
            return true;
        }
    }

    /// <summary>
    /// Forgets a message, so that its next copy is processed as new — for when processing failed
    /// without an answer and the client's retransmission should get another chance.
    /// </summary>
    public bool Remove(CoapEndpoint source, ushort messageId)
    {
        lock (_gate)
        {
            if (!_index.TryGetValue(new Key(source, messageId), out int i))
            {
                return false;
            }

            RemoveLocked(i);
            return true;
        }
    }

    /// <summary>Forgets every expired entry; returns how many. For a periodic sweep when traffic is idle.</summary>
    public int PurgeExpired()
    {
        long now = _timeProvider.GetTimestamp();
        lock (_gate)
        {
            return PurgeLocked(now, int.MaxValue);
        }
    }

    private static long ToTimestampTicks(TimeSpan span, long frequency) =>
        checked((long)Math.Ceiling(span.TotalSeconds * frequency));

    private int PurgeLocked(long now, int budget)
    {
        int purged = 0;
        while (purged < budget)
        {
            int con = _con.Head;
            int non = _non.Head;
            if (con != None && _slots[con].ExpiresAt <= now)
            {
                RemoveLocked(con);
            }
            else if (non != None && _slots[non].ExpiresAt <= now)
            {
                RemoveLocked(non);
            }
            else
            {
                break;
            }

            purged++;
        }

        return purged;
    }

    private int OldestLocked()
    {
        int con = _con.Head;
        int non = _non.Head;
        if (con == None)
        {
            return non;
        }

        if (non == None)
        {
            return con;
        }

        return _slots[con].ArrivedAt <= _slots[non].ArrivedAt ? con : non;
    }

    private void ThreadFree(int from, int to)
    {
        for (int i = to - 1; i >= from; i--)
        {
            _slots[i].Next = _freeHead;
            _freeHead = i;
        }
    }

    /// <summary>Doubles the slot array (and the index with it) when every slot is taken: amortised, and at most log2(capacity/4096) times.</summary>
    private void GrowLocked()
    {
        int old = _slots.Length;
        int size = (int)Math.Min(Capacity, 2L * old);
        Array.Resize(ref _slots, size);
        _index.EnsureCapacity(size);
        ThreadFree(old, size);
    }

    private void AddLocked(Key key, bool isNonConfirmable, long now)
    {
        if (_freeHead == None)
        {
            GrowLocked();
        }

        int i = _freeHead;
        ref Slot slot = ref _slots[i];
        _freeHead = slot.Next;
        slot = new Slot
        {
            Key = key,
            ArrivedAt = now,
            ExpiresAt = now + (isNonConfirmable ? _nonLifetimeTicks : _conLifetimeTicks),
            IsNonConfirmable = isNonConfirmable,
            Response = null,
            Previous = None,
            Next = None,
        };
        _index.Add(key, i);
        if (isNonConfirmable)
        {
            _non.Append(_slots, i);
        }
        else
        {
            _con.Append(_slots, i);
        }
    }

    private void RemoveLocked(int i)
    {
        ref Slot slot = ref _slots[i];
        _index.Remove(slot.Key);
        if (slot.IsNonConfirmable)
        {
            _non.Unlink(_slots, i);
        }
        else
        {
            _con.Unlink(_slots, i);
        }

        slot = new Slot { Previous = None, Next = _freeHead };
        _freeHead = i;
    }

    private readonly record struct Key(CoapEndpoint Source, ushort MessageId);

    private struct Slot
    {
        public Key Key;
        public long ArrivedAt;
        public long ExpiresAt;
        public bool IsNonConfirmable;
        public byte[]? Response;
        public int Previous;
        public int Next;
    }

    /// <summary>A doubly linked list threaded through the slot array, oldest arrival at the head.</summary>
    private struct OrderList
    {
        public int Head;
        public int Tail;

        public static OrderList Empty => new() { Head = None, Tail = None };

        public void Append(Slot[] slots, int i)
        {
            slots[i].Previous = Tail;
            slots[i].Next = None;
            if (Tail == None)
            {
                Head = i;
            }
            else
            {
                slots[Tail].Next = i;
            }

            Tail = i;
        }

        public void Unlink(Slot[] slots, int i)
        {
            int previous = slots[i].Previous;
            int next = slots[i].Next;
            if (previous == None)
            {
                Head = next;
            }
            else
            {
                slots[previous].Next = next;
            }

            if (next == None)
            {
                Tail = previous;
            }
            else
            {
                slots[next].Previous = previous;
            }
        }
    }
}
