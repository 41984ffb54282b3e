using Microsoft.Extensions.Logging;
using OpsConsole.Engine.Security;

namespace OpsConsole.Engine.Tests.Dlms;

/// <summary>
/// Which master key file is in force: the configured one; else the one under Storage:Path (so a backup of the
/// data folder holds it); else, for an earlier install, the former default data/keys/master.key; and the log says why.
/// </summary>
public sealed class MasterKeyLocationTests : IDisposable
{
    private readonly string _cwd = Path.Combine(Path.GetTempPath(), "opsconsole-mkl-" + Guid.NewGuid().ToString("N"));

    public MasterKeyLocationTests() => Directory.CreateDirectory(_cwd);

    public void Dispose() => Directory.Delete(_cwd, recursive: true);

    [Fact]
    public void Unset_NoFormerKey_IsTheFileUnderStoragePath()
    {
        var location = MasterKeyLocation.Resolve("", "/var/lib/opsconsole", _cwd);

        Assert.Equal("/var/lib/opsconsole/keys/master.key", location.Path);
        Assert.Equal(MasterKeySource.StorageDefault, location.Source);
    }

    [Fact]
    public void Unset_RelativeStoragePath_IsTakenFromTheWorkingDirectory()
    {
        var location = MasterKeyLocation.Resolve("", "data/", _cwd);

        Assert.Equal(Path.Combine(_cwd, "data", "keys", "master.key"), location.Path);
        Assert.Equal(MasterKeySource.StorageDefault, location.Source); // the former default is the same file here
    }

    [Fact]
    public void Unset_AnEarlierInstallsKeyAtTheFormerDefault_StaysInUse()
    {
        string former = Path.Combine(_cwd, "data", "keys", "master.key");
        _ = MasterKeyFile.LoadOrCreate(former);

        var location = MasterKeyLocation.Resolve("", "/srv/opsconsole-data", _cwd);

        Assert.Equal(former, location.Path);
        Assert.Equal(MasterKeySource.FormerDefault, location.Source);
    }

    [Fact]
    public void Configured_WinsOverBoth()
    {
        _ = MasterKeyFile.LoadOrCreate(Path.Combine(_cwd, "data", "keys", "master.key"));

        var location = MasterKeyLocation.Resolve("secrets/mk.key", "/srv/opsconsole-data", _cwd);

        Assert.Equal(Path.Combine(_cwd, "secrets", "mk.key"), location.Path);
        Assert.Equal(MasterKeySource.Configured, location.Source);
    }

    [Fact]
    public void Log_NamesTheFileAndWhy_FormerDefaultAsAWarning_NeverTheKey()
    {
        string former = Path.Combine(_cwd, "data", "keys", "master.key");
        var key = MasterKeyFile.LoadOrCreate(former);
        var logs = new List<(LogLevel Level, string Message)>();
        var logger = new ListLogger(logs);

        MasterKeyLocation.Resolve("", "/srv/opsconsole-data", _cwd).Log(logger);
        MasterKeyLocation.Resolve("", Path.Combine(_cwd, "elsewhere"), Path.Combine(_cwd, "other-cwd")).Log(logger);

        Assert.Equal(2, logs.Count);
        Assert.Equal(LogLevel.Warning, logs[0].Level);
        Assert.Contains(former, logs[0].Message, StringComparison.Ordinal);
        Assert.Contains("former default data/keys/master.key", logs[0].Message, StringComparison.Ordinal);
        Assert.Equal(LogLevel.Information, logs[1].Level);
        Assert.Contains(Path.Combine(_cwd, "elsewhere", "keys", "master.key"), logs[1].Message, StringComparison.Ordinal);
        Assert.Contains("default under Storage:Path", logs[1].Message, StringComparison.Ordinal);
        Assert.All(logs, l => Assert.DoesNotContain(Convert.ToHexString(key), l.Message, StringComparison.OrdinalIgnoreCase));
        Assert.All(logs, l => Assert.DoesNotContain(Convert.ToBase64String(key), l.Message, StringComparison.Ordinal));
    }

    private sealed class ListLogger(List<(LogLevel Level, string Message)> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Add((logLevel, formatter(state, exception)));
    }
}
