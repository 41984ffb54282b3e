using System.Globalization;
using System.Net;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;

namespace OpsConsole.Engine.Ingest;

/// <summary>
/// The event-processor log: a plain text file under <c>Storage:Path/logs/</c>, one line per
/// rejected or flagged frame, for administrators to grep:
/// <code>2026-11-24T18:03:11.420Z ERR_REPLAY src=10.1.2.3:5683 meter=ckt24-M-100350100 ic=9 highest=12</code>
/// Lines go through a bounded queue to one writer so the listener never waits on the disk.
/// Overflow policy: when the queue is full (a flood of junk faster than the disk), the line is
/// dropped and counted, and the writer records how many were dropped as soon as it catches up;
/// the counters of <see cref="IngestStats"/> stay exact either way.
/// Disk errors (full, read-only): the batch that failed is cut back off the file and written again
/// after a back-off (<see cref="RetryMin"/> doubling to <see cref="RetryMax"/>, or at once on
/// <see cref="RetryNowAsync"/>), so the writer recovers by itself when space returns; lines arriving
/// meanwhile wait in the queue and overflow as above (counted, reported when writing works again).
/// Text from the network (meter ids, Uri-Paths, option values in the detail) is escaped by
/// <see cref="AppendEscaped"/>: one datagram is never more than one line, and never a forged one.
/// </summary>
public sealed class EventProcessorLog : IAsyncDisposable
{
    public const string FileName = "event_processor.log";
    public const int QueueCapacity = 65_536;

