using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;

namespace OpsConsole.Engine.Storage;

/// <summary>
/// Keeps stored history to its horizons: at start and then once a day (by the injected <see cref="TimeProvider"/>),
/// deletes the events received more than <c>Retention:EventDays</c> ago and the operator actions older than
/// <c>Retention:ActionDays</c>. Safe to run twice: a purge deletes by age only. The audit trail has its own daily
/// purge (<c>Audit:RetentionDays</c>, in the web host); journal segments are not this job's.
/// </summary>
public sealed partial class StorageRetention(
    IEventStore events, IOperatorActionStore actions, IOptions<RetentionOptions> options, TimeProvider time, ILogger<StorageRetention> logger)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromDays(1);

    /// <summary>Raised after each purge (tests wait on it instead of sleeping).</summary>
    public event Action<RetentionResult>? Purged;

    /// <summary>One purge now.</summary>
    public RetentionResult PurgeNow()
    {
        var now = time.GetUtcNow();
        var o = options.Value;
        long deletedEvents = events.DeleteReceivedBefore(now - TimeSpan.FromDays(o.EventDays));
        int deletedActions = actions.DeleteBefore(now - TimeSpan.FromDays(o.ActionDays));
        if (deletedEvents > 0 || deletedActions > 0)
        {
            LogPurged(logger, deletedEvents, o.EventDays, deletedActions, o.ActionDays);
        }

        var result = new RetentionResult(deletedEvents, deletedActions);
        Purged?.Invoke(result);
        return result;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = Task.Delay(Interval, time, stoppingToken); // armed before the purge reports, so a test can move the clock right after
            try
            {
                PurgeNow();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPurgeFailed(logger, e); // tried again tomorrow; history only grows meanwhile (never a reason to stop the host)
            }

            try
            {
                await next.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Information,
        Message = "Retention: deleted {Events} events older than {EventDays} days and {Actions} operator actions older than {ActionDays} days")]
    private static partial void LogPurged(ILogger logger, long events, int eventDays, int actions, int actionDays);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "Retention: the purge failed; it runs again in a day")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}

/// <summary>What one purge deleted.</summary>
public sealed record RetentionResult(long Events, int Actions);
