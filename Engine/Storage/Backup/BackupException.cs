namespace OpsConsole.Engine.Storage.Backup;

/// <summary>A backup or restore refused or failed for a reason the operator can act on; the message says which.</summary>
public sealed class BackupException : Exception
{
    public BackupException()
        : base("the backup or restore failed")
    {
    }

    public BackupException(string message)
        : base(message)
    {
    }

    public BackupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
