namespace OpsConsole.Console.Server.Security.Users;

/// <summary>A person who signs in to the console (stored as an <see cref="OpsConsole.Engine.Storage.UserAccount"/>).</summary>
public sealed class ConsoleUser
{
    /// <summary>The user name in lower case: the document id.</summary>
    public string Id { get; set; } = "";

    /// <summary>The user name as created.</summary>
    public string Name { get; set; } = "";

    /// <summary><see cref="Roles.Dispatcher"/> or <see cref="Roles.Admin"/>.</summary>
    public string Role { get; set; } = Roles.Dispatcher;

    /// <summary>ASP.NET Core Identity's password hash (PBKDF2 with a per-user salt); never the password.</summary>
    public string PasswordHash { get; set; } = "";

    /// <summary>True until the user has chosen a password: set for the generated first admin.</summary>
    public bool MustChangePassword { get; set; }

    /// <summary>Disabled by an admin: the password is kept but sign-in is refused until an admin enables the user again.</summary>
    public bool Disabled { get; set; }

    /// <summary>Failed sign-ins since the last success.</summary>
    public int FailedSignIns { get; set; }

    /// <summary>Sign-in refused until then (UTC) after too many failures.</summary>
    public DateTime? LockedUntil { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>
    /// Random, replaced whenever the user's sessions must end (a password reset or change, the account disabled, its role changed). Every sign-in
    /// cookie carries the stamp it was issued with; a cookie or open page with another one is signed out.
    /// Empty in a store written before stamps existed: <see cref="UserStore"/> gives one on first read.
    /// </summary>
    public string SecurityStamp { get; set; } = "";

    /// <summary>Why <see cref="SecurityStamp"/> last changed (<c>password reset</c>, <c>password changed</c>…), for the audit of the sessions it ended.</summary>
    public string? SecurityStampReason { get; set; }
}
