using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;

namespace OpsConsole.Engine.Storage.Events;

/// <summary>
/// The durable record of accepted events: append-only segment files
/// <c>segment-000001.evj</c>, … under one folder. Each record is
/// <c>[uint32 length][payload][uint32 CRC-32 of payload]</c> (little-endian; payload per
/// <see cref="RecordedEventCodec"/>).
/// </summary>
/// <remarks>
/// Delivery guarantee: when <see cref="AppendBatch"/> returns, every record of the batch has
/// been written with one write and fsynced; only then may the sender be acknowledged. A crash
/// during an append can leave a torn last record; reading detects it and truncates the last
/// segment back to its last intact record (those events were never acknowledged, so their
/// meters retry). Before the first append the tail of the last segment is checked the same way,
/// so an append never follows garbage. Thread-safe; appends are serialised.
/// Disk errors (no space left, I/O error): the failed append is cut off again, at once or, when
/// even that fails, before the next append; the journal then takes appends again by itself as soon
/// as the disk does (no restart). <see cref="Fault"/> says why the last append failed until one
/// succeeds (or <see cref="TryRecover"/> finds the disk writable).
/// Retention: closed segments (every one but the last) are deleted by <see cref="DeleteSegments"/> once what they
/// hold is indexed and checkpointed (the correlation service decides); the journal is then a suffix of what was accepted.
/// </remarks>
public sealed class EventJournal : IDisposable
{
    public const string SegmentPrefix = "segment-";
    public const string SegmentExtension = ".evj";
    public const long DefaultSegmentBytes = 64L * 1024 * 1024;

    private const int FrameOverhead = 8; // length + CRC
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = OwnerOnlyFile | UnixFileMode.UserExecute;

    private readonly Lock _gate = new();
    private readonly long _segmentBytes;
    private FileStream? _writer;
    private int _writerIndex;
    private bool _tailChecked;
    private (int Index, long Length)? _cutBackTo; // a failed append not yet cut off
    private Exception? _fault;
    private bool _disposed;

