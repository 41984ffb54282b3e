using System.Security.Claims;
using OpsConsole.Console.Client.Admin;
using OpsConsole.Engine.Application;
using OpsConsole.Engine.Application.Users;

namespace OpsConsole.Console.Server.Security.Administration;

/// <summary>
/// The admin pages' door to <see cref="UserCommands"/>: it turns the page's user and address into an
/// <see cref="Actor"/> and the answers into the pages' types. The role, the session and the audit are the
/// commands' business. The pages reach it through <see cref="CircuitUserAdministration"/>, which supplies the address.
/// </summary>
public sealed class UserAdministration(UserCommands commands, ActorResolver actors, TimeProvider time)
{
    public const int MaxAuditEntries = UserCommands.MaxAuditEntries;
    public const string Refused = "Only an administrator may do this.";

    public Task<AdminQuery<UserSummary>> ListUsersAsync(ClaimsPrincipal user, string? remoteAddress)
    {
        var result = commands.List(actors.Of(user, remoteAddress));
        return Task.FromResult(result.Succeeded
            ? new AdminQuery<UserSummary>([.. result.Value!.Select(u => new UserSummary(u.Name, u.Role, u.MustChangePassword, u.LockedUntil, u.FailedSignIns, u.CreatedAt, u.Disabled))], null)
            : new AdminQuery<UserSummary>([], Refused));
    }

    public Task<AdminResult> CreateUserAsync(ClaimsPrincipal user, string name, string role, string temporaryPassword, string? remoteAddress)
    {
        var result = commands.Create(actors.Of(user, remoteAddress), name, role, temporaryPassword, time.GetUtcNow());
        return Task.FromResult(result switch
        {
            { Succeeded: true } => AdminResult.Ok,
            { Status: CommandStatus.Invalid, Value: { } invalid } => AdminResult.Invalid(invalid.FieldErrors),
            _ => Fail(result),
        });
    }

    public Task<AdminResult> UnlockAsync(ClaimsPrincipal user, string name, string? remoteAddress) =>
        Task.FromResult(Answer(commands.Unlock(actors.Of(user, remoteAddress), name)));

    public Task<AdminResult> ResetPasswordAsync(ClaimsPrincipal user, string name, string? remoteAddress)
    {
        var result = commands.ResetPassword(actors.Of(user, remoteAddress), name);
        return Task.FromResult(result.Succeeded ? AdminResult.Ok with { TemporaryPassword = result.Value } : Fail(result));
    }

    public Task<AdminResult> SetDisabledAsync(ClaimsPrincipal user, string name, bool disabled, string? remoteAddress)
    {
        var actor = actors.Of(user, remoteAddress);
        return Task.FromResult(Answer(disabled ? commands.Disable(actor, name) : commands.Enable(actor, name)));
    }

    public Task<AdminResult> ChangeRoleAsync(ClaimsPrincipal user, string name, string role, string? remoteAddress) =>
        Task.FromResult(Answer(commands.ChangeRole(actors.Of(user, remoteAddress), name, role)));

    public Task<AdminResult> DeleteAsync(ClaimsPrincipal user, string name, string? remoteAddress) =>
        Task.FromResult(Answer(commands.Delete(actors.Of(user, remoteAddress), name)));

    public Task<AdminQuery<AuditRow>> RecentAuditAsync(ClaimsPrincipal user, int count, string? remoteAddress)
    {
        var result = commands.RecentAudit(actors.Of(user, remoteAddress), count);
        return Task.FromResult(result.Succeeded
            ? new AdminQuery<AuditRow>([.. result.Value!.Select(e => new AuditRow(e.Time, e.Actor, e.Action, e.RemoteAddress, e.Detail))], null)
            : new AdminQuery<AuditRow>([], Refused));
    }

    /// <summary>Null when <paramref name="name"/> is a valid user name, else why not.</summary>
    public static string? CheckName(string? name) => UserCommands.CheckName(name);

    private static AdminResult Answer<T>(CommandResult<T> result) => result.Succeeded ? AdminResult.Ok : Fail(result);

    /// <summary>A refusal reads the same whatever the reason (role or session): only an administrator may.</summary>
    private static AdminResult Fail<T>(CommandResult<T> result) =>
        AdminResult.Fail(result.Status is CommandStatus.Forbidden or CommandStatus.SessionEnded ? Refused : result.Error ?? "The change failed.");
}
