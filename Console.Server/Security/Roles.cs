namespace OpsConsole.Console.Server.Security;

/// <summary>The console's roles and the authorization policies built on them.</summary>
public static class Roles
{
    public const string Dispatcher = "dispatcher";
    public const string Admin = "admin";

    /// <summary>Any signed-in user or machine client: read calls.</summary>
    public const string ReadPolicy = "read";

    /// <summary>Administrators only: calls that change state.</summary>
    public const string AdminPolicy = "admin";

    public static bool IsKnown(string? role) => role is Dispatcher or Admin;
}
