using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Engine.Ingest;

/// <summary>
/// Keeps the ingest's counters across restarts and restores: at start, the totals stored (<see cref="ICounterStore"/>)
/// become <see cref="IngestStats"/>'s baseline; every <see cref="SaveInterval"/> (by the injected
/// <see cref="TimeProvider"/>) and at stop, what was counted since the last save is added to the store. A crash
/// loses at most one interval's counts from the totals (the figures since start are not affected).
/// </summary>
public sealed partial class IngestTotals(IngestStats stats, ICounterStore store, TimeProvider time, ILogger<IngestTotals> logger) : IHostedService, IDisposable
{
    public static readonly TimeSpan SaveInterval = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private Dictionary<string, long> _saved = new(StringComparer.Ordinal);
    private ITimer? _timer;

    /// <summary>Raised after each save (tests wait on it instead of sleeping).</summary>
    public event Action? Saved;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            stats.SetBaseline(store.Load());
        }
        catch (IOException ex)
        {
            LogLoadFailed(logger, ex); // totals start from the counts since start; the stored ones stay stored
        }

        _timer = time.CreateTimer(_ => SaveNow(), null, SaveInterval, SaveInterval);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        SaveNow();
        return Task.CompletedTask;
    }

    /// <summary>Adds the counts since the last save to the store; false when the store refused (tried again next time).</summary>
    public bool SaveNow()
    {
        lock (_gate)
        {
            var now = IngestStats.Flatten(stats.Snapshot());
            var deltas = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (name, n) in now)
            {
                long delta = n - _saved.GetValueOrDefault(name);
                if (delta != 0)
                {
                    deltas[name] = delta;
                }
            }

            try
            {
                store.Add(deltas);
            }
            catch (IOException ex)
            {
                LogSaveFailed(logger, ex);
                return false;
            }

            _saved = now;
        }

        Saved?.Invoke();
        return true;
    }

    public void Dispose() => _timer?.Dispose();

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "The stored ingest totals could not be read; totals count from this start")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "The ingest totals could not be saved; tried again at the next interval")]
    private static partial void LogSaveFailed(ILogger logger, Exception exception);
}
