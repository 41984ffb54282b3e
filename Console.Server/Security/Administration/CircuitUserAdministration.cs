using System.Security.Claims;
using OpsConsole.Console.Client.Admin;
using OpsConsole.Console.Server.Security.Circuits;
using OpsConsole.Console.Server.Security.Users;

namespace OpsConsole.Console.Server.Security.Administration;

/// <summary>
/// The user administration as one page session sees it (scoped: one per circuit): the shared
/// <see cref="UserAdministration"/>, with the session's remote address on every audited call.
/// </summary>
public sealed class CircuitUserAdministration(UserAdministration administration, CircuitRemoteAddress remote) : IUserAdministration
{
    public Task<AdminQuery<UserSummary>> ListUsersAsync(ClaimsPrincipal user) => administration.ListUsersAsync(user, remote.Value);

    public Task<AdminResult> CreateUserAsync(ClaimsPrincipal user, string name, string role, string temporaryPassword) =>
        administration.CreateUserAsync(user, name, role, temporaryPassword, remote.Value);

    public Task<AdminResult> UnlockAsync(ClaimsPrincipal user, string name) => administration.UnlockAsync(user, name, remote.Value);

    public Task<AdminResult> ResetPasswordAsync(ClaimsPrincipal user, string name) => administration.ResetPasswordAsync(user, name, remote.Value);

    public Task<AdminResult> SetDisabledAsync(ClaimsPrincipal user, string name, bool disabled) =>
        administration.SetDisabledAsync(user, name, disabled, remote.Value);

    public Task<AdminResult> ChangeRoleAsync(ClaimsPrincipal user, string name, string role) => administration.ChangeRoleAsync(user, name, role, remote.Value);

    public Task<AdminResult> DeleteAsync(ClaimsPrincipal user, string name) => administration.DeleteAsync(user, name, remote.Value);

    public Task<AdminQuery<AuditRow>> RecentAuditAsync(ClaimsPrincipal user, int count) => administration.RecentAuditAsync(user, count, remote.Value);
}
