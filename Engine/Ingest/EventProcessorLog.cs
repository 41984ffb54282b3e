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

    private readonly TimeProvider _time;
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

    /// <summary>Lines dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

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
            .Append(" meter=").Append(string.IsNullOrEmpty(meter) ? "-" : meter);
        if (!string.IsNullOrEmpty(detail))
        {
            line.Append(' ').Append(detail.ReplaceLineEndings(" "));
        }

        Interlocked.Increment(ref _pending);
        if (!_lines.Writer.TryWrite(line.ToString()))
        {
            Interlocked.Decrement(ref _pending);
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Completes when every line queued before the call is in the file (for tests and shutdown).</summary>
    public Task FlushAsync()
    {
        // Read the signal before the count: the writer completes this signal (after swapping in
        // a new one) whenever the count reaches zero, so no wake-up can be missed.
        var idle = Volatile.Read(ref _idle);
        return Interlocked.Read(ref _pending) == 0 ? Task.CompletedTask : idle.Task;
    }

    private async Task WriteLoopAsync()
    {
        var stream = Open();
        var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16);
        long size = stream.Length; // the writer buffers: count what it was given
        long reportedDrops = 0;
        try
        {
            while (await _lines.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                long batch = 0;
                while (_lines.Reader.TryRead(out var line))
                {
                    batch++;
                    await writer.WriteLineAsync(line).ConfigureAwait(false);
                    size += Encoding.UTF8.GetByteCount(line) + 1;
                    Interlocked.Increment(ref _written);
                    var dropped = Interlocked.Read(ref _dropped);
                    if (dropped != reportedDrops)
                    {
                        await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                            $"{_time.GetUtcNow().UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'} LOG_LINES_DROPPED src=- meter=- count={dropped - reportedDrops} reason=queue-full")).ConfigureAwait(false);
                        reportedDrops = dropped;
                    }

                    if (size >= _maxBytes)
                    {
                        await writer.DisposeAsync().ConfigureAwait(false);
                        Roll();
                        stream = Open();
                        writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16);
                        size = 0;
                    }
                }

                await writer.FlushAsync().ConfigureAwait(false);
                if (Interlocked.Add(ref _pending, -batch) == 0)
                {
                    var idle = Interlocked.Exchange(ref _idle, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                    idle.TrySetResult();
                }
            }
        }
        finally
        {
            await writer.DisposeAsync().ConfigureAwait(false);
            Volatile.Read(ref _idle).TrySetResult();
        }
    }

    private FileStream Open()
    {
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite };
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
        await _writer.ConfigureAwait(false);
    }
}
