namespace OpsConsole.Engine.Application.Users;

/// <summary>
/// The user accounts as <see cref="UserCommands"/> needs them (the host adapts its user store and sign-in throttle).
/// Names are matched case-insensitively; the methods return the stored spelling.
/// </summary>
public interface IUserAccounts
{
    IReadOnlyList<UserAccount> All();

    bool Exists(string name);

    /// <summary>Creates a user who must change <paramref name="temporaryPassword"/> at the first sign-in; false when the name is taken.</summary>
    bool TryCreate(string name, string role, string temporaryPassword, DateTimeOffset now);

    /// <summary>Clears the lockout and failure counts (every address may try again); the stored name, or null when there is no such user.</summary>
    string? Unlock(string name);

    /// <summary>
    /// Sets a temporary password that must be changed, clears the lockout and failure counts as <see cref="Unlock"/> does
    /// (every address may try again), and signs the user out everywhere; the stored name, or null when there is no such user.
    /// </summary>
    string? SetTemporaryPassword(string name, string password);

    /// <summary>
    /// Disables (sign-in refused, every session of the user ends at once) or enables the user; the stored name, or null
    /// when there is no such user.
    /// </summary>
    string? SetDisabled(string name, bool disabled);

    /// <summary>Sets the role (<c>dispatcher</c> or <c>admin</c>) and ends the user's sessions; the stored name, or null when there is no such user.</summary>
    string? SetRole(string name, string role);

    /// <summary>Deletes the user and ends their sessions (the audit keeps their entries); the stored name, or null when there is no such user.</summary>
    string? Delete(string name);

    /// <summary>Null when <paramref name="password"/> is acceptable as a new password, else why not.</summary>
    string? CheckNewPassword(string password);
}

/// <summary>One user as the administration lists it (never the password hash).</summary>
/// <remarks><see cref="FailedSignIns"/> counts the failures since the last successful sign-in, those that led to a lockout included.</remarks>
public sealed record UserAccount(
    string Name, string Role, bool MustChangePassword, DateTimeOffset? LockedUntil, int FailedSignIns, DateTimeOffset CreatedAt, bool Disabled = false);
