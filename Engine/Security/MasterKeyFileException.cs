namespace OpsConsole.Engine.Security;

/// <summary>
/// The master key file (<c>Security:MasterKeyFile</c>) cannot be used. The message names the key and
/// the path and says what to fix; it never contains key bytes.
/// </summary>
public sealed class MasterKeyFileException : Exception
{
    public MasterKeyFileException()
        : base("Security:MasterKeyFile: the master key file cannot be used")
    {
    }

    public MasterKeyFileException(string message)
        : base(message)
    {
    }

    public MasterKeyFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
