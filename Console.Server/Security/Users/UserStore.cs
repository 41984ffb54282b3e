using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Console.Server.Security.Users;

/// <summary>
/// The console's users (stored through <see cref="IUserAccountStore"/>); passwords hashed with ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/>.
/// Writes are serialised and re-read the stored user, so a caller holding an older copy cannot bring back an old
/// password or security stamp. The stamps are also kept in memory: every request with a sign-in cookie checks
/// one (<see cref="SecurityStampOf"/>), and a database read (LiteDB) costs about 40 µs and 23 KB of garbage and waits
/// behind the engine's writes in a storm, where a dictionary lookup costs nothing.
/// </summary>
public sealed class UserStore(IUserAccountStore store, IPasswordHasher<ConsoleUser> hasher)
{
    /// <summary><see cref="ConsoleUser.SecurityStampReason"/> of an admin's reset.</summary>
    public const string PasswordResetReason = "password reset";

    /// <summary><see cref="ConsoleUser.SecurityStampReason"/> of the user's own change.</summary>
    public const string PasswordChangedReason = "password changed";

    private readonly IPasswordHasher<ConsoleUser> _hasher = hasher;
    private readonly Lazy<string> _nobodysHash = new(() => hasher.HashPassword(Nobody, Convert.ToBase64String(RandomNumberGenerator.GetBytes(18))));
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, SecurityStamp> _stamps = new(StringComparer.Ordinal);

    public int Count() => store.Count();

    public ConsoleUser? Find(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        lock (_gate)
        {
            return Loaded(Read(Key(name)));
        }
    }

    public IReadOnlyList<ConsoleUser> All()
    {
        lock (_gate)
        {
            return [.. store.All().Select(u => Loaded(FromAccount(u))!).OrderBy(u => u.Id, StringComparer.Ordinal)];
        }
    }

    /// <summary>The user's current security stamp, or null when there is no such user; from memory after the first call.</summary>
    public SecurityStamp? SecurityStampOf(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        return _stamps.TryGetValue(Key(name), out var stamp) ? stamp : Find(name) is { } user ? new SecurityStamp(user.SecurityStamp, user.SecurityStampReason) : null;
    }

    /// <summary>Creates a user; false when the name is taken.</summary>
    public bool TryCreate(string name, string role, string password, bool mustChangePassword, DateTime now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!Roles.IsKnown(role))
        {
            throw new ArgumentException($"unknown role '{role}'", nameof(role));
        }

        var user = new ConsoleUser
        {
            Id = Key(name),
            Name = name.Trim(),
            Role = role,
            MustChangePassword = mustChangePassword,
            CreatedAt = now,
        };
        user.PasswordHash = _hasher.HashPassword(user, password);
        lock (_gate)
        {
            Renew(user, "created");
            if (!store.TryInsert(ToAccount(user)))
            {
                return false;
            }

            Remember(user);
        }

