namespace OpsConsole.Console.Server.Security.Users;

/// <summary>A user's current security stamp and why it last changed (see <see cref="ConsoleUser.SecurityStamp"/>).</summary>
public readonly record struct SecurityStamp(string Value, string? Reason);
