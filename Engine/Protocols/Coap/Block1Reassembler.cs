using System.Collections.Concurrent;

namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// Server side of block-wise request bodies (RFC 7959 §2.3, §2.5), atomic: blocks are collected
/// and the body is handed over only when the last block (M=0) arrives.
/// </summary>
/// <remarks>
/// <para>
/// A transfer is identified by (source endpoint, Uri-Path), never by token: RFC 7959 §2.4/§3.4
/// leaves the token free per exchange and real clients (libcoap) change it for every block.
/// Blocks must be contiguous — a block's offset NUM × 2**(SZX+4) must equal the bytes received so
/// far — so the sender may lower SZX mid-transfer and rescale NUM (Figure 9); anything else is
/// 4.08. A non-final block's payload must be exactly the block size (§2.3). A new NUM=0 block
/// restarts the transfer (§2.5: "simply overwrites the context"). A repeat of the block just
/// taken (e.g. re-sent under a new Message ID after a lost ACK) is answered 2.31 again without
/// being appended. The head-end never asks for a smaller size: it echoes the sender's SZX.
/// </para>
/// <para>
/// <b>Limits.</b> A body larger than <see cref="MaxBodySize"/> is refused with 4.13 (send Size1,
/// §2.9.3) and its transfer dropped; at most <see cref="MaxTransfers"/> transfers are kept, and at
/// most <see cref="MaxTransfersPerSource"/> from one source address (any port), so one host cannot hold
/// every slot: a new transfer beyond either limit is refused 5.03 Service Unavailable with Max-Age = the
/// timeout (RFC 7252 §5.9.3.4: retry after that many seconds, when a slot is certain to be free again;
/// <see cref="Block1Result.SourceLimited"/> tells the two apart). A transfer idle for <see cref="Timeout"/> is abandoned, and
/// <see cref="PurgeExpired"/> hands it to the caller once, to be logged as ERR_PACKET_FRAGMENTED.
/// A stale transfer met by a new block before the sweep is reported the same way.
/// </para>
/// <para>
/// <b>Thread safety.</b> Transfers live in a <see cref="ConcurrentDictionary{TKey,TValue}"/> and
/// each has its own lock, so workers handling different endpoints never wait for each other; a
/// removed transfer is flagged under its lock, and a worker that finds the flag looks the key up again.
/// </para>
/// </remarks>
public sealed class Block1Reassembler
{
    /// <summary>Default largest body: 4 KiB.</summary>
    public const int DefaultMaxBodySize = 4096;

    /// <summary>Default most transfers in progress at once.</summary>
    public const int DefaultMaxTransfers = 1024;

    /// <summary>Default most transfers in progress from one source address (all its ports together).</summary>
    public const int DefaultMaxTransfersPerSource = 16;

    /// <summary>Default time a transfer may wait for its next block: 10 s.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<TransferKey, Transfer> _transfers = new();
    private readonly ConcurrentQueue<AbandonedBlock1Transfer> _abandoned = new();

    // Transfers in progress per source address (the endpoint with port 0); an entry lives while its count is above 0,
    // so this holds at most MaxTransfers entries.
    private readonly ConcurrentDictionary<CoapEndpoint, int> _perSource = new();
    private readonly TimeProvider _timeProvider;
    private readonly long _timeoutTicks;
    private int _count;

    /// <summary>A reassembler with the defaults: 4 KiB bodies, 10 s timeout, 1024 transfers.</summary>
    public Block1Reassembler(TimeProvider timeProvider)
        : this(timeProvider, DefaultMaxBodySize, DefaultTimeout, DefaultMaxTransfers)
    {
    }

    /// <summary>A reassembler with explicit limits and <see cref="DefaultMaxTransfersPerSource"/>.</summary>
    public Block1Reassembler(TimeProvider timeProvider, int maxBodySize, TimeSpan timeout, int maxTransfers)
        : this(timeProvider, maxBodySize, timeout, maxTransfers, DefaultMaxTransfersPerSource)
    {
    }

