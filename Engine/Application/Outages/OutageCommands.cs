using System.Globalization;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Engine.Application.Outages;

/// <summary>The result of a clear: the outage (as cleared, or unchanged) and the meters' answers behind the decision.</summary>
public sealed record ClearOutcome(Outage? Outage, OutageVerification? Verification);

/// <summary>
/// What operators do to an outage — acknowledge, dispatch, restore (dispatchers and admins), clear (admins) — the one
/// door for the REST API, the board, the hub and background jobs alike. Each call is checked (<see cref="CommandGuard"/>),
/// applied on the correlation loop (persisted there, so a restart replays it) and audited once: <c>outage-action</c>,
/// <c>outage-action-failed</c> with the engine's reason, or <c>action-refused</c>.
/// </summary>
/// <param name="verifier">Reads the meters before a clear: no door clears without it.</param>
public sealed class OutageCommands(CorrelationService correlation, CommandGuard guard, IAuditTrail audit, OutageVerifier verifier)
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
    /// Admin only (api.md <c>POST /api/outages/{id}/clear</c>, and the outage detail's <i>Clear as false positive</i>):
    /// reads the outage's reporting meters (<see cref="OutageVerifier"/>) and closes it as a false positive
    /// (<see cref="OutageCorrelator.Clear"/>) only when every meter asked is energised and has been up longer than the
    /// outage is old. Otherwise <see cref="CommandStatus.Conflict"/> with the verification, the outage unchanged; a closed
    /// outage is a conflict too. Audited exactly once: <c>outage-action</c> with the evidence, <c>outage-action-failed</c>
    /// with the evidence or the reason, or <c>action-refused</c>.
    /// </summary>
    public async Task<CommandResult<ClearOutcome>> ClearAsync(Actor actor, string outageId, string? reason = null, CancellationToken cancellationToken = default)
    {
        string what = $"clear {outageId}";
        if (guard.Refuse<ClearOutcome>(actor, ActorRole.Admin, RefusedAction, what) is { } refused)
        {
            return refused;
        }

        var outage = await correlation.QueryAsync(c => c.Find(outageId ?? ""), cancellationToken).ConfigureAwait(false);
        if (outage is null)
        {
            return Failed<ClearOutcome>(actor, what, CommandStatus.Failed, $"no outage '{outageId}'");
        }

        if (!outage.IsActive)
        {
            return Failed<ClearOutcome>(actor, what, CommandStatus.Conflict, $"outage {outage.Id} is {outage.State}: only an open outage can be cleared");
        }

        var verification = await verifier.VerifyAsync(outage, cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrWhiteSpace(reason))
        {
            what = $"{what} ({Cut(reason)})";
        }

        return await ClearVerifiedAsync(actor, outage, verification, what, requireSuspected: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Closes <paramref name="outage"/> as a false positive on the evidence of <paramref name="verification"/>, when it
    /// is one and the outage is still as it was read (open, or still Suspected with <paramref name="requireSuspected"/>,
    /// and no new meter reported since); audited once. When the outage changed meanwhile nothing is done and nothing
    /// audited: <see cref="CommandStatus.Conflict"/> with a null value.
    /// </summary>
    internal async Task<CommandResult<ClearOutcome>> ClearVerifiedAsync(Actor actor, Outage outage, OutageVerification verification, string what,
        bool requireSuspected, CancellationToken cancellationToken)
    {
        string evidence = verification.Evidence();
        if (verification.Verdict != VerificationVerdict.FalsePositive)
        {
            audit.Write(actor.Name, FailedAction, actor.RemoteAddress, Cut($"{what}: {verification.Reason} [{evidence}]", 4000));
            return new CommandResult<ClearOutcome>(CommandStatus.Conflict, new ClearOutcome(outage, verification), verification.Reason);
        }

        int reporting = outage.ReportingMeters;
        var action = new OperatorAction { Kind = OperatorAction.ClearKind, OutageId = outage.Id, Note = Cut(evidence, 2000) };
        var result = await ApplyAsync(actor, ActorRole.Admin, action, Cut($"{what}: {evidence}", 4000), cancellationToken,
            c => c.Find(outage.Id) is { IsActive: true } now && now.ReportingMeters == reporting && (!requireSuspected || now.State == OutageState.Suspected))
            .ConfigureAwait(false);
        return result.Status switch
        {
            CommandStatus.Done => CommandResult.Done(new ClearOutcome(result.Value, verification)),
            CommandStatus.Conflict when requireSuspected => new CommandResult<ClearOutcome>(CommandStatus.Conflict, null, result.Error), // the background's: nothing to say
            CommandStatus.Conflict => Audited(actor, what, result.Error!, verification, outage),
            _ => new CommandResult<ClearOutcome>(result.Status, new ClearOutcome(outage, verification), result.Error, result.Field),
        };
    }

    /// <summary>
    /// Restoration verification: the meters behind a restored (or restoring) outage found still off become nested
    /// outages at once (<see cref="OutageCorrelator.NestNow"/>). Admin role (a background job's); audited once with the evidence.
    /// </summary>
    /// <remarks>When, by the time it would apply, none of the meters is still as read (down in the restoring outage, or up
    /// behind the restored one: a power-up came meanwhile), nothing is done nor audited (<see cref="CommandStatus.Conflict"/>).</remarks>
    internal Task<CommandResult<Outage>> NestAsync(Actor actor, string outageId, IReadOnlyList<string> meterIds, string evidence, CancellationToken cancellationToken) =>
        ApplyAsync(actor, ActorRole.Admin, new OperatorAction { Kind = OperatorAction.NestKind, OutageId = outageId, Meter = string.Join(',', meterIds) },
            Cut($"nest {outageId}: {meterIds.Count} meter(s) verified still off after restoration: {evidence}", 4000), cancellationToken,
            c => c.Find(outageId) switch
            {
                { IsActive: true } => meterIds.Any(m => c.MeterStatusOf(m) is { IsDown: true } s && s.OutageId == outageId),
                { State: OutageState.Restored } => meterIds.Any(m => c.MeterStatusOf(m) is { IsDown: false }),
                _ => false,
            });

    /// <summary>Checks, applies and audits one operator action (remaps come here too, from <see cref="Meters.MeterCommands"/>).</summary>
    /// <remarks>With <paramref name="condition"/>: when it does not hold (on the loop, just before), nothing is applied
    /// nor audited, and the result is <see cref="CommandStatus.Conflict"/>.</remarks>
    internal async Task<CommandResult<Outage>> ApplyAsync(Actor actor, ActorRole minimum, OperatorAction action, string what, CancellationToken cancellationToken,
        Func<OutageCorrelator, bool>? condition = null)
    {
        if (guard.Refuse<Outage>(actor, minimum, RefusedAction, what) is { } refused)
        {
            return refused;
        }

        action.Actor = actor.Name;
        var result = await correlation.ApplyIfAsync(action, condition, cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            return CommandResult.Fail<Outage>(CommandStatus.Conflict, "the outage changed while its meters were read: nothing done");
        }

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

    /// <summary>An operator's clear that found the outage changed while its meters were read: refused, audited like any failure.</summary>
    private CommandResult<ClearOutcome> Audited(Actor actor, string what, string error, OutageVerification verification, Outage outage)
    {
        audit.Write(actor.Name, FailedAction, actor.RemoteAddress, Cut($"{what}: {error} [{verification.Evidence()}]", 4000));
        return new CommandResult<ClearOutcome>(CommandStatus.Conflict, new ClearOutcome(outage, verification), error);
    }

    private CommandResult<T> Failed<T>(Actor actor, string what, CommandStatus status, string error)
    {
        audit.Write(actor.Name, FailedAction, actor.RemoteAddress, string.Create(CultureInfo.InvariantCulture, $"{what}: {error}"));
        return CommandResult.Fail<T>(status, error);
    }

    private static string Cut(string text, int max = 200) => text.Length <= max ? text : text[..max] + "…";

    internal CommandResult<Outage>? Refuse(Actor actor, ActorRole minimum, string what) => guard.Refuse<Outage>(actor, minimum, RefusedAction, what);
}
