using Microsoft.Extensions.Logging;

namespace OpsConsole.Engine.Application.Push;

/// <summary>
/// Runs a callback after <see cref="Execute"/>, at most once per <c>minInterval</c> (the shape of Aspire Dashboard's
/// <c>CallbackThrottler</c>, on a <see cref="TimeProvider"/> so tests move time instead of waiting). Requests made while
/// a run is waiting or running coalesce into one further run after it: the callback reads the latest state when it
/// runs, so the latest state is never dropped. Runs never overlap (a slow consumer gets fewer, larger runs), on the
/// thread pool, never on the caller's thread: <see cref="Execute"/> returns at once and never throws.
/// </summary>
public sealed partial class CallbackThrottler : IDisposable
{
    private readonly Func<CancellationToken, Task> _callback;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private long _lastRun = long.MinValue; // timestamp of the latest run's start
    private int _requested;
    private int _running;

    public CallbackThrottler(string name, TimeSpan minInterval, Func<CancellationToken, Task> callback, TimeProvider time, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minInterval, TimeSpan.Zero);
        Name = name;
        MinInterval = minInterval;
        _callback = callback;
        _time = time;
        _logger = logger;
    }

    public string Name { get; }

    public TimeSpan MinInterval { get; }

    /// <summary>Runs the callback soon: now if the last run started at least the interval ago, else when it has.</summary>
    public void Execute()
    {
        Volatile.Write(ref _requested, 1);
        if (!_stop.IsCancellationRequested && Interlocked.CompareExchange(ref _running, 1, 0) == 0)
        {
            _ = Task.Run(RunAsync);
        }
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (Volatile.Read(ref _requested) == 0)
                {
                    // Nothing asked since the last run: stand down, unless a request slipped in as we did.
                    Interlocked.Exchange(ref _running, 0); // a full fence: the read below sees a request made before it
                    if (Volatile.Read(ref _requested) == 0 || Interlocked.CompareExchange(ref _running, 1, 0) != 0)
                    {
                        return;
                    }
                }

                if (_lastRun != long.MinValue)
                {
                    var wait = MinInterval - _time.GetElapsedTime(_lastRun);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, _time, ct).ConfigureAwait(false); // requests meanwhile join this run
                    }
                }

                Interlocked.Exchange(ref _requested, 0);
                _lastRun = _time.GetTimestamp();
                try
                {
                    await _callback(ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    LogCallbackFailed(_logger, ex, Name);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // disposed
        }
        finally
        {
            if (ct.IsCancellationRequested)
            {
                Volatile.Write(ref _running, 0);
            }
        }
    }

    public void Dispose()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Subscription {Name}: the callback failed; the next change calls it again")]
    private static partial void LogCallbackFailed(ILogger logger, Exception ex, string name);
}
