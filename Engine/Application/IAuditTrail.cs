namespace OpsConsole.Engine.Application;

/// <summary>
/// Where the application layer writes what was done and refused (the host adapts its audit log to it). A write never
/// fails the action it records.
/// </summary>
public interface IAuditTrail
{
    /// <summary>Records one action: who, what (<c>outage-action</c>, <c>admin-refused</c>, …), from where, with a detail.</summary>
    void Write(string actor, string action, string? remoteAddress, string? detail);

    /// <summary>The latest <paramref name="count"/> entries, newest first.</summary>
    IReadOnlyList<AuditRecord> Recent(int count);
}

/// <summary>One audit entry as the application layer reads it back.</summary>
public sealed record AuditRecord(DateTimeOffset Time, string Actor, string Action, string RemoteAddress, string? Detail);
