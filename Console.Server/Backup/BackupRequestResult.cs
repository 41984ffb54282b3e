using OpsConsole.Engine.Storage.Backup;

namespace OpsConsole.Console.Server.Backup;

/// <summary>The outcome of a backup request: done (with its manifest) or refused with a status and a reason.</summary>
public sealed record BackupRequestResult(int Status, string? Error, string? Field, string? Name, string? Folder, BackupManifest? Manifest)
{
    public static BackupRequestResult Done(string name, string folder, BackupManifest manifest) => new(StatusCodes.Status200OK, null, null, name, folder, manifest);

    public static BackupRequestResult Refused(int status, string error, string? field = null) => new(status, error, field, null, null, null);
}
