using LiteDB;
using Microsoft.AspNetCore.Identity;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Console.Server.Security.Users;

/// <summary>The console's users in LiteDB; passwords hashed with ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/>.</summary>
public sealed class UserStore(LiteStore store)
{
    public const string CollectionName = "users";

    private readonly PasswordHasher<ConsoleUser> _hasher = new();

    private ILiteCollection<ConsoleUser> Users => store.Database.GetCollection<ConsoleUser>(CollectionName);

    public int Count() => Users.Count();

    public ConsoleUser? Find(string name) => string.IsNullOrWhiteSpace(name) ? null : Users.FindById(Key(name));

    public IReadOnlyList<ConsoleUser> All() => [.. Users.FindAll().OrderBy(u => u.Id, StringComparer.Ordinal)];

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
        if (Users.FindById(user.Id) is not null)
        {
            return false;
        }

        Users.Insert(user);
        return true;
    }

    public bool Verify(ConsoleUser user, string password) =>
        _hasher.VerifyHashedPassword(user, user.PasswordHash, password) is PasswordVerificationResult.Success or PasswordVerificationResult.SuccessRehashNeeded;

    public void SetPassword(ConsoleUser user, string password)
    {
        ArgumentNullException.ThrowIfNull(user);
        user.PasswordHash = _hasher.HashPassword(user, password);
        user.MustChangePassword = false;
        Update(user);
    }

    /// <summary>An admin's reset: a temporary password to be changed at the next sign-in; clears any lockout.</summary>
    public void SetTemporaryPassword(ConsoleUser user, string password)
    {
        ArgumentNullException.ThrowIfNull(user);
        user.PasswordHash = _hasher.HashPassword(user, password);
        user.MustChangePassword = true;
        user.FailedSignIns = 0;
        user.LockedUntil = null;
        Update(user);
    }

    public void Update(ConsoleUser user) => Users.Update(user);

    private static string Key(string name) => name.Trim().ToLowerInvariant();
}
