namespace OpsConsole.Engine.Storage.Backup;

/// <summary>One file of a backup.</summary>
public sealed record BackupFile(string Path, long Bytes, string Sha256);
