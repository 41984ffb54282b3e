namespace OpsConsole.Console.Server.Security.Users;

/// <summary>A person who signs in to the console (LiteDB collection <c>users</c>).</summary>
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

    /// <summary>Failed sign-ins since the last success.</summary>
    public int FailedSignIns { get; set; }

    /// <summary>Sign-in refused until then (UTC) after too many failures.</summary>
    public DateTime? LockedUntil { get; set; }

    public DateTime CreatedAt { get; set; }
}
