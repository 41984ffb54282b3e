namespace OpsConsole.Console.Server.Backup;

/// <summary>A request on <see cref="LocalAdminSocket"/>.</summary>
public sealed record LocalAdminRequest(string? Command, string? Folder);
