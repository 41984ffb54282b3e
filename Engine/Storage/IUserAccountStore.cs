namespace OpsConsole.Engine.Storage;

/// <summary>A console user as stored (the web host's user type maps to and from it). <see cref="Id"/> is the name in lower case.</summary>
public sealed record UserAccount
{
    public required string Id { get; init; }

    public string Name { get; init; } = "";

    public string Role { get; init; } = "";

    /// <summary>The password hash (never the password).</summary>
    public string PasswordHash { get; init; } = "";

    public bool MustChangePassword { get; init; }

    /// <summary>Disabled by an admin: may not sign in (absent in documents written before, read as false).</summary>
    public bool Disabled { get; init; }

    public int FailedSignIns { get; init; }

    /// <summary>UTC.</summary>
    public DateTime? LockedUntil { get; init; }

    /// <summary>UTC.</summary>
    public DateTime CreatedAt { get; init; }

    public string SecurityStamp { get; init; } = "";

    public string? SecurityStampReason { get; init; }
}

/// <summary>
/// The console's users. Contract (UserAccountStoreContract): ids are unique — <see cref="TryInsert"/> refuses an id
/// that exists; <see cref="Find"/> returns every field as last written; <see cref="Update"/> replaces a stored
/// user and is false for an unknown id; <see cref="Delete"/> removes one (false for an unknown id) and the id may be
/// used again; <see cref="All"/> returns each user once; readers run while one writer writes. (Named so as not to be confused with ASP.NET Core Identity's <c>IUserStore</c>.)
/// </summary>
public interface IUserAccountStore
{
    int Count();

    UserAccount? Find(string id);

    IReadOnlyList<UserAccount> All();

    /// <summary>Stores a new user; false when the id is taken.</summary>
    bool TryInsert(UserAccount user);

    /// <summary>Replaces the stored user of the same id; false when there is none.</summary>
    bool Update(UserAccount user);

    /// <summary>Removes the user of <paramref name="id"/>; false when there is none.</summary>
    bool Delete(string id);
}

/// <summary>
/// The signed-out sessions, each kept until its cookie would be void anyway. Contract
/// (RevokedSessionStoreContract): <see cref="Upsert"/> of an existing id replaces its end;
/// <see cref="DeleteExpired"/> removes exactly those that ended before the time given.
/// </summary>
public interface IRevokedSessionStore
{
    IReadOnlyList<(string Id, DateTime Until)> All();

    void Upsert(string id, DateTime until);

    /// <summary>Deletes the sessions whose end is before <paramref name="now"/>; how many went.</summary>
    int DeleteExpired(DateTime now);
}