    public EventJournal(string folder, long segmentBytes = DefaultSegmentBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentBytes, 4096);
        Folder = folder;
        _segmentBytes = segmentBytes;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, OwnerOnlyFolder);
            File.SetUnixFileMode(folder, OwnerOnlyFolder);
        }
    }

    /// <summary>The journal folder under a <c>Storage:Path</c> folder.</summary>
    public static string FolderUnder(string storageFolder) => Path.Combine(storageFolder, "journal");

    public string Folder { get; }

    /// <summary>Why the last append failed (e.g. no space left on device); null once appends succeed again.</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    /// <summary>fsyncs done by <see cref="AppendBatch"/> (one per non-empty batch).</summary>
    public long Flushes { get; private set; }

    /// <summary>The segment files, oldest first.</summary>
    public IReadOnlyList<string> SegmentPaths() =>
        [.. ListSegments().Select(s => s.Path)];

    /// <summary>
    /// Appends the batch with one write and one fsync. When this returns the batch is durable;
    /// when it throws, none of it is (a partial write is cut off again, now or before the next append).
    /// </summary>
    public void AppendBatch(IReadOnlyList<RecordedEvent> events)
    {
        if (events.Count == 0)
        {
            return;
        }

        int total = 0;
        for (int i = 0; i < events.Count; i++)
        {
            total = checked(total + FrameOverhead + RecordedEventCodec.GetSize(events[i]));
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            int at = 0;
            for (int i = 0; i < events.Count; i++)
            {
                int n = RecordedEventCodec.Write(events[i], buffer.AsSpan(at + 4));
                BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(at), (uint)n);
                BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(at + 4 + n), Crc32.Compute(buffer.AsSpan(at + 4, n)));
                at += FrameOverhead + n;
            }

            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                FileStream writer;
                long before;
                try
                {
                    FinishCutBack();
                    writer = WriterFor(total);
                    before = writer.Length;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Volatile.Write(ref _fault, ex);
                    CloseWriter();
                    throw;
                }

                try
                {
                    writer.Write(buffer, 0, total);
                    writer.Flush(flushToDisk: true);
                    Flushes++;
                    Volatile.Write(ref _fault, null);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Volatile.Write(ref _fault, ex);
                    CutBack(writer, before);
                    throw;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads every intact record in order; see <see cref="Read"/>.</summary>
    public JournalReadResult ReadAll()
    {
        var records = new List<RecordedEvent>();
        var result = Read(records.Add);
        return new JournalReadResult
        {
            Records = records,
            RecordCount = result.RecordCount,
            SegmentCount = result.SegmentCount,
            TornTailBytes = result.TornTailBytes,
            Corruptions = result.Corruptions,
        };
    }

    /// <summary>
    /// Calls <paramref name="onRecord"/> for every intact record in append order. A torn tail of
    /// the last segment is cut off (and reported); damage elsewhere is reported and skipped up to
    /// the next intact record.
    /// </summary>
    public JournalReadResult Read(Action<RecordedEvent> onRecord)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            CloseWriter();
            try
            {
                FinishCutBack();
            }
            catch (IOException)
            {
                // Left for the next append; a torn record is cut off by the scan below anyway.
            }

            var segments = ListSegments();
            var corruptions = new List<JournalCorruption>();
            long count = 0;
            long torn = 0;
            for (int i = 0; i < segments.Count; i++)
            {
                torn += ScanSegment(segments[i].Path, isLast: i == segments.Count - 1, onRecord, corruptions, ref count);
            }

            _tailChecked = true;
            return new JournalReadResult
            {
                RecordCount = count,
                SegmentCount = segments.Count,
                TornTailBytes = torn,
                Corruptions = corruptions,
            };
        }
    }

    /// <summary>
    /// Calls <paramref name="onRecord"/> for every intact record appended before the call, in append order, without
    /// blocking appends while reading (the segments are listed and the last one's length taken under the lock; a
    /// closed segment never changes). Damage is skipped and reported; nothing is cut off. A segment deleted meanwhile
    /// is skipped (only segments already indexed and checkpointed are deleted).
    /// </summary>
    public JournalReadResult ReadSnapshot(Action<RecordedEvent> onRecord)
    {
        ArgumentNullException.ThrowIfNull(onRecord);
        List<(int Index, string Path)> segments;
        long lastLength;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            segments = ListSegments();
            _writer?.Flush();
            lastLength = segments.Count == 0 ? 0 : new FileInfo(segments[^1].Path).Length;
        }

        var corruptions = new List<JournalCorruption>();
        long count = 0;
        for (int i = 0; i < segments.Count; i++)
        {
            count += ReadClosed(segments[i].Path, i == segments.Count - 1 ? lastLength : long.MaxValue, onRecord, corruptions);
        }

        return new JournalReadResult { RecordCount = count, SegmentCount = segments.Count, Corruptions = corruptions };
    }

    /// <summary>
    /// Closes the segment taking appends when it holds anything, so the next append starts a new one: the records so far
    /// are then all in closed segments, which <see cref="DeleteSegments"/> may remove once they are covered elsewhere.
    /// </summary>
    public void Roll()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var segments = ListSegments();
            if (!_tailChecked && segments.Count > 0)
            {
                long ignored = 0;
                ScanSegment(segments[^1].Path, isLast: true, static _ => { }, [], ref ignored); // a torn tail must not end up mid-journal
                _tailChecked = true;
            }

            if (segments.Count == 0 || new FileInfo(segments[^1].Path).Length == 0)
            {
                return;
            }

            CloseWriter();
            _writerIndex = segments[^1].Index + 1;
            _writer = OpenSegment(_writerIndex, FileMode.CreateNew); // the new last segment: the previous one is closed
        }
    }

    /// <summary>The segments that take no more appends (every one but the last), oldest first.</summary>
    public IReadOnlyList<string> ClosedSegmentPaths()
    {
        lock (_gate)
        {
            var segments = ListSegments();
            return [.. segments.Take(Math.Max(0, segments.Count - 1)).Select(s => s.Path)];
        }
    }

    /// <summary>Reads one closed segment's intact records (damage skipped); 0 when it is gone.</summary>
    public long ReadSegment(string path, Action<RecordedEvent> onRecord)
    {
        ArgumentNullException.ThrowIfNull(onRecord);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        return ReadClosed(path, long.MaxValue, onRecord, []);
    }

    /// <summary>
    /// Deletes closed segments (never the last one, which takes the appends) and makes the deletion durable (the folder
    /// is fsynced). The caller vouches that their records are stored elsewhere for good. Returns how many were deleted.
    /// </summary>
    public int DeleteSegments(IReadOnlyCollection<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var segments = ListSegments();
            var closed = segments.Take(Math.Max(0, segments.Count - 1)).Select(s => Path.GetFullPath(s.Path)).ToHashSet(StringComparer.Ordinal);
            int deleted = 0;
            foreach (string path in paths)
            {
                if (!closed.Contains(Path.GetFullPath(path)))
                {
                    throw new InvalidOperationException($"{Path.GetFileName(path)} is not a closed segment of this journal");
                }

                File.Delete(path);
                deleted++;
            }

            if (deleted > 0)
            {
                DirectorySync.Flush(Folder);
            }

            return deleted;
        }
    }

    private static long ReadClosed(string path, long maxLength, Action<RecordedEvent> onRecord, List<JournalCorruption> corruptions)
    {
        byte[] data;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            int length = (int)Math.Min(stream.Length, maxLength);
            data = new byte[length];
            stream.ReadExactly(data);
        }
        catch (FileNotFoundException)
        {
            return 0;
        }

        string name = Path.GetFileName(path);
        long count = 0;
        int tail = ReadFrames(data, name, onRecord, corruptions, ref count, out string? reason);
        if (tail >= 0)
        {
            corruptions.Add(new JournalCorruption(name, tail, data.Length - tail, reason!));
        }

        return count;
    }

    /// <summary>
    /// Starts a copy of the journal for a backup: every segment is opened for reading now, so none can be deleted
    /// from under the copy. <see cref="JournalSnapshot.Seal"/> then fixes the prefix to copy.
    /// </summary>
    public JournalSnapshot BeginSnapshot()
    {
        var snapshot = new JournalSnapshot(this);
        try
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                foreach (var segment in ListSegments())
                {
                    snapshot.Open(segment.Path);
                }
            }

            return snapshot;
        }
        catch
        {
            snapshot.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Fixes the length of every segment, those created since <see cref="BeginSnapshot"/> included, under the append
    /// lock: no append is in progress, so each length ends after the last whole record an append wrote and fsynced.
    /// Everything acknowledged before this call is within those lengths; appends after it only add beyond them.
    /// </summary>
    internal void Seal(JournalSnapshot snapshot)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var segment in ListSegments())
            {
                snapshot.Open(segment.Path);
            }

            // A failed append not cut off yet (the disk refused even that) is not part of the journal.
            snapshot.FixLengths(_cutBackTo is { } cut ? (Path.GetFileName(SegmentPath(cut.Index)), cut.Length) : null);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            CloseWriter();
        }
    }

    private FileStream WriterFor(int batchBytes)
    {
        if (!_tailChecked)
        {
            // Never append after a torn record: it would turn the tail into mid-file damage.
            var segments = ListSegments();
            if (segments.Count > 0)
            {
                long ignored = 0;
                ScanSegment(segments[^1].Path, isLast: true, static _ => { }, [], ref ignored);
            }

            _tailChecked = true;
        }

        if (_writer is null)
        {
            var segments = ListSegments();
            _writerIndex = segments.Count == 0 ? 1 : segments[^1].Index;
            _writer = OpenSegment(_writerIndex, FileMode.OpenOrCreate);
        }

        if (_writer.Length > 0 && _writer.Length + batchBytes > _segmentBytes)
        {
            CloseWriter();
            _writerIndex++;
            _writer = OpenSegment(_writerIndex, FileMode.CreateNew);
        }

        _writer.Seek(0, SeekOrigin.End);
        return _writer;
    }

    private FileStream OpenSegment(int index, FileMode mode)
    {
        string path = SegmentPath(index);
        bool existed = File.Exists(path);
        var options = new FileStreamOptions
        {
            Mode = mode,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            BufferSize = 0, // every Write is one write(2) of the whole batch
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        var stream = new FileStream(path, options);
        if (!existed)
        {
            DirectorySync.Flush(Folder);
        }

        return stream;
    }

    /// <summary>
    /// While the last append failed: cuts it off if still needed and checks that the journal folder takes a
    /// write and an fsync again (a probe file, deleted at once); clears <see cref="Fault"/> when it does.
    /// Returns true when the journal is fit to append (for the health check, so it turns healthy without
    /// waiting for the next event).
    /// </summary>
    public bool TryRecover()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            if (Volatile.Read(ref _fault) is null)
            {
                return true;
            }

            string probe = Path.Combine(Folder, ".probe");
            try
            {
                FinishCutBack();
                using (var stream = new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None))
                {
                    stream.Write(new byte[ProbeBytes]);
                    stream.Flush(flushToDisk: true);
                }

                File.Delete(probe);
                Volatile.Write(ref _fault, null);
                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Volatile.Write(ref _fault, ex);
                try
                {
                    File.Delete(probe);
                }
                catch (IOException)
                {
                    // Deleted by the next probe.
                }

                return false;
            }
        }
    }

    /// <summary>Room the health probe asks for: about one batch of a storm's last gasps.</summary>
    private const int ProbeBytes = 64 * 1024;

    private void CutBack(FileStream writer, long length)
    {
        try
        {
            writer.SetLength(length);
            writer.Flush(flushToDisk: true);
        }
        catch (IOException)
        {
            _cutBackTo = (_writerIndex, length); // cut off before the next append
            CloseWriter();
        }
    }

    /// <summary>Cuts off an append that failed and could not be cut off then. Caller holds the gate.</summary>
    private void FinishCutBack()
    {
        if (_cutBackTo is not { } cut)
        {
            return;
        }

        CloseWriter();
        string path = SegmentPath(cut.Index);
        if (File.Exists(path))
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
            if (stream.Length > cut.Length)
            {
                stream.SetLength(cut.Length);
                stream.Flush(flushToDisk: true);
            }
        }

        _cutBackTo = null;
    }

    private void CloseWriter()
    {
        _writer?.Dispose();
        _writer = null;
    }

    private string SegmentPath(int index) =>
        Path.Combine(Folder, SegmentPrefix + index.ToString("D6", CultureInfo.InvariantCulture) + SegmentExtension);

    private List<(int Index, string Path)> ListSegments()
    {
        var list = new List<(int Index, string Path)>();
        foreach (string path in Directory.EnumerateFiles(Folder, SegmentPrefix + "*" + SegmentExtension))
        {
            string name = Path.GetFileNameWithoutExtension(path);
            if (int.TryParse(name.AsSpan(SegmentPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index > 0)
            {
                list.Add((index, path));
            }
        }

        list.Sort((a, b) => a.Index.CompareTo(b.Index));
        return list;
    }

    /// <summary>Reads one segment; returns the bytes cut off its end (last segment only).</summary>
    private static long ScanSegment(string path, bool isLast, Action<RecordedEvent> onRecord, List<JournalCorruption> corruptions, ref long count)
    {
        byte[] data = File.ReadAllBytes(path);
        string name = Path.GetFileName(path);
        int at = ReadFrames(data, name, onRecord, corruptions, ref count, out string? reason);
        if (at < 0)
        {
            return 0;
        }

        if (!isLast)
        {
            corruptions.Add(new JournalCorruption(name, at, data.Length - at, reason!));
            return 0;
        }

        // Nothing intact follows: a record torn by a crash mid-append. Cut it off.
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read))
        {
            stream.SetLength(at);
            stream.Flush(flushToDisk: true);
        }

        return data.Length - at;
    }

    /// <summary>
    /// Hands every intact record of <paramref name="data"/> to <paramref name="onRecord"/>; damage followed by an intact
    /// frame is added to <paramref name="corruptions"/> and skipped. Returns where damage starts that nothing intact
    /// follows (with its <paramref name="reason"/>; the caller decides what it is), or -1 when the data ends cleanly.
    /// </summary>
    private static int ReadFrames(byte[] data, string name, Action<RecordedEvent> onRecord, List<JournalCorruption> corruptions, ref long count, out string? reason)
    {
        int at = 0;
        while (at < data.Length)
        {
            reason = CheckFrame(data, at, out int payloadLength);
            if (reason is null)
            {
                if (RecordedEventCodec.TryRead(data.AsSpan(at + 4, payloadLength), out var record))
                {
                    onRecord(record!);
                    count++;
                }
                else
                {
                    // The CRC holds, so the framing does: skip just this record.
                    corruptions.Add(new JournalCorruption(name, at, FrameOverhead + payloadLength, "payload does not decode"));
                }

                at += FrameOverhead + payloadLength;
                continue;
            }

            int next = FindNextFrame(data, at + 1);
            if (next < 0)
            {
                return at;
            }

            corruptions.Add(new JournalCorruption(name, at, next - at, reason));
            at = next;
        }

        reason = null;
        return -1;
    }

    /// <summary>Null when an intact frame starts at <paramref name="at"/>, else what is wrong.</summary>
    private static string? CheckFrame(byte[] data, int at, out int payloadLength)
    {
        payloadLength = 0;
        int remaining = data.Length - at;
        if (remaining < 4)
        {
            return "truncated length";
        }

        uint length = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at));
        if (length < RecordedEventCodec.FixedSize || length > RecordedEventCodec.MaxSize)
        {
            return "implausible length";
        }

        if (remaining < FrameOverhead + (int)length)
        {
            return "truncated record";
        }

        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at + 4 + (int)length));
        if (crc != Crc32.Compute(data.AsSpan(at + 4, (int)length)))
        {
            return "CRC mismatch";
        }

        payloadLength = (int)length;
        return null;
    }

    /// <summary>The next offset at or after <paramref name="from"/> where an intact frame starts, or -1.</summary>
    private static int FindNextFrame(byte[] data, int from)
    {
        for (int at = from; at <= data.Length - FrameOverhead - RecordedEventCodec.FixedSize; at++)
        {
            if (CheckFrame(data, at, out _) is null)
            {
                return at;
            }
        }

        return -1;
    }
}
