using Microsoft.Extensions.Logging;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Console.Server.Security.Users;

/// <summary>One audited action (stored through <see cref="IAuditStore"/>).</summary>
public sealed class AuditEntry
{
    public DateTime Time { get; set; }

    /// <summary>The user name (as typed, for a failed sign-in), or the API client.</summary>
    public string User { get; set; } = "";

    /// <summary>What happened, e.g. <c>sign-in</c>, <c>sign-in-failed</c>, <c>sign-out</c>, <c>password-changed</c>.</summary>
    public string Action { get; set; } = "";

    public string RemoteAddress { get; set; } = "";

    public string? Detail { get; set; }

    internal AuditRecord ToRecord() => new(Time, User, Action, RemoteAddress, Detail);

    internal static AuditEntry From(AuditRecord r) =>
        new() { Time = r.Time, User = r.User, Action = r.Action, RemoteAddress = r.RemoteAddress, Detail = r.Detail };

    internal bool Matches(AuditQuery q) =>
        (q.From is not { } from || Time >= from) && (q.To is not { } to || Time < to)
        && (q.User is null || string.Equals(User, q.User, StringComparison.OrdinalIgnoreCase))
        && (q.Action is null || string.Equals(Action, q.Action, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// The audit trail: every sign-in, failure, sign-out and admin action, with time, user and remote address.
/// What a caller typed is stored bounded (<see cref="MaxUserLength"/>, <see cref="MaxDetailLength"/> characters,
/// control characters shown as <c>\uXXXX</c>), so a flood of huge names cannot grow the database or the audit
/// page; entries older than <c>Audit:RetentionDays</c> are purged daily (<see cref="AuditRetention"/>).
/// </summary>
/// <remarks>
/// Never lost, never a reason to fail the action it records: when the database cannot take the entry (disk
/// full), it waits in memory, in order, and is written by the next <see cref="Write"/>, by
/// <see cref="TryFlush"/> (the health check) or by a retry every <see cref="RetryPeriod"/>, whichever comes
/// first once space returns. Beyond <see cref="MaxPending"/> waiting entries, an entry is written to the
/// application log (error level, in full) instead and counted in <see cref="Overflowed"/>.
/// </remarks>
public sealed partial class AuditLog(IAuditStore store, TimeProvider time, ILogger<AuditLog>? logger = null)
{
    public const int MaxPending = 10_000;
    public static readonly TimeSpan RetryPeriod = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly Queue<AuditEntry> _pending = new();
    private readonly ILogger _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    private ITimer? _retry;
    private long _overflowed;

    /// <summary>Longest user name stored (user names are at most 64 characters; a longer typed name is cut, marked with …).</summary>
    public const int MaxUserLength = 64;

    public const int MaxDetailLength = 512;

    /// <summary>Entries waiting in memory for the disk.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Entries that found the memory queue full and went to the application log only.</summary>
    public long Overflowed => Interlocked.Read(ref _overflowed);

    /// <summary>Why the last write failed (e.g. no space left on device); null while entries are written.</summary>
    public Exception? Fault { get; private set; }

    public void Write(string user, string action, string? remoteAddress, string? detail = null)
    {
        var entry = new AuditEntry
        {
            Time = time.GetUtcNow().UtcDateTime,
            User = Bounded(user, MaxUserLength),
            Action = Bounded(action, MaxUserLength),
            RemoteAddress = Bounded(remoteAddress ?? "", MaxUserLength),
            Detail = detail is null ? null : Bounded(detail, MaxDetailLength),
        };
        lock (_gate)
        {
            if (_pending.Count >= MaxPending)
            {
                Interlocked.Increment(ref _overflowed);
                LogOverflow(_logger, entry.Time, entry.User, entry.Action, entry.RemoteAddress, entry.Detail);
                return;
            }

            _pending.Enqueue(entry);
            FlushLocked();
        }
    }

    /// <summary>Writes the entries waiting in memory; true when none is left waiting.</summary>
    public bool TryFlush()
    {
        lock (_gate)
        {
            return FlushLocked();
        }
    }

    /// <summary>The latest entries, newest first (those still waiting for the disk included).</summary>
    public IReadOnlyList<AuditEntry> Recent(int count) => Query(new AuditQuery(Limit: count));

    /// <summary>
    /// The entries matching <paramref name="query"/>, newest first, at most its limit (those still waiting for the
    /// disk included: they are the newest).
    /// </summary>
    public IReadOnlyList<AuditEntry> Query(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        AuditEntry[] waiting;
        lock (_gate)
        {
            FlushLocked();
            waiting = [.. _pending.Where(e => e.Matches(query)).Reverse()];
        }

        if (waiting.Length >= query.Limit)
        {
            return [.. waiting.Take(Math.Max(0, query.Limit))];
        }

        var stored = store.Query(query with { Limit = query.Limit - waiting.Length }).Select(AuditEntry.From);
        return [.. waiting.Concat(stored)];
    }

    /// <summary>Deletes the entries older than <paramref name="before"/>; how many went.</summary>
    public int PurgeBefore(DateTime before) => store.DeleteBefore(before);

    /// <summary>
    /// <paramref name="text"/> with control characters as <c>\uXXXX</c> (no line breaks or terminal escapes reach a
    /// reader), cut to <paramref name="max"/> characters with a trailing … when longer.
    /// </summary>
    public static string Bounded(string text, int max)
    {
        ArgumentNullException.ThrowIfNull(text);
        var b = new System.Text.StringBuilder(Math.Min(text.Length, max + 1));
        foreach (char c in text)
        {
            string piece = char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString();
            if (b.Length + piece.Length > max)
            {
                b.Append('…');
                break;
            }

            b.Append(piece);
        }

        return b.ToString();
    }

    private bool FlushLocked()
    {
        while (_pending.Count > 0)
        {
            try
            {
                store.Add(_pending.Peek().ToRecord());
            }
            catch (IOException ex) // StorageException included
            {
                if (Fault is null)
                {
                    LogWaiting(_logger, ex, ex.Message);
                }

                Fault = ex;
                _retry ??= time.CreateTimer(_ => TryFlush(), null, RetryPeriod, RetryPeriod);
                return false;
            }

            _pending.Dequeue();
        }

        if (Fault is not null)
        {
            LogWritten(_logger);
            Fault = null;
        }

        _retry?.Dispose();
        _retry = null;
        return true;
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning,
        Message = "Audit entries cannot be written ({Error}); they wait in memory and are written when the disk takes writes again")]
    private static partial void LogWaiting(ILogger logger, Exception ex, string error);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Audit entries that waited for the disk are written")]
    private static partial void LogWritten(ILogger logger);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Error,
        Message = "Audit entry not stored (disk failing and memory queue full): {Time:o} user={User} action={Action} remote={Remote} detail={Detail}")]
    private static partial void LogOverflow(ILogger logger, DateTime time, string user, string action, string remote, string? detail);
}
