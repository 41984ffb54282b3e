using OpsConsole.Engine.Application.Users;

namespace OpsConsole.Console.Server.Security.Users;

/// <summary>The application layer's <see cref="IUserAccounts"/> on the host's <see cref="UserStore"/> and <see cref="SignInThrottle"/>.</summary>
public sealed class UserAccounts(UserStore users, SignInThrottle throttle) : IUserAccounts
{
    public IReadOnlyList<UserAccount> All() => [.. users.All().Select(Account)];

    public bool Exists(string name) => users.Find(name) is not null;

    public bool TryCreate(string name, string role, string temporaryPassword, DateTimeOffset now) =>
        users.TryCreate(name, role, temporaryPassword, mustChangePassword: true, now.UtcDateTime);

    public string? Unlock(string name)
    {
        if (users.Find(name) is not { } user)
        {
            return null;
        }

        user.LockedUntil = null;
        user.FailedSignIns = 0;
        users.Update(user);
        throttle.Forget(user.Name); // every address may try again
        return user.Name;
    }

    public string? SetTemporaryPassword(string name, string password)
    {
        if (users.Find(name) is not { } user)
        {
            return null;
        }

        users.SetTemporaryPassword(user, password);
        throttle.Forget(user.Name); // the reset clears the lockout of every address, not only the user's record (as Unlock)
        return user.Name;
    }

    public string? SetDisabled(string name, bool disabled)
    {
        if (users.Find(name) is not { } user)
        {
            return null;
        }

        users.SetDisabled(user, disabled);
        return user.Name;
    }

    public string? SetRole(string name, string role)
    {
        if (users.Find(name) is not { } user)
        {
            return null;
        }

        users.SetRole(user, role);
        return user.Name;
    }

    public string? Delete(string name)
    {
        if (users.Find(name) is not { } user || !users.Delete(user))
        {
            return null;
        }

        throttle.Forget(user.Name); // a user created later under this name starts with a clean slate
        return user.Name;
    }

    public string? CheckNewPassword(string password) => SignInService.CheckNewPassword(null, password, password);

    private static UserAccount Account(ConsoleUser u) =>
        new(u.Name, u.Role, u.MustChangePassword, u.LockedUntil is { } l ? AuditTrail.Utc(l) : null, u.FailedSignIns, AuditTrail.Utc(u.CreatedAt), u.Disabled);
}
