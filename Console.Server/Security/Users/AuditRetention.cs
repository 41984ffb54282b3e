using Microsoft.Extensions.Options;

namespace OpsConsole.Console.Server.Security.Users;

/// <summary><c>Audit:*</c> — how long the audit trail is kept.</summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>Entries older than this many days are deleted (daily). Default 730: two years.</summary>
    public int RetentionDays { get; set; } = 730;
}

internal sealed class AuditOptionsValidator : IValidateOptions<AuditOptions>
{
    public ValidateOptionsResult Validate(string? name, AuditOptions options) =>
        options.RetentionDays is >= 1 and <= 36_500
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Audit:RetentionDays = {options.RetentionDays}: must be a number of days from 1 to 36500");
}

/// <summary>
/// Keeps the audit trail to its retention horizon: at start and then once a day (by the injected
/// <see cref="TimeProvider"/>), deletes the entries older than <see cref="AuditOptions.RetentionDays"/>.
/// Safe to run twice: a purge deletes by age only.
/// </summary>
public sealed partial class AuditRetention(AuditLog audit, IOptions<AuditOptions> options, TimeProvider time, ILogger<AuditRetention> logger)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromDays(1);

    /// <summary>Raised after each purge with the number of entries deleted (tests wait on it instead of sleeping).</summary>
    public event Action<int>? Purged;

    /// <summary>One purge now; the number of entries deleted.</summary>
    public int PurgeNow()
    {
        var cutoff = time.GetUtcNow().UtcDateTime - TimeSpan.FromDays(options.Value.RetentionDays);
        int deleted = audit.PurgeBefore(cutoff);
        if (deleted > 0)
        {
            LogPurged(logger, deleted, options.Value.RetentionDays);
        }

        Purged?.Invoke(deleted);
        return deleted;
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
                // Whatever failed (the store's StorageException, or anything else): logged in full and tried again tomorrow;
                // the trail only grows meanwhile. Letting it escape would stop the host.
                LogPurgeFailed(logger, e);
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

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "Audit retention: deleted {Count} entries older than {Days} days")]
    private static partial void LogPurged(ILogger logger, int count, int days);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "Audit retention: the purge failed; it runs again in a day")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
