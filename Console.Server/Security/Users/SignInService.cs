namespace OpsConsole.Console.Server.Security.Users;

public enum SignInOutcome
{
    Success,
    Failed,
    LockedOut,

    /// <summary>The right password of a user an admin disabled (told only to someone who knows the password).</summary>
    Disabled,
}

public sealed record SignInCheck(SignInOutcome Outcome, ConsoleUser? User, DateTime? LockedUntil = null);

/// <summary>
/// Checks a user name and password and audits every attempt with the remote address. After
/// <see cref="MaxFailures"/> failures in a row from one address, that address may not try that name for
/// <see cref="LockoutPeriod"/> (<see cref="SignInThrottle"/>); other addresses, the owner's among them, still can.
/// Every answer costs one password hash check, for an unknown name too, so neither the time nor the answer
/// tells which names exist. A disabled user with the right password is refused (<see cref="SignInOutcome.Disabled"/>);
/// with a wrong one the answer is the usual failure, so the disabling tells nothing to a guesser. The user record keeps the failures in a row and the latest lockout of any address,
/// for the admin's user list.
/// </summary>
public sealed class SignInService(UserStore users, AuditLog audit, SignInThrottle throttle)
{
    public const int MaxFailures = 5;
    public const int MinPasswordLength = 12;

    /// <summary>Longest user name accepted (as the user administration creates them).</summary>
    public const int MaxNameLength = 64;

    /// <summary>Longest password accepted; hashing longer input is work an attacker chooses.</summary>
    public const int MaxPasswordLength = 256;

    public static readonly TimeSpan LockoutPeriod = TimeSpan.FromMinutes(15);

    private readonly Lock _gate = new();

    public SignInCheck Check(string? name, string? password, string? remoteAddress)
    {
        name = (name ?? "").Trim();
        password ??= "";
        if (password.Length > MaxPasswordLength)
        {
            password = password[..MaxPasswordLength]; // fails: no stored password is that long
        }

        var user = name.Length <= MaxNameLength ? users.Find(name) : null;
        if (throttle.LockedUntil(name, remoteAddress) is { } locked)
        {
            users.VerifyNobody(password); // the same work as every other answer
            audit.Write(name, "sign-in-refused", remoteAddress, $"this address is locked out of this name until {locked:yyyy-MM-dd'T'HH:mm:ss'Z'}");
            return new SignInCheck(SignInOutcome.LockedOut, null, locked);
        }

        bool verified = user is null ? users.VerifyNobody(password) : users.Verify(user, password);
        if (!verified)
        {
            var (inARow, until) = throttle.Failed(name, remoteAddress);
            string detail = (user is null ? "unknown user" : "wrong password") + $" ({inARow} in a row from this address)";
            if (until is not null)
            {
                detail += $"; this address locked out of this name until {until:yyyy-MM-dd'T'HH:mm:ss'Z'}";
            }

            if (user is not null)
            {
                lock (_gate)
                {
                    var stored = users.Find(user.Name) ?? user;
                    stored.FailedSignIns++;
                    stored.LockedUntil = until ?? stored.LockedUntil;
                    users.Update(stored);
                }
            }

            audit.Write(user?.Name ?? name, "sign-in-failed", remoteAddress, detail);
            return until is not null
                ? new SignInCheck(SignInOutcome.LockedOut, null, until)
                : new SignInCheck(SignInOutcome.Failed, null);
        }

        if (user!.Disabled)
        {
            // The password was right: only its holder learns the account is disabled. Not a failure (no lockout count).
            audit.Write(user.Name, "sign-in-refused", remoteAddress, "account disabled");
            return new SignInCheck(SignInOutcome.Disabled, null);
        }

        throttle.Succeeded(name, remoteAddress);
        lock (_gate)
        {
            var stored = users.Find(user.Name) ?? user;
            if (stored.FailedSignIns != 0 || stored.LockedUntil is not null)
            {
                stored.FailedSignIns = 0;
                stored.LockedUntil = null;
                users.Update(stored); // only when something changed: a clean sign-in writes nothing but the audit row (disk full)
            }
        }

        audit.Write(user.Name, "sign-in", remoteAddress, user.MustChangePassword ? "must change password" : null);
        return new SignInCheck(SignInOutcome.Success, user);
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
