namespace OpsConsole.Console.Server.Hosting;

/// <summary>
/// Keeps the generic host's own "Hosting failed to start" entry (an Error with the whole exception, category
/// <see cref="HostCategory"/>) off the log while the console starts: <see cref="ConsoleHost.RunAsync"/> says what failed
/// in one line and logs the exception at Debug level. Once the console has started, the host's entries pass as before.
/// </summary>
public sealed class StartupLogGate
{
    /// <summary>The category of the generic host's start and stop entries.</summary>
    public const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    private volatile bool _starting = true;

    /// <summary>True until <see cref="Started"/>.</summary>
    public bool Starting => _starting;

    public void AddTo(ILoggingBuilder logging) =>
        logging.AddFilter(HostCategory, level => level >= LogLevel.Information && !(_starting && level >= LogLevel.Error));

    /// <summary>The start is over (done or failed): the host's errors are logged again.</summary>
    public void Started() => _starting = false;
}
