using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpsConsole.Console.Server.Security.Users;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Console.Server.Health;

/// <summary>
/// Healthy while every writer on <c>Storage:Path</c> writes: the event journal, the event-processor log, the
/// database and the audit trail, and the journal's file system has room. Unhealthy naming the writer,
/// the cause and the folder, e.g. <c>journal: No space left on device (/var/lib/opsconsole/journal)</c>.
/// A failing writer is asked to try again right here, so the check turns healthy as soon as space returns,
/// without waiting for the next event or a restart (each writer also retries on its own).
/// </summary>
public sealed class StorageHealthCheck(EventJournal journal, EventProcessorLog eventLog, IStorageEngine store, AuditLog audit) : IHealthCheck
{
    /// <summary>Less room than this on the journal's file system counts as full (a storm's batch or two).</summary>
    public const long MinFreeBytes = 256 * 1024;

    /// <summary>How long the check waits for the event-processor log's retry.</summary>
    public static readonly TimeSpan RetryWait = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        if (!journal.TryRecover() && journal.Fault is { } journalFault)
        {
            problems.Add(Describe("journal", journalFault, journal.Folder));
        }

        if (eventLog.Fault is not null)
        {
            try
            {
                await eventLog.RetryNowAsync(cancellationToken).WaitAsync(RetryWait, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Reported below as still failing.
            }

            if (eventLog.Fault is { } logFault)
            {
                problems.Add(Describe("event log", logFault, eventLog.Folder));
            }
        }

        if (store.Fault is not null && !store.TryRecover() && store.Fault is { } storeFault)
        {
            problems.Add(Describe("database", storeFault, store.Location));
        }

        if (!audit.TryFlush() && audit.Fault is { } auditFault)
        {
            problems.Add(Describe("audit", auditFault, store.Location) + $", {audit.Pending} entries waiting in memory");
        }

        long? free = FreeBytes(journal.Folder);
        if (problems.Count == 0 && free < MinFreeBytes)
        {
            problems.Add($"journal: No space left on device ({journal.Folder}): {free} bytes free");
        }

        return problems.Count == 0
            ? HealthCheckResult.Healthy(free is { } f ? $"{f / (1024 * 1024)} MiB free ({journal.Folder})" : journal.Folder)
            : HealthCheckResult.Unhealthy(string.Join("; ", problems));
    }

    /// <summary>"journal: No space left on device (folder)": the OS's words without the file name .NET appends.</summary>
    private static string Describe(string writer, Exception fault, string path)
    {
        string cause = fault.Message;
        int file = cause.IndexOf(" : '", StringComparison.Ordinal);
        return $"{writer}: {(file > 0 ? cause[..file] : cause)} ({path})";
    }

    private static long? FreeBytes(string folder)
    {
        try
        {
            return new DriveInfo(folder).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
