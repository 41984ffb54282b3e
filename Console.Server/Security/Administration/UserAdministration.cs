using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using OpsConsole.Console.Client.Admin;
using OpsConsole.Console.Server.Security.Sessions;
using OpsConsole.Console.Server.Security.Users;

namespace OpsConsole.Console.Server.Security.Administration;

/// <summary>
/// The admin pages' operations on <see cref="UserStore"/> and <see cref="AuditLog"/>. The role, and that the
/// session is still the admin's, are checked here, on the server, on every call: a dispatcher's circuit cannot
/// reach past it, and a refusal is audited. Every change is audited with the admin's name and the remote
/// address of the page that asked. The pages reach it through <see cref="CircuitUserAdministration"/>, which
/// supplies that address.
/// </summary>
public sealed partial class UserAdministration(UserStore users, AuditLog audit, SessionStamps sessions, SignInThrottle throttle, TimeProvider time)
{
    public const int MaxAuditEntries = 500;
    public const string Refused = "Only an administrator may do this.";

    private readonly Lock _gate = new();

    public Task<AdminQuery<UserSummary>> ListUsersAsync(ClaimsPrincipal user, string? remoteAddress)
    {
        if (!IsAdmin(user, remoteAddress, "list users", out _))
        {
            return Task.FromResult(new AdminQuery<UserSummary>([], Refused));
        }

        return Task.FromResult(new AdminQuery<UserSummary>([.. users.All().Select(Summary)], null));
    }

    public Task<AdminResult> CreateUserAsync(ClaimsPrincipal user, string name, string role, string temporaryPassword, string? remoteAddress)
    {
        name = (name ?? "").Trim();
        if (!IsAdmin(user, remoteAddress, $"create user {name}", out string admin))
        {
            return Task.FromResult(AdminResult.Fail(Refused));
        }

        var errors = new Dictionary<string, string>();
        lock (_gate)
        {
            if (CheckName(name) is { } nameProblem)
            {
                errors[AdminResult.NameField] = nameProblem;
            }
            else if (users.Find(name) is not null)
            {
                errors[AdminResult.NameField] = $"There is already a user '{name}'.";
            }

            if (!Roles.IsKnown(role))
            {
                errors[AdminResult.RoleField] = "Choose dispatcher or admin.";
            }

            if (SignInService.CheckNewPassword(null, temporaryPassword, temporaryPassword) is { } passwordProblem)
            {
                errors[AdminResult.PasswordField] = passwordProblem;
            }

            if (errors.Count > 0)
            {
                return Task.FromResult(AdminResult.Invalid(errors));
            }

            if (!users.TryCreate(name, role, temporaryPassword, mustChangePassword: true, time.GetUtcNow().UtcDateTime))
            {
                errors[AdminResult.NameField] = $"There is already a user '{name}'.";
                return Task.FromResult(AdminResult.Invalid(errors));
            }
        }

        audit.Write(admin, "user-created", remoteAddress, $"{name} ({role}), temporary password");
        return Task.FromResult(AdminResult.Ok);
    }

    public Task<AdminResult> UnlockAsync(ClaimsPrincipal user, string name, string? remoteAddress)
    {
        if (!IsAdmin(user, remoteAddress, $"unlock {name}", out string admin))
        {
            return Task.FromResult(AdminResult.Fail(Refused));
        }

        lock (_gate)
        {
            if (users.Find(name) is not { } target)
            {
                return Task.FromResult(AdminResult.Fail($"There is no user '{name}'."));
            }

            target.LockedUntil = null;
            target.FailedSignIns = 0;
            users.Update(target);
            throttle.Forget(target.Name); // every address may try again
            audit.Write(admin, "user-unlocked", remoteAddress, target.Name);
        }

        return Task.FromResult(AdminResult.Ok);
    }

    public Task<AdminResult> ResetPasswordAsync(ClaimsPrincipal user, string name, string? remoteAddress)
    {
        if (!IsAdmin(user, remoteAddress, $"reset password of {name}", out string admin))
        {
            return Task.FromResult(AdminResult.Fail(Refused));
        }

        string password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(12)).Replace('+', '-').Replace('/', '_');
        lock (_gate)
        {
            if (users.Find(name) is not { } target)
            {
                return Task.FromResult(AdminResult.Fail($"There is no user '{name}'."));
            }

            users.SetTemporaryPassword(target, password);
            audit.Write(admin, "password-reset", remoteAddress, $"{target.Name}, temporary password, must change; signed out everywhere");
        }

        return Task.FromResult(AdminResult.Ok with { TemporaryPassword = password });
    }

    public Task<AdminQuery<AuditRow>> RecentAuditAsync(ClaimsPrincipal user, int count, string? remoteAddress)
    {
        if (!IsAdmin(user, remoteAddress, "read audit", out _))
        {
            return Task.FromResult(new AdminQuery<AuditRow>([], Refused));
        }

        var rows = audit.Recent(Math.Clamp(count, 0, MaxAuditEntries))
            .Select(e => new AuditRow(Utc(e.Time), e.User, e.Action, e.RemoteAddress, e.Detail));
        return Task.FromResult(new AdminQuery<AuditRow>([.. rows], null));
    }

    /// <summary>Null when <paramref name="name"/> is a valid user name, else why not.</summary>
    public static string? CheckName(string? name) =>
        name is not null && NamePattern().IsMatch(name)
            ? null
            : "1 to 64 characters: letters, digits, '.', '_' or '-'.";

    /// <summary>A signed-in admin whose session is current, or audits the refusal.</summary>
    private bool IsAdmin(ClaimsPrincipal user, string? remoteAddress, string what, out string name)
    {
        name = user.Identity?.IsAuthenticated == true ? user.Identity.Name ?? "" : "";
        if (name.Length == 0 || !user.IsInRole(Roles.Admin))
        {
            audit.Write(name, "admin-refused", remoteAddress, what);
            return false;
        }

        if (sessions.WhyRevoked(user) is { } revoked)
        {
            audit.Write(name, "admin-refused", remoteAddress, $"{what}: session revoked ({revoked})");
            return false;
        }

        return true;
    }

    private static UserSummary Summary(ConsoleUser u) =>
        new(u.Name, u.Role, u.MustChangePassword, u.LockedUntil is { } l ? Utc(l) : null, u.FailedSignIns, Utc(u.CreatedAt));

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : t, DateTimeKind.Utc));

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
