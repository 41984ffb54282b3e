using OpsConsole.Engine.Application;

namespace OpsConsole.Console.Server.Security.Users;

/// <summary>The application layer's <see cref="IAuditTrail"/> on the host's <see cref="AuditLog"/>.</summary>
public sealed class AuditTrail(AuditLog log) : IAuditTrail
{
    public void Write(string actor, string action, string? remoteAddress, string? detail) => log.Write(actor, action, remoteAddress, detail);

    public IReadOnlyList<AuditRecord> Recent(int count) =>
        [.. log.Recent(count).Select(e => new AuditRecord(Utc(e.Time), e.User, e.Action, e.RemoteAddress, e.Detail))];

    internal static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : t, DateTimeKind.Utc));
}
