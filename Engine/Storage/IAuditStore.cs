namespace OpsConsole.Engine.Storage;

/// <summary>One audited action as stored: when (UTC), who, what, from where, and the detail.</summary>
public sealed record AuditRecord(DateTime Time, string User, string Action, string RemoteAddress, string? Detail);

/// <summary>
/// A filter on the audit trail: time in [<see cref="From"/>, <see cref="To"/>) when given, exact
/// <see cref="User"/> and <see cref="Action"/> when given (ordinal, case-insensitive), at most <see cref="Limit"/> entries.
/// </summary>
public sealed record AuditQuery(DateTime? From = null, DateTime? To = null, string? User = null, string? Action = null, int Limit = 100);

/// <summary>
/// The audit trail's storage. Contract (AuditStoreContract): <see cref="Add"/> keeps every field as given;
/// <see cref="Query"/> returns matching entries newest first (equal times: the one added last first), never more
/// than the limit; <see cref="DeleteBefore"/> removes exactly the entries older than the horizon; one writer,
/// readers meanwhile. Failures are <see cref="StorageException"/> or another <see cref="IOException"/>.
/// </summary>
public interface IAuditStore
{
    void Add(AuditRecord entry);

    IReadOnlyList<AuditRecord> Query(AuditQuery query);

    /// <summary>Deletes the entries older than <paramref name="horizon"/>; how many went.</summary>
    int DeleteBefore(DateTime horizon);
}
