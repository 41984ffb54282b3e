using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace OpsConsole.Engine.Application.Users;

/// <summary>
/// User administration: list, create, unlock, reset a password, disable and enable, change a role, delete, read the
/// audit. Admin only on every call, checked here (a dispatcher's page, a machine client or a job cannot reach past
/// it); a refusal is audited as <c>admin-refused</c>, every change once with the admin's name and address. The console
/// always keeps an admin who can sign in: an admin cannot disable, demote or delete themself, and the last enabled
/// admin cannot be disabled, demoted or deleted.
/// </summary>
public sealed partial class UserCommands(IUserAccounts users, IAuditTrail audit, CommandGuard guard)
{
    public const int MaxAuditEntries = 500;
    public const string RefusedAction = "admin-refused";
    public const string NameField = "name";
    public const string RoleField = "role";
    public const string PasswordField = "password";

    private readonly Lock _gate = new();

    public CommandResult<IReadOnlyList<UserAccount>> List(Actor actor) =>
        Refuse<IReadOnlyList<UserAccount>>(actor, "list users") ?? CommandResult.Done<IReadOnlyList<UserAccount>>(users.All());

    /// <summary>
    /// Creates <paramref name="name"/> with a temporary password to change at the first sign-in. Wrong input is
    /// <see cref="CommandStatus.Invalid"/> with every wrong field in <see cref="CreateUserResult.FieldErrors"/>.
    /// </summary>
    public CommandResult<CreateUserResult> Create(Actor actor, string name, string role, string temporaryPassword, DateTimeOffset now)
    {
        name = (name ?? "").Trim();
        if (Refuse<CreateUserResult>(actor, $"create user {name}") is { } refused)
        {
            return refused;
        }

        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        lock (_gate)
        {
            if (CheckName(name) is { } nameProblem)
            {
                errors[NameField] = nameProblem;
            }
            else if (users.Exists(name))
            {
                errors[NameField] = $"There is already a user '{name}'.";
            }

            if (ActorRoles.Parse(role) == ActorRole.None)
            {
                errors[RoleField] = "Choose dispatcher or admin.";
            }

            if (users.CheckNewPassword(temporaryPassword ?? "") is { } passwordProblem)
            {
                errors[PasswordField] = passwordProblem;
            }

            if (errors.Count == 0 && !users.TryCreate(name, role, temporaryPassword!, now))
            {
                errors[NameField] = $"There is already a user '{name}'.";
            }
        }

        if (errors.Count > 0)
        {
            return new CommandResult<CreateUserResult>(CommandStatus.Invalid, new CreateUserResult(errors), "Check the highlighted fields.");
        }

        audit.Write(actor.Name, "user-created", actor.RemoteAddress, $"{name} ({role}), temporary password");
        return CommandResult.Done<CreateUserResult>(new CreateUserResult(errors));
    }

    public CommandResult<string> Unlock(Actor actor, string name)
    {
        if (Refuse<string>(actor, $"unlock {name}") is { } refused)
        {
            return refused;
        }

        lock (_gate)
        {
            if (users.Unlock(name) is not { } stored)
            {
                return CommandResult.Fail<string>(CommandStatus.Invalid, $"There is no user '{name}'.", NameField);
            }

            audit.Write(actor.Name, "user-unlocked", actor.RemoteAddress, stored);
            return CommandResult.Done<string>(stored);
        }
    }

    /// <summary>Sets a new generated temporary password, the value (shown once, never audited nor logged).</summary>
    public CommandResult<string> ResetPassword(Actor actor, string name)
    {
        if (Refuse<string>(actor, $"reset password of {name}") is { } refused)
        {
            return refused;
        }

        string password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(12)).Replace('+', '-').Replace('/', '_');
        lock (_gate)
        {
            if (users.SetTemporaryPassword(name, password) is not { } stored)
            {
                return CommandResult.Fail<string>(CommandStatus.Invalid, $"There is no user '{name}'.", NameField);
            }

            audit.Write(actor.Name, "password-reset", actor.RemoteAddress, $"{stored}, temporary password, must change; signed out everywhere");
        }