    private readonly Channel<string> _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(QueueCapacity)
    {
        FullMode = BoundedChannelFullMode.DropWrite, // see the overflow policy above
        SingleReader = true,
    });

    /// <summary>The first wait before writing again after a failed write; it doubles up to <see cref="RetryMax"/>.</summary>
    public static readonly TimeSpan RetryMin = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan RetryMax = TimeSpan.FromSeconds(5);

    /// <summary>Longest meter id written (network text; the rest is cut off with a marker).</summary>
    public const int MaxMeterChars = 128;

    /// <summary>Longest detail written (it carries network text; the rest is cut off with a marker).</summary>
    public const int MaxDetailChars = 1024;

    private const int MaxBatchChars = 1 << 18;
    private const char FieldStart = '\u0001';
    private const char FieldEnd = '\u0002';

    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _closing = new();
    private FileStream? _stream;
    private long _size = -1; // bytes of whole lines in the file; -1 before the first open
    private TaskCompletionSource _retryNow = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<bool> _attempted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _maxBytes;
    private readonly int _keep;
    private readonly Task _writer;
    private long _dropped;
    private long _written;
    private long _pending; // queued and not yet flushed to the file
    private TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EventProcessorLog(IOptions<StorageOptions> storage, TimeProvider time)
        : this(Path.Combine(OptionPaths.Resolve(storage.Value.Path), "logs"), time)
    {
    }

    public EventProcessorLog(string folder, TimeProvider time, long maxBytes = 16 * 1024 * 1024, int keep = 5)
    {
        Folder = folder;
        _time = time;
        _maxBytes = maxBytes;
        _keep = keep;
        Directory.CreateDirectory(folder);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        _writer = Task.Run(WriteLoopAsync);
    }

    public string Folder { get; }

    public string FilePath => Path.Combine(Folder, FileName);

    /// <summary>Lines dropped because the queue was full (or given up at shutdown while the disk failed).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Why the last write failed (e.g. no space left on device); null while writing works.</summary>
    public Exception? Fault
    {
        get => Volatile.Read(ref _fault);
        private set => Volatile.Write(ref _fault, value);
    }

    private Exception? _fault;

    /// <summary>Lines written to the file so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    public void Rejected(RejectReason reason, EndPoint? source, string? meter, string? detail = null) =>
        Write(reason.ToString(), source, meter, detail);

    public void Flagged(FlagCode flag, EndPoint? source, string? meter, string? detail = null) =>
        Write(flag.ToCode(), source, meter, detail);

    public void Write(string code, EndPoint? source, string? meter, string? detail)
    {
        var line = new StringBuilder(128)
            .Append(_time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
            .Append(' ').Append(code)
            .Append(" src=").Append(source?.ToString() ?? "-")
            .Append(" meter=");
        if (string.IsNullOrEmpty(meter))
        {
            line.Append('-');
        }
        else
        {
            AppendEscaped(line, meter, MaxMeterChars, escapeSpace: true);
        }

        if (!string.IsNullOrEmpty(detail))
        {
            AppendEscaped(line.Append(' '), detail, MaxDetailChars, escapeSpace: false);
        }

        Interlocked.Increment(ref _pending);
        if (!_lines.Writer.TryWrite(line.ToString()))
        {
            Interlocked.Decrement(ref _pending);
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>
    /// Marks <paramref name="text"/> from the network (a Uri-Path, an option value) inside a detail: <see cref="Write"/>
    /// then escapes its spaces too, so it stays one <c>key=value</c> field and cannot add fields or words of its own.
    /// </summary>
    public static string Field(string? text) =>
        FieldStart + (text ?? "").Replace(FieldStart, '\uFFFD').Replace(FieldEnd, '\uFFFD') + FieldEnd;

    /// <summary>
    /// Appends <paramref name="text"/> (which may come from the network) so that it cannot break the line
    /// format: a backslash becomes <c>\\</c>; control characters (CR, LF, TAB, ESC, DEL, C1 …), every
    /// non-ASCII character (as its UTF-8 bytes) and, when <paramref name="escapeSpace"/>, the space become
    /// <c>\xNN</c> (spaces also inside a <see cref="Field"/>); beyond <paramref name="maxChars"/> characters of input the rest is cut off and
    /// replaced by <c>[...+N chars]</c>.
    /// </summary>
    public static void AppendEscaped(StringBuilder line, string text, int maxChars, bool escapeSpace)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(text);
        Span<byte> utf8 = stackalloc byte[4];
        bool inField = false;
        int at = 0;
        while (at < text.Length)
        {
            if (at >= maxChars)
            {
                line.Append(CultureInfo.InvariantCulture, $"[...+{text.Length - at}chars]");
                return;
            }

            char c = text[at];
            if (c is FieldStart or FieldEnd && !escapeSpace)
            {
                inField = c == FieldStart; // the marks themselves are not written
            }
            else if (c == '\\')
            {
                line.Append(@"\\");
            }
            else if (c is > ' ' and < (char)0x7F || (c == ' ' && !escapeSpace && !inField))
            {
                line.Append(c);
            }
            else if (c < 0x80)
            {
                line.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
            }
            else
            {
                if (Rune.DecodeFromUtf16(text.AsSpan(at), out Rune rune, out int used) != System.Buffers.OperationStatus.Done)
                {
                    rune = Rune.ReplacementChar; // a lone surrogate
                    used = 1;
                }

                int n = rune.EncodeToUtf8(utf8);
                for (int i = 0; i < n; i++)
                {
                    line.Append(CultureInfo.InvariantCulture, $"\\x{utf8[i]:X2}");
                }

                at += used;
                continue;
            }

            at++;
        }
    }

    /// <summary>Completes when every line queued before the call is in the file (or given up as dropped).</summary>
    public Task FlushAsync()
    {
        // Read the signal before the count: the writer completes this signal (after swapping in
        // a new one) whenever the count reaches zero, so no wake-up can be missed.
        var idle = Volatile.Read(ref _idle);
        return Interlocked.Read(ref _pending) == 0 ? Task.CompletedTask : idle.Task;
    }

    /// <summary>
    /// While lines wait or the last write failed: asks the writer to try again now instead of at the end of its
    /// back-off, and returns whether its next attempt succeeded (true at once when nothing waits and nothing fails).
    /// </summary>
    public async Task<bool> RetryNowAsync(CancellationToken cancellationToken = default)
    {
        if (Fault is null && Interlocked.Read(ref _pending) == 0)
        {
            return true;
        }

        var attempt = Volatile.Read(ref _attempted).Task;
        Interlocked.Exchange(ref _retryNow, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return await attempt.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new StringBuilder(1 << 16);
        long batchLines = 0;
        long reportedDrops = 0;
        var delay = RetryMin;
        TryWriteBatch(batch); // opens (creates) the file at start, as administrators expect it there
        while (true)
        {
            if (batchLines == 0)
            {
                if (!await _lines.Reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    break;
                }

                // Up to the size at which the file rolls, so rolling stays line-exact.
                long room = _maxBytes - Math.Max(0, _size);
                while (batch.Length < MaxBatchChars && batch.Length < room && _lines.Reader.TryRead(out var line))
                {
                    batch.Append(line).Append('\n');
                    batchLines++;
                }

                var dropped = Interlocked.Read(ref _dropped);
                if (dropped != reportedDrops)
                {
                    batch.Append(CultureInfo.InvariantCulture,
                        $"{_time.GetUtcNow().UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'} LOG_LINES_DROPPED src=- meter=- count={dropped - reportedDrops} reason=queue-full\n");
                    reportedDrops = dropped;
                }
            }

            bool ok = TryWriteBatch(batch);
            Interlocked.Exchange(ref _attempted, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(ok);
            if (ok)
            {
                Interlocked.Add(ref _written, batchLines);
                Done(batchLines);
                batch.Clear();
                batchLines = 0;
                delay = RetryMin;
                continue;
            }

            if (_closing.IsCancellationRequested)
            {
                break; // shutting down with the disk failing: give up (counted below)
            }

            // The disk refuses (full, read-only, gone): keep the batch and try again later; lines
            // arriving meanwhile wait in the queue, and when it is full they are dropped and counted.
            var retryNow = Volatile.Read(ref _retryNow).Task;
            await Task.WhenAny(Task.Delay(delay, _time, _closing.Token), retryNow).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, RetryMax.Ticks));
        }

        // Only after giving up: what is left is lost, and counted so.
        long lost = batchLines;
        while (_lines.Reader.TryRead(out _))
        {
            lost++;
        }

        Interlocked.Add(ref _dropped, lost);
        Done(lost);
        _stream?.Dispose();
        _stream = null;
        Volatile.Read(ref _idle).TrySetResult();
    }

    private void Done(long lines)
    {
        if (lines > 0 && Interlocked.Add(ref _pending, -lines) == 0)
        {
            var idle = Interlocked.Exchange(ref _idle, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            idle.TrySetResult();
        }
    }

    /// <summary>
    /// Appends the batch with one write. On failure the file is cut back to its last whole line (now or,
    /// failing that, before the next write) and the fault is kept for <see cref="Fault"/>.
    /// </summary>
    private bool TryWriteBatch(StringBuilder batch)
    {
        try
        {
            if (_stream is null)
            {
                _stream = Open();
                if (_size >= 0 && _stream.Length > _size)
                {
                    _stream.SetLength(_size); // a torn write of an earlier attempt
                }

                _size = _stream.Length;
            }

            if (batch.Length > 0)
            {
                byte[] bytes = Encoding.UTF8.GetBytes(batch.ToString());
                _stream.Seek(_size, SeekOrigin.Begin);
                _stream.Write(bytes);
                _size += bytes.Length;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fault = ex;
            try
            {
                _stream?.SetLength(Math.Max(0, _size));
            }
            catch (IOException)
            {
                // Cut back on the next open.
            }

            _stream?.Dispose();
            _stream = null;
            return false;
        }

        if (_size >= _maxBytes)
        {
            try
            {
                _stream.Dispose();
                _stream = null;
                Roll();
                _size = 0;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Fault = ex; // the lines are written; rolling is tried again after the next batch
                _size = -1;
                return true;
            }
        }

        Fault = null;
        return true;
    }

    private FileStream Open()
    {
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.Write, Share = FileShare.ReadWrite, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(FilePath, options);
    }

    /// <summary>event_processor.log → .1.log → .2.log …; the oldest beyond <c>keep</c> is deleted.</summary>
    private void Roll()
    {
        string Name(int i) => Path.Combine(Folder, $"event_processor.{i}.log");
        File.Delete(Name(_keep));
        for (int i = _keep - 1; i >= 1; i--)
        {
            if (File.Exists(Name(i)))
            {
                File.Move(Name(i), Name(i + 1));
            }
        }

        File.Move(FilePath, Name(1));
    }

    public async ValueTask DisposeAsync()
    {
        _lines.Writer.TryComplete();
        await _closing.CancelAsync().ConfigureAwait(false); // a writer waiting to retry gives up; a healthy one drains the queue
        await _writer.ConfigureAwait(false);
        _closing.Dispose();
    }
}
