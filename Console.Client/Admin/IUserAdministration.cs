using System.Security.Claims;

namespace OpsConsole.Console.Client.Admin;

/// <summary>
/// What the admin pages need from the host: the users, their lockouts and passwords, and the audit
/// trail. Every call takes the signed-in user and the implementation checks the admin role itself
/// (hiding the pages is not the protection), refusing and auditing anyone else.
/// </summary>
public interface IUserAdministration
{
    Task<AdminQuery<UserSummary>> ListUsersAsync(ClaimsPrincipal user);

    /// <summary>Creates a user with a temporary password that must be changed at the first sign-in.</summary>
    Task<AdminResult> CreateUserAsync(ClaimsPrincipal user, string name, string role, string temporaryPassword);

    /// <summary>Clears a lockout and the failure count.</summary>
    Task<AdminResult> UnlockAsync(ClaimsPrincipal user, string name);

    /// <summary>Sets a new generated temporary password (returned once in <see cref="AdminResult.TemporaryPassword"/>) that must be changed.</summary>
    Task<AdminResult> ResetPasswordAsync(ClaimsPrincipal user, string name);

    /// <summary>Disables a user (sign-in refused, every session of theirs ends at once) or enables them again.</summary>
    Task<AdminResult> SetDisabledAsync(ClaimsPrincipal user, string name, bool disabled);

    /// <summary>Changes a user's role (their sessions end: they sign in again with the new role).</summary>
    Task<AdminResult> ChangeRoleAsync(ClaimsPrincipal user, string name, string role);

    /// <summary>Deletes a user (their sessions end; the audit keeps their entries).</summary>
    Task<AdminResult> DeleteAsync(ClaimsPrincipal user, string name);

    /// <summary>The latest <paramref name="count"/> audit entries, newest first.</summary>
    Task<AdminQuery<AuditRow>> RecentAuditAsync(ClaimsPrincipal user, int count);
}

/// <summary>One user as the users page lists it (never the password hash); <see cref="FailedSignIns"/> counts those since the last success, a lockout's included.</summary>
public sealed record UserSummary(
    string Name, string Role, bool MustChangePassword, DateTimeOffset? LockedUntil, int FailedSignIns, DateTimeOffset CreatedAt, bool Disabled = false);

/// <summary>One audit entry.</summary>
public sealed record AuditRow(DateTimeOffset Time, string User, string Action, string RemoteAddress, string? Detail);

/// <summary>A list, or why it was refused.</summary>
public sealed record AdminQuery<T>(IReadOnlyList<T> Items, string? Error);

/// <summary>
/// The outcome of a change: <see cref="FieldErrors"/> names the form field (<see cref="NameField"/>,
/// <see cref="RoleField"/>, <see cref="PasswordField"/>) that is wrong.
/// </summary>
public sealed record AdminResult(bool Succeeded, string? Error, IReadOnlyDictionary<string, string> FieldErrors, string? TemporaryPassword = null)
{
    public const string NameField = "name";
    public const string RoleField = "role";
    public const string PasswordField = "password";

    public static readonly AdminResult Ok = new(true, null, new Dictionary<string, string>());

    public static AdminResult Fail(string error) => new(false, error, new Dictionary<string, string>());

    public static AdminResult Invalid(IReadOnlyDictionary<string, string> fieldErrors) => new(false, "Check the highlighted fields.", fieldErrors);
}