        return CommandResult.Done<string>(password);
    }

    /// <summary>Disables <paramref name="name"/>: sign-in is refused and every session of the user ends at once.</summary>
    public CommandResult<string> Disable(Actor actor, string name)
    {
        name = (name ?? "").Trim();
        if (Refuse<string>(actor, $"disable {name}") is { } refused)
        {
            return refused;
        }

        lock (_gate)
        {
            if (Target(name) is not { } target)
            {
                return NoSuchUser(name);
            }

            if (target.Disabled)
            {
                return CommandResult.Fail<string>(CommandStatus.Conflict, $"{target.Name} is already disabled.", NameField);
            }

            if (KeepsAnAdmin(actor, target, "disable") is { } problem)
            {
                return CommandResult.Fail<string>(CommandStatus.Conflict, problem, NameField);
            }

            string stored = users.SetDisabled(target.Name, disabled: true) ?? target.Name;
            audit.Write(actor.Name, "user-disabled", actor.RemoteAddress, $"{stored}; signed out everywhere");
            return CommandResult.Done<string>(stored);
        }
    }

    /// <summary>Enables a disabled user again (their password is unchanged).</summary>
    public CommandResult<string> Enable(Actor actor, string name)
    {
        name = (name ?? "").Trim();
        if (Refuse<string>(actor, $"enable {name}") is { } refused)
        {
            return refused;
        }

        lock (_gate)
        {
            if (Target(name) is not { } target)
            {
                return NoSuchUser(name);
            }

            if (!target.Disabled)
            {
                return CommandResult.Fail<string>(CommandStatus.Conflict, $"{target.Name} is not disabled.", NameField);
            }

            string stored = users.SetDisabled(target.Name, disabled: false) ?? target.Name;
            audit.Write(actor.Name, "user-enabled", actor.RemoteAddress, stored);
            return CommandResult.Done<string>(stored);
        }
    }

    /// <summary>Gives <paramref name="name"/> the role <paramref name="role"/>; the user's sessions end (their cookies carry the old role).</summary>
    public CommandResult<string> ChangeRole(Actor actor, string name, string role)
    {
        name = (name ?? "").Trim();
        if (Refuse<string>(actor, $"change role of {name} to {role}") is { } refused)
        {
            return refused;
        }

        if (ActorRoles.Parse(role) == ActorRole.None)
        {
            return CommandResult.Fail<string>(CommandStatus.Invalid, "Choose dispatcher or admin.", RoleField);
        }

        lock (_gate)
        {
            if (Target(name) is not { } target)
            {
                return NoSuchUser(name);
            }

            if (target.Role == role)
            {
                return CommandResult.Fail<string>(CommandStatus.Conflict, $"{target.Name} is already {role}.", RoleField);
            }

            if (role != ActorRoles.AdminName && KeepsAnAdmin(actor, target, "demote") is { } problem)
            {
                return CommandResult.Fail<string>(CommandStatus.Conflict, problem, RoleField);
            }

            string stored = users.SetRole(target.Name, role) ?? target.Name;
            audit.Write(actor.Name, "role-changed", actor.RemoteAddress, $"{stored}: {target.Role} to {role}; signed out everywhere");
            return CommandResult.Done<string>(stored);
        }
    }

    /// <summary>Deletes <paramref name="name"/>: every session of the user ends at once; the audit keeps their entries.</summary>
    public CommandResult<string> Delete(Actor actor, string name)
    {
        name = (name ?? "").Trim();
        if (Refuse<string>(actor, $"delete {name}") is { } refused)
        {
            return refused;
        }

        lock (_gate)
        {
            if (Target(name) is not { } target)
            {
                return NoSuchUser(name);
            }

            if (KeepsAnAdmin(actor, target, "delete") is { } problem)
            {
                return CommandResult.Fail<string>(CommandStatus.Conflict, problem, NameField);
            }

            if (users.Delete(target.Name) is not { } stored)
            {
                return NoSuchUser(name);
            }

            audit.Write(actor.Name, "user-deleted", actor.RemoteAddress, $"{stored} ({target.Role}); signed out everywhere");
            return CommandResult.Done<string>(stored);
        }
    }

    /// <summary>The latest <paramref name="count"/> audit entries (at most <see cref="MaxAuditEntries"/>), newest first.</summary>
    public CommandResult<IReadOnlyList<AuditRecord>> RecentAudit(Actor actor, int count) =>
        Refuse<IReadOnlyList<AuditRecord>>(actor, "read audit")
        ?? CommandResult.Done<IReadOnlyList<AuditRecord>>(audit.Recent(Math.Clamp(count, 0, MaxAuditEntries)));

    /// <summary>Null when <paramref name="name"/> is a valid user name, else why not.</summary>
    public static string? CheckName(string? name) =>
        name is not null && NamePattern().IsMatch(name)
            ? null
            : "1 to 64 characters: letters, digits, '.', '_' or '-'.";

    private UserAccount? Target(string name) =>
        name.Length == 0 ? null : users.All().FirstOrDefault(u => string.Equals(u.Name, name, StringComparison.OrdinalIgnoreCase));

    private static CommandResult<string> NoSuchUser(string name) =>
        CommandResult.Fail<string>(CommandStatus.Invalid, $"There is no user '{name}'.", NameField);

    /// <summary>
    /// Why <paramref name="actor"/> may not <paramref name="verb"/> <paramref name="target"/> (take away an admin who can
    /// sign in), or null when they may: not their own account, and not the last enabled admin.
    /// </summary>
    private string? KeepsAnAdmin(Actor actor, UserAccount target, string verb)
    {
        if (string.Equals(actor.Name, target.Name, StringComparison.OrdinalIgnoreCase))
        {
            return $"You cannot {verb} your own account: ask another administrator.";
        }

        bool enabledAdmin = target.Role == ActorRoles.AdminName && !target.Disabled;
        if (enabledAdmin && users.All().Count(u => u.Role == ActorRoles.AdminName && !u.Disabled) <= 1)
        {
            return $"{target.Name} is the last enabled administrator: make another user admin (or enable one) first.";
        }

        return null;
    }

    private CommandResult<T>? Refuse<T>(Actor actor, string what) => guard.Refuse<T>(actor, ActorRole.Admin, RefusedAction, what);

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}

/// <summary>What was wrong with a new user, per form field (<see cref="UserCommands.NameField"/>, …); empty when it was created.</summary>
public sealed record CreateUserResult(IReadOnlyDictionary<string, string> FieldErrors);
