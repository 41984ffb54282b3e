using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace OpsConsole.Server.Tests;

/// <summary>Every log line a host writes (category, level, event id, rendered message, exception), for assertions on what is logged.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, EventId Id, string Message, Exception? Exception)> _lines = new();

    public IReadOnlyList<(string Category, LogLevel Level, EventId Id, string Message, Exception? Exception)> Lines => [.. _lines];

    /// <summary>Registers this provider on a host being built (for <see cref="RunningHost.StartAsync(Action{WebApplicationBuilder}, string[])"/>).</summary>
    public void AddTo(WebApplicationBuilder builder) => builder.Logging.AddProvider(this);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs._lines.Enqueue((category, logLevel, eventId, formatter(state, exception), exception));
    }
}
