namespace OpsConsole.Engine.Application;

/// <summary>How a command ended, so each front door can answer in its own terms (a status code, a message on a page).</summary>
public enum CommandStatus
{
    Done,

    /// <summary>The caller's role does not allow it (audited).</summary>
    Forbidden,

    /// <summary>The caller's session was revoked since it signed in (audited).</summary>
    SessionEnded,

    /// <summary>The input is wrong; <see cref="CommandResult{T}.Field"/> names what.</summary>
    Invalid,

    /// <summary>The state does not allow it (e.g. nothing to roll back, an import that removes too much).</summary>
    Conflict,

    /// <summary>The engine refused it (an unknown outage, a transition the lifecycle does not allow).</summary>
    Failed,
}

/// <summary>The outcome of a command: its value when <see cref="Succeeded"/>, else why not, in words that can be shown as they are.</summary>
public sealed record CommandResult<T>(CommandStatus Status, T? Value, string? Error, string? Field = null)
{
    public bool Succeeded => Status == CommandStatus.Done;

    /// <summary>The same failure carrying another value type.</summary>
    public CommandResult<TOther> Failure<TOther>() =>
        Succeeded ? throw new InvalidOperationException("not a failure") : new(Status, default, Error, Field);
}

/// <summary>Builds <see cref="CommandResult{T}"/> values.</summary>
public static class CommandResult
{
    public static CommandResult<T> Done<T>(T value) => new(CommandStatus.Done, value, null);

    public static CommandResult<T> Fail<T>(CommandStatus status, string error, string? field = null) => new(status, default, error, field);
}