    /// <summary>A reassembler with explicit limits.</summary>
    public Block1Reassembler(TimeProvider timeProvider, int maxBodySize, TimeSpan timeout, int maxTransfers, int maxTransfersPerSource)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBodySize);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTransfers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTransfersPerSource);

        _timeProvider = timeProvider;
        _timeoutTicks = checked((long)Math.Ceiling(timeout.TotalSeconds * timeProvider.TimestampFrequency));
        MaxBodySize = maxBodySize;
        Timeout = timeout;
        MaxTransfers = maxTransfers;
        MaxTransfersPerSource = maxTransfersPerSource;
        MaxAgeSeconds = (uint)Math.Ceiling(timeout.TotalSeconds);
    }

    /// <summary>The largest body accepted; send it as Size1 with a 4.13.</summary>
    public int MaxBodySize { get; }

    /// <summary>How long a transfer waits for its next block.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The most transfers kept at once.</summary>
    public int MaxTransfers { get; }

    /// <summary>The most transfers kept at once from one source address.</summary>
    public int MaxTransfersPerSource { get; }

    /// <summary>The Max-Age of a 5.03 (the timeout in whole seconds): by then a slot has been freed.</summary>
    public uint MaxAgeSeconds { get; }

    /// <summary>Source addresses with a transfer in progress.</summary>
    public int SourceCount => _perSource.Count;

    /// <summary>Transfers in progress.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Takes one request addressed to <paramref name="path"/>, reading Block1, Content-Format and
    /// Size1 from it. Without a Block1 option the request is not block-wise and its payload is
    /// returned as <see cref="Block1Outcome.Complete"/> with a null <see cref="Block1Result.Block"/>.
    /// </summary>
    public Block1Result Accept(CoapEndpoint source, string path, in CoapMessageView request)
    {
        switch (request.TryGetBlock1(out CoapBlockOption block))
        {
            case CoapBlockStatus.Absent:
                return Block1Result.Complete(null, request.Payload.ToArray());
            case CoapBlockStatus.InvalidLength:
                return Block1Result.Error(CoapCode.BadOption, null);
            case CoapBlockStatus.ReservedSizeExponent:
                return Block1Result.Error(CoapCode.BadRequest, null);
        }

        ushort? contentFormat = request.TryGetContentFormat(out ushort format) ? format : null;
        uint? size1 = request.TryGetUInt32(CoapOptionNumber.Size1, out uint size) ? size : null;
        return Accept(source, path, block, request.Payload, contentFormat, size1);
    }

    /// <summary>
    /// Takes one block of a body sent by <paramref name="source"/> to <paramref name="path"/>.
    /// </summary>
    /// <param name="source">The sending endpoint.</param>
    /// <param name="path">The target resource, e.g. <see cref="CoapUriPath.AmiEvents"/>'s text.</param>
    /// <param name="block">The request's Block1 value (descriptive usage).</param>
    /// <param name="payload">This block's payload.</param>
    /// <param name="contentFormat">The request's Content-Format, if any: blocks of one body must agree (RFC 7959 §2.3).</param>
    /// <param name="size1">The request's Size1, the sender's estimate of the body size (RFC 7959 §4), if any.</param>
    public Block1Result Accept(
        CoapEndpoint source,
        string path,
        CoapBlockOption block,
        ReadOnlySpan<byte> payload,
        ushort? contentFormat = null,
        uint? size1 = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var key = new TransferKey(source, path);
        if (block.More && payload.Length != block.Size)
        {
            return Block1Result.Error(CoapCode.BadRequest, block);
        }

        if ((block.Number == 0 && size1 > (uint)MaxBodySize) || (long)block.Offset + payload.Length > MaxBodySize)
        {
            Drop(key);
            return Block1Result.Error(CoapCode.RequestEntityTooLarge, block);
        }

        long now = _timeProvider.GetTimestamp();
        while (true)
        {
            if (!_transfers.TryGetValue(key, out Transfer? transfer))
            {
                if (block.Number != 0)
                {
                    return Block1Result.Error(CoapCode.RequestEntityIncomplete, block);
                }

                if (!block.More)
                {
                    return Block1Result.Complete(block, payload.ToArray());
                }

                if (Interlocked.Increment(ref _count) > MaxTransfers)
                {
                    Interlocked.Decrement(ref _count);
                    return Block1Result.Unavailable(block, MaxAgeSeconds, sourceLimited: false);
                }

                if (!TryReserveSource(key.Source))
                {
                    Interlocked.Decrement(ref _count);
                    return Block1Result.Unavailable(block, MaxAgeSeconds, sourceLimited: true);
                }

                transfer = new Transfer(Math.Min(MaxBodySize, Math.Max(block.Size * 2, (int)Math.Min(size1 ?? 0, int.MaxValue))));
                transfer.Start(block, payload, contentFormat, MaxBodySize, now, _timeProvider.GetUtcNow());
                if (_transfers.TryAdd(key, transfer))
                {
                    return Block1Result.Continue(block);
                }

                ReleaseSource(key.Source);
                Interlocked.Decrement(ref _count);
                continue;
            }

            lock (transfer.Gate)
            {
                if (transfer.Removed)
                {
                    continue;
                }

                if (now - transfer.LastActivity >= _timeoutTicks)
                {
                    RetireLocked(key, transfer);
                    _abandoned.Enqueue(transfer.ToAbandoned(key));
                    continue;
                }

                return ContinueLocked(key, transfer, block, payload, contentFormat, now);
            }
        }
    }

    /// <summary>
    /// Removes every transfer idle for <see cref="Timeout"/> and returns them (with any stale
    /// transfer found earlier by <see cref="Accept(CoapEndpoint, string, CoapBlockOption, ReadOnlySpan{byte}, ushort?, uint?)"/>),
    /// each exactly once. Call it periodically, e.g. every second.
    /// </summary>
    public IReadOnlyList<AbandonedBlock1Transfer> PurgeExpired()
    {
        long now = _timeProvider.GetTimestamp();
        List<AbandonedBlock1Transfer>? abandoned = null;
        while (_abandoned.TryDequeue(out AbandonedBlock1Transfer? stale))
        {
            (abandoned ??= []).Add(stale);
        }

        foreach (KeyValuePair<TransferKey, Transfer> entry in _transfers)
        {
            Transfer transfer = entry.Value;
            lock (transfer.Gate)
            {
                if (!transfer.Removed && now - transfer.LastActivity >= _timeoutTicks)
                {
                    RetireLocked(entry.Key, transfer);
                    (abandoned ??= []).Add(transfer.ToAbandoned(entry.Key));
                }
            }
        }

        return abandoned ?? (IReadOnlyList<AbandonedBlock1Transfer>)[];
    }

    private Block1Result ContinueLocked(
        TransferKey key, Transfer transfer, CoapBlockOption block, ReadOnlySpan<byte> payload, ushort? contentFormat, long now)
    {
        if (block.Number == 0)
        {
            // RFC 7959 §2.5: a new sequence to the same resource overwrites the old one.
            if (!block.More)
            {
                RetireLocked(key, transfer);
                return Block1Result.Complete(block, payload.ToArray());
            }

            transfer.Start(block, payload, contentFormat, MaxBodySize, now, _timeProvider.GetUtcNow());
            return Block1Result.Continue(block);
        }

        if (contentFormat != transfer.ContentFormat)
        {
            // RFC 7959 §2.3: blocks with mismatching Content-Format MUST NOT be assembled (§2.9.2).
            return Block1Result.Error(CoapCode.RequestEntityIncomplete, block);
        }

        if (block.Offset == transfer.Length)
        {
            transfer.Append(block, payload, MaxBodySize, now, _timeProvider.GetUtcNow());
            if (block.More)
            {
                return Block1Result.Continue(block);
            }

            RetireLocked(key, transfer);
            return Block1Result.Complete(block, transfer.Body);
        }

        if (block == transfer.Last && (long)block.Offset + payload.Length == transfer.Length)
        {
            return Block1Result.Continue(block);
        }

        return Block1Result.Error(CoapCode.RequestEntityIncomplete, block);
    }

    private void Drop(TransferKey key)
    {
        if (_transfers.TryGetValue(key, out Transfer? transfer))
        {
            lock (transfer.Gate)
            {
                if (!transfer.Removed)
                {
                    RetireLocked(key, transfer);
                }
            }
        }
    }

    private void RetireLocked(TransferKey key, Transfer transfer)
    {
        transfer.Removed = true;
        if (_transfers.TryRemove(new KeyValuePair<TransferKey, Transfer>(key, transfer)))
        {
            ReleaseSource(key.Source);
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>Takes one of the source address's <see cref="MaxTransfersPerSource"/> slots; false when it holds them all.</summary>
    private bool TryReserveSource(CoapEndpoint source)
    {
        CoapEndpoint address = source.WithPort(0);
        while (true)
        {
            if (_perSource.TryGetValue(address, out int held))
            {
                if (held >= MaxTransfersPerSource)
                {
                    return false;
                }

                if (_perSource.TryUpdate(address, held + 1, held))
                {
                    return true;
                }
            }
            else if (_perSource.TryAdd(address, 1))
            {
                return true;
            }
        }
    }

    private void ReleaseSource(CoapEndpoint source)
    {
        CoapEndpoint address = source.WithPort(0);
        while (_perSource.TryGetValue(address, out int held))
        {
            if (held <= 1
                ? _perSource.TryRemove(new KeyValuePair<CoapEndpoint, int>(address, held))
                : _perSource.TryUpdate(address, held - 1, held))
            {
                return;
            }
        }
    }

    private readonly record struct TransferKey(CoapEndpoint Source, string Path);

    private sealed class Transfer(int capacity)
    {
        private byte[] _buffer = new byte[capacity];

        public Lock Gate { get; } = new();

        public bool Removed { get; set; }

        public int Length { get; private set; }

        public int Blocks { get; private set; }

        public CoapBlockOption Last { get; private set; }

        public ushort? ContentFormat { get; private set; }

        public long LastActivity { get; private set; }

        public DateTimeOffset LastActivityUtc { get; private set; }

        public ReadOnlyMemory<byte> Body => _buffer.AsMemory(0, Length);

        public void Start(
            CoapBlockOption block, ReadOnlySpan<byte> payload, ushort? contentFormat, int maxBodySize, long now, DateTimeOffset utcNow)
        {
            Length = 0;
            Blocks = 0;
            ContentFormat = contentFormat;
            Append(block, payload, maxBodySize, now, utcNow);
        }

        public void Append(CoapBlockOption block, ReadOnlySpan<byte> payload, int maxBodySize, long now, DateTimeOffset utcNow)
        {
            int needed = Length + payload.Length;
            if (needed > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Min(maxBodySize, Math.Max(needed, _buffer.Length * 2)));
            }

            payload.CopyTo(_buffer.AsSpan(Length));
            Length = needed;
            Blocks++;
            Last = block;
            LastActivity = now;
            LastActivityUtc = utcNow;
        }

        public AbandonedBlock1Transfer ToAbandoned(TransferKey key) =>
            new(key.Source, key.Path, Body, Blocks, LastActivityUtc);
    }
}
