using System.Globalization;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Engine.Application.Outages;

/// <summary>
/// What operators do to an outage — acknowledge, dispatch, restore (dispatchers and admins), clear (admins) — the one
/// door for the REST API, the board, the hub and background jobs alike. Each call is checked (<see cref="CommandGuard"/>),
/// applied on the correlation loop (persisted there, so a restart replays it) and audited once: <c>outage-action</c>,
/// <c>outage-action-failed</c> with the engine's reason, or <c>action-refused</c>.
/// </summary>
public sealed class OutageCommands(CorrelationService correlation, CommandGuard guard, IAuditTrail audit)
{
    public const string DoneAction = "outage-action";
    public const string FailedAction = "outage-action-failed";
    public const string RefusedAction = "action-refused";

    public Task<CommandResult<Outage>> AcknowledgeAsync(Actor actor, string outageId, CancellationToken cancellationToken = default) =>
        ApplyAsync(actor, ActorRole.Dispatcher, new OperatorAction { Kind = OperatorAction.AcknowledgeKind, OutageId = outageId }, $"acknowledge {outageId}", cancellationToken);

    public Task<CommandResult<Outage>> DispatchAsync(Actor actor, string outageId, string crew, string? note, CancellationToken cancellationToken = default) =>
        ApplyAsync(actor, ActorRole.Dispatcher, new OperatorAction { Kind = OperatorAction.DispatchKind, OutageId = outageId, Crew = crew, Note = note },
            $"dispatch {outageId} crew={crew}", cancellationToken);

    public Task<CommandResult<Outage>> RestoreAsync(Actor actor, string outageId, string reason, CancellationToken cancellationToken = default) =>
        ApplyAsync(actor, ActorRole.Dispatcher, new OperatorAction { Kind = OperatorAction.RestoreKind, OutageId = outageId, Note = reason },
            $"restore {outageId}: {reason}", cancellationToken);

    /// <summary>
    /// Admin only: closes the outage as a false positive (<see cref="OutageCorrelator.Clear"/>). No REST route calls it
    /// yet: api.md's <c>POST /api/outages/{id}/clear</c> first pings the meters, which a later change adds in front of it.
    /// </summary>
    public Task<CommandResult<Outage>> ClearAsync(Actor actor, string outageId, CancellationToken cancellationToken = default) =>
        ApplyAsync(actor, ActorRole.Admin, new OperatorAction { Kind = OperatorAction.ClearKind, OutageId = outageId }, $"clear {outageId}", cancellationToken);

    /// <summary>Checks, applies and audits one operator action (remaps come here too, from <see cref="Meters.MeterCommands"/>).</summary>
    internal async Task<CommandResult<Outage>> ApplyAsync(Actor actor, ActorRole minimum, OperatorAction action, string what, CancellationToken cancellationToken)
    {
        if (guard.Refuse<Outage>(actor, minimum, RefusedAction, what) is { } refused)
        {
            return refused;
        }

        action.Actor = actor.Name;
        var result = await correlation.ApplyAsync(action, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            string error = result.Error ?? "the action failed";
            audit.Write(actor.Name, FailedAction, actor.RemoteAddress, string.Create(CultureInfo.InvariantCulture, $"{what}: {error}"));
            return CommandResult.Fail<Outage>(CommandStatus.Failed, error);
        }

        audit.Write(actor.Name, DoneAction, actor.RemoteAddress, what);
        return new CommandResult<Outage>(CommandStatus.Done, result.Outage, null);
    }

    /// <summary>A failure found before the engine is asked (bad input), audited like the engine's own failures.</summary>
    internal CommandResult<Outage> Invalid(Actor actor, string what, string field, string error)
    {
        audit.Write(actor.Name, FailedAction, actor.RemoteAddress, string.Create(CultureInfo.InvariantCulture, $"{what}: {error}"));
        return CommandResult.Fail<Outage>(CommandStatus.Invalid, error, field);
    }

    internal CommandResult<Outage>? Refuse(Actor actor, ActorRole minimum, string what) => guard.Refuse<Outage>(actor, minimum, RefusedAction, what);
}
