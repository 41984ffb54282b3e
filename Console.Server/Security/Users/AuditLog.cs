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

/// <summary>The audit trail: every sign-in, failure, sign-out and admin action, with time, user and remote address.</summary>
public sealed class AuditLog(LiteStore store, TimeProvider time)
{
    public const string CollectionName = "audit";

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
            User = user,
            Action = action,
            RemoteAddress = remoteAddress ?? "",
            Detail = detail,
        });

    /// <summary>The latest entries, newest first.</summary>
    public IReadOnlyList<AuditEntry> Recent(int count) =>
        [.. Entries.Query().OrderByDescending(e => e.Time).Limit(count).ToEnumerable()];
}
