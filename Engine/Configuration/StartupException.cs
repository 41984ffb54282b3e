namespace OpsConsole.Engine.Configuration;

/// <summary>
/// The process cannot start because of a configured value (a port in use, a path that cannot be
/// used). The message names the key and the value; the host prints it without a stack trace.
/// </summary>
public sealed class StartupException : Exception
{
    public StartupException()
        : base("the configuration does not allow start-up")
    {
    }

    public StartupException(string message)
        : base(message)
    {
    }

    public StartupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
