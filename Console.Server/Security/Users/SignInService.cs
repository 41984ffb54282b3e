namespace OpsConsole.Console.Server.Security.Users;

public enum SignInOutcome
{
    Success,
    Failed,
    LockedOut,
}

public sealed record SignInCheck(SignInOutcome Outcome, ConsoleUser? User, DateTime? LockedUntil = null);

/// <summary>
/// Checks a user name and password, locks the account after <see cref="MaxFailures"/> failures in a row
/// for <see cref="LockoutPeriod"/>, and audits every attempt with the remote address.
/// </summary>
public sealed class SignInService(UserStore users, AuditLog audit, TimeProvider time)
{
    public const int MaxFailures = 5;
    public const int MinPasswordLength = 12;
    public static readonly TimeSpan LockoutPeriod = TimeSpan.FromMinutes(15);

    private readonly Lock _gate = new();

    public SignInCheck Check(string? name, string? password, string? remoteAddress)
    {
        name = (name ?? "").Trim();
        password ??= "";
        var now = time.GetUtcNow().UtcDateTime;
        lock (_gate)
        {
            var user = users.Find(name);
            if (user is null)
            {
                audit.Write(name, "sign-in-failed", remoteAddress, "unknown user");
                return new SignInCheck(SignInOutcome.Failed, null);
            }

            if (user.LockedUntil is { } until && until > now)
            {
                audit.Write(user.Name, "sign-in-refused", remoteAddress, $"locked until {until:yyyy-MM-dd'T'HH:mm:ss'Z'}");
                return new SignInCheck(SignInOutcome.LockedOut, null, until);
            }

            if (!users.Verify(user, password))
            {
                user.FailedSignIns++;
                string detail = $"wrong password ({user.FailedSignIns} in a row)";
                if (user.FailedSignIns >= MaxFailures)
                {
                    user.LockedUntil = now + LockoutPeriod;
                    user.FailedSignIns = 0;
                    detail += $"; locked until {user.LockedUntil:yyyy-MM-dd'T'HH:mm:ss'Z'}";
                }

                users.Update(user);
                audit.Write(user.Name, "sign-in-failed", remoteAddress, detail);
                return user.LockedUntil > now
                    ? new SignInCheck(SignInOutcome.LockedOut, null, user.LockedUntil)
                    : new SignInCheck(SignInOutcome.Failed, null);
            }

            if (user.FailedSignIns != 0 || user.LockedUntil is not null)
            {
                user.FailedSignIns = 0;
                user.LockedUntil = null;
                users.Update(user); // only when something changed: a clean sign-in writes nothing but the audit row (disk full)
            }

            audit.Write(user.Name, "sign-in", remoteAddress, user.MustChangePassword ? "must change password" : null);
            return new SignInCheck(SignInOutcome.Success, user);
        }
    }

    /// <summary>Null when <paramref name="proposed"/> is acceptable, else why not.</summary>
    public static string? CheckNewPassword(string? current, string? proposed, string? confirmation)
    {
        if (string.IsNullOrEmpty(proposed) || proposed.Length < MinPasswordLength)
        {
            return $"The new password needs at least {MinPasswordLength} characters.";
        }

        if (proposed != confirmation)
        {
            return "The two new passwords differ.";
        }

        return proposed == current ? "The new password must differ from the current one." : null;
    }
}
