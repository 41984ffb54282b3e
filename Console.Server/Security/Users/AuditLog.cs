using LiteDB;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Console.Server.Security.Users;

/// <summary>One audited action (LiteDB collection <c>audit</c>).</summary>
public sealed class AuditEntry
{
    public ObjectId Id { get; set; } = ObjectId.Empty;

    public DateTime Time { get; set; }

    /// <summary>The user name (as typed, for a failed sign-in), or the API client.</summary>
    public string User { get; set; } = "";

    /// <summary>What happened, e.g. <c>sign-in</c>, <c>sign-in-failed</c>, <c>sign-out</c>, <c>password-changed</c>.</summary>
    public string Action { get; set; } = "";

    public string RemoteAddress { get; set; } = "";

    public string? Detail { get; set; }
}

/// <summary>
/// The audit trail: every sign-in, failure, sign-out and admin action, with time, user and remote address.
/// What a caller typed is stored bounded (<see cref="MaxUserLength"/>, <see cref="MaxDetailLength"/> characters,
/// control characters shown as <c>\uXXXX</c>), so a flood of huge names cannot grow the database or the audit
/// page; entries older than <c>Audit:RetentionDays</c> are purged daily (<see cref="AuditRetention"/>).
/// </summary>
public sealed class AuditLog(LiteStore store, TimeProvider time)
{
    public const string CollectionName = "audit";

    /// <summary>Longest user name stored (user names are at most 64 characters; a longer typed name is cut, marked with …).</summary>
    public const int MaxUserLength = 64;

    public const int MaxDetailLength = 512;

    private ILiteCollection<AuditEntry> Entries
    {
        get
        {
            var col = store.Database.GetCollection<AuditEntry>(CollectionName);
            col.EnsureIndex(e => e.Time);
            return col;
        }
    }

    public void Write(string user, string action, string? remoteAddress, string? detail = null) =>
        Entries.Insert(new AuditEntry
        {
            Time = time.GetUtcNow().UtcDateTime,
            User = Bounded(user, MaxUserLength),
            Action = Bounded(action, MaxUserLength),
            RemoteAddress = Bounded(remoteAddress ?? "", MaxUserLength),
            Detail = detail is null ? null : Bounded(detail, MaxDetailLength),
        });

    /// <summary>Deletes the entries older than <paramref name="before"/>; how many went.</summary>
    public int PurgeBefore(DateTime before) => Entries.DeleteMany(e => e.Time < before);

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

    /// <summary>The latest entries, newest first.</summary>
    public IReadOnlyList<AuditEntry> Recent(int count) =>
        [.. Entries.Query().OrderByDescending(e => e.Time).Limit(count).ToEnumerable()];
}