        return true;
    }

    public bool Verify(ConsoleUser user, string password) =>
        _hasher.VerifyHashedPassword(user, user.PasswordHash, password) is PasswordVerificationResult.Success or PasswordVerificationResult.SuccessRehashNeeded;

    /// <summary>
    /// Checks <paramref name="password"/> against a random password's hash and answers false: the same work as
    /// <see cref="Verify"/>, for a user name that does not exist (so the answer's time does not tell).
    /// </summary>
    public bool VerifyNobody(string password)
    {
        _ = _hasher.VerifyHashedPassword(Nobody, _nobodysHash.Value, password);
        return false;
    }

    private static readonly ConsoleUser Nobody = new() { Id = "", Name = "" };

    /// <summary>The user's own change: a new password and a new security stamp (every other session of the user ends).</summary>
    public void SetPassword(ConsoleUser user, string password) =>
        ChangeCredentials(user, PasswordChangedReason, u =>
        {
            u.PasswordHash = _hasher.HashPassword(u, password);
            u.MustChangePassword = false;
        });

    /// <summary>
    /// An admin's reset: a temporary password to be changed at the next sign-in; clears any lockout; a new
    /// security stamp signs the user out everywhere.
    /// </summary>
    public void SetTemporaryPassword(ConsoleUser user, string password) =>
        ChangeCredentials(user, PasswordResetReason, u =>
        {
            u.PasswordHash = _hasher.HashPassword(u, password);
            u.MustChangePassword = true;
            u.FailedSignIns = 0;
            u.LockedUntil = null;
        });

    /// <summary><see cref="ConsoleUser.SecurityStampReason"/> when an admin disabled the user.</summary>
    public const string DisabledReason = "account disabled";

    /// <summary><see cref="ConsoleUser.SecurityStampReason"/> when an admin changed the user's role.</summary>
    public const string RoleChangedReason = "role changed";

    /// <summary>
    /// An admin disables or enables the user. Disabling gives a new security stamp: every session of the user ends
    /// at once (the role and name on a cookie are otherwise trusted until it ends).
    /// </summary>
    public void SetDisabled(ConsoleUser user, bool disabled) =>
        ChangeCredentials(user, disabled ? DisabledReason : "account enabled", u => u.Disabled = disabled);

    /// <summary>An admin changes the user's role: a new security stamp ends the sessions that carry the old role.</summary>
    public void SetRole(ConsoleUser user, string role)
    {
        if (!Roles.IsKnown(role))
        {
            throw new ArgumentException($"unknown role '{role}'", nameof(role));
        }

        ChangeCredentials(user, RoleChangedReason, u => u.Role = role);
        user.Role = role;
    }

    /// <summary>
    /// Removes the user: its stamp goes too, so every session of the user ends at once (<c>user no longer exists</c>);
    /// the audit keeps what the user did. False when there was no such user.
    /// </summary>
    public bool Delete(ConsoleUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        lock (_gate)
        {
            bool deleted = store.Delete(user.Id);
            _stamps.TryRemove(user.Id, out _);
            return deleted;
        }
    }

    /// <summary>
    /// Records the sign-in bookkeeping of <paramref name="user"/> (failures in a row, lockout). The password, the
    /// must-change flag, the disabled flag, the role and the security stamp are not written here: they change only through the
    /// methods above, so an <c>Update</c> with a copy read before a reset cannot undo it.
    /// </summary>
    public void Update(ConsoleUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        lock (_gate)
        {
            if (Read(user.Id) is not { } stored)
            {
                return;
            }

            stored.FailedSignIns = user.FailedSignIns;
            stored.LockedUntil = user.LockedUntil;
            store.Update(ToAccount(stored));
        }
    }

    private void ChangeCredentials(ConsoleUser user, string reason, Action<ConsoleUser> change)
    {
        ArgumentNullException.ThrowIfNull(user);
        lock (_gate)
        {
            var stored = Read(user.Id) ?? throw new InvalidOperationException($"There is no user '{user.Name}'.");
            change(stored);
            Renew(stored, reason);
            store.Update(ToAccount(stored));
            Remember(stored);

            // The caller's copy is current too (the password change signs its own session in again with it).
            user.PasswordHash = stored.PasswordHash;
            user.MustChangePassword = stored.MustChangePassword;
            user.Disabled = stored.Disabled;
            user.FailedSignIns = stored.FailedSignIns;
            user.LockedUntil = stored.LockedUntil;
            user.SecurityStamp = stored.SecurityStamp;
            user.SecurityStampReason = stored.SecurityStampReason;
        }
    }

    /// <summary>A user as read: one stored before security stamps gets one now (its sessions sign in again once).</summary>
    private ConsoleUser? Loaded(ConsoleUser? user)
    {
        if (user is null)
        {
            return null;
        }

        if (string.IsNullOrEmpty(user.SecurityStamp))
        {
            Renew(user, "security stamp added");
            store.Update(ToAccount(user));
        }

        Remember(user);
        return user;
    }

    private void Remember(ConsoleUser user) => _stamps[user.Id] = new SecurityStamp(user.SecurityStamp, user.SecurityStampReason);

    private static void Renew(ConsoleUser user, string reason)
    {
        user.SecurityStamp = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        user.SecurityStampReason = reason;
    }

    private ConsoleUser? Read(string id) => store.Find(id) is { } account ? FromAccount(account) : null;

    private static UserAccount ToAccount(ConsoleUser u) => new()
    {
        Id = u.Id,
        Name = u.Name,
        Role = u.Role,
        PasswordHash = u.PasswordHash,
        MustChangePassword = u.MustChangePassword,
        Disabled = u.Disabled,
        FailedSignIns = u.FailedSignIns,
        LockedUntil = u.LockedUntil,
        CreatedAt = u.CreatedAt,
        SecurityStamp = u.SecurityStamp,
        SecurityStampReason = u.SecurityStampReason,
    };

    private static ConsoleUser FromAccount(UserAccount a) => new()
    {
        Id = a.Id,
        Name = a.Name,
        Role = a.Role,
        PasswordHash = a.PasswordHash,
        MustChangePassword = a.MustChangePassword,
        Disabled = a.Disabled,
        FailedSignIns = a.FailedSignIns,
        LockedUntil = a.LockedUntil,
        CreatedAt = a.CreatedAt,
        SecurityStamp = a.SecurityStamp,
        SecurityStampReason = a.SecurityStampReason,
    };

    private static string Key(string name) => name.Trim().ToLowerInvariant();
}
