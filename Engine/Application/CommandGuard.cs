namespace OpsConsole.Engine.Application;

/// <summary>
/// The check every command makes before it acts, written once: a named caller with at least the role the command
/// needs, whose session (if it has one) is still current. A refusal is audited here, once, with the caller's name and
/// address; the command itself then does nothing.
/// </summary>
public sealed class CommandGuard(IAuditTrail audit)
{
    public const string RoleRefused = "Your role does not allow this action.";
    public const string SessionEnded = "Your session has ended: sign in again.";

    /// <summary>
    /// Null when <paramref name="actor"/> may do <paramref name="what"/>; else the refusal, already audited as
    /// <paramref name="refusedAction"/> (e.g. <c>action-refused</c>, <c>admin-refused</c>).
    /// </summary>
    public CommandResult<T>? Refuse<T>(Actor actor, ActorRole minimum, string refusedAction, string what)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAuthenticated || actor.Role < minimum)
        {
            audit.Write(actor.Name, refusedAction, actor.RemoteAddress, what);
            return CommandResult.Fail<T>(CommandStatus.Forbidden, RoleRefused);
        }

        if (actor.SessionRevoked is { } why)
        {
            audit.Write(actor.Name, refusedAction, actor.RemoteAddress, $"{what}: session revoked ({why})");
            return CommandResult.Fail<T>(CommandStatus.SessionEnded, SessionEnded);
        }

        return null;
    }
}
