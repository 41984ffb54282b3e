using System.Globalization;
using OpsConsole.Engine.Application.Outages;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Application.Meters;

/// <summary>
/// Admin commands on one meter. The remap (<c>PUT /api/meters/{id}/parent</c> and the board's "Map meter") is written
/// here once: checked, validated against the network in force, applied and audited once as <c>outage-action</c>
/// <c>remap &lt;meter&gt; to &lt;transformer&gt;</c>, whatever the door.
/// </summary>
/// <remarks>Mutes (<c>POST</c>/<c>DELETE /api/meters/{id}/mute</c>, the admin page's "Mute") are written here the same way:
/// admin only, validated, applied as an operator action (so a restart replays them at their place) and audited once as
/// <c>outage-action</c> <c>mute &lt;meter&gt; until &lt;time&gt;: &lt;reason&gt;</c> / <c>unmute &lt;meter&gt;</c>.</remarks>
public sealed class MeterCommands(OutageCommands outages, TopologyState topology, TimeProvider time)
{
    public const string TransformerField = "transformer";
    public const string ReasonField = "reason";
    public const string UntilField = "until";

    /// <summary>The longest mute: a chronic false gasper is looked at again within a quarter.</summary>
    public static readonly TimeSpan MaxMute = TimeSpan.FromDays(90);

    public const int MaxReasonLength = 500;

    /// <summary>Raised after each remap that was applied (on the caller's thread: keep handlers short), for views that count unmapped meters.</summary>
    public event Action? Remapped;

    /// <summary>Maps <paramref name="meterId"/> (id or GUID) to <paramref name="transformerId"/>; the value is its outage afterwards, if any.</summary>
    public async Task<CommandResult<Outage>> RemapAsync(Actor actor, string meterId, string transformerId, CancellationToken cancellationToken = default)
    {
        string what = $"remap {meterId} to {transformerId}";
        if (outages.Refuse(actor, ActorRole.Admin, what) is { } refused)
        {
            return refused;
        }

        if (string.IsNullOrWhiteSpace(transformerId))
        {
            return outages.Invalid(actor, what, TransformerField, "required: the id of the transformer the meter is fed from");
        }

        var net = topology.Current;
        if (!net.TryGetElement(transformerId, out int e) || net.KindOf(e) != ElementKind.Transformer)
        {
            return outages.Invalid(actor, what, TransformerField, $"'{transformerId}' is not a transformer of the network");
        }

        // Checked once above; ApplyAsync's own check passes for the same actor and audits nothing more.
        var result = await outages.ApplyAsync(actor, ActorRole.Admin,
            new OperatorAction { Kind = OperatorAction.RemapKind, Meter = meterId, Transformer = transformerId }, what, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            Remapped?.Invoke();
        }

        return result;
    }
    /// <summary>At most this many meters in one <see cref="RemapManyAsync"/>.</summary>
    public const int MaxBatch = 500;

    public const string AssignmentsField = "assignments";

    /// <summary>
    /// Maps several meters at once (the work queue's "Assign"): the role is checked once (a refused batch is one
    /// <c>action-refused</c> row), then each meter goes through <see cref="RemapAsync"/> — one operator action and one
    /// audit row per meter, exactly as if it had been mapped alone. Per meter rather than one batch action because the
    /// remap is the unit correlation persists and replays, the audit is searched by meter, and one bad pair (a meter or
    /// transformer that is not there) must not hold back the others: each pair's result is returned, in order.
    /// </summary>
    public async Task<CommandResult<IReadOnlyList<RemapResult>>> RemapManyAsync(Actor actor, IReadOnlyList<(string Meter, string Transformer)> assignments,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(assignments);
        string what = $"remap {assignments.Count} meter(s)";
        if (outages.Refuse(actor, ActorRole.Admin, what) is { } refused)
        {
            return refused.Failure<IReadOnlyList<RemapResult>>();
        }

        if (assignments.Count == 0 || assignments.Count > MaxBatch)
        {
            var invalid = outages.Invalid(actor, what, AssignmentsField, $"give 1 to {MaxBatch} meter-transformer pairs");
            return invalid.Failure<IReadOnlyList<RemapResult>>();
        }

        var results = new List<RemapResult>(assignments.Count);
        foreach (var (meter, transformer) in assignments)
        {
            var one = await RemapAsync(actor, meter ?? "", transformer ?? "", cancellationToken).ConfigureAwait(false);
            results.Add(new RemapResult(meter ?? "", transformer ?? "", one.Status, one.Value, one.Error));
        }

        return CommandResult.Done<IReadOnlyList<RemapResult>>(results);
    }

    /// <summary>
    /// Mutes <paramref name="meterId"/> (id or GUID) until <paramref name="until"/>: its last gasps are still stored and
    /// shown, but open no outage and join none until then (<see cref="OutageCorrelator.Mute"/>). A reason is required;
    /// the end must be in the future and at most <see cref="MaxMute"/> away. The value is the mute in force.
    /// </summary>
    public async Task<CommandResult<MeterMute>> MuteAsync(Actor actor, string meterId, string? reason, DateTimeOffset? until, CancellationToken cancellationToken = default)
    {
        string why = (reason ?? "").Trim();
        string what = until is { } u
            ? string.Create(CultureInfo.InvariantCulture, $"mute {meterId} until {u.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}: {Cut(why)}")
            : $"mute {meterId}: {Cut(why)}";
        if (outages.Refuse(actor, ActorRole.Admin, what) is { } refused)
        {
            return refused.Failure<MeterMute>();
        }

        if (why.Length == 0)
        {
            return outages.Invalid(actor, what, ReasonField, "required: why the meter is muted").Failure<MeterMute>();
        }

        if (why.Length > MaxReasonLength)
        {
            return outages.Invalid(actor, what, ReasonField, $"at most {MaxReasonLength} characters").Failure<MeterMute>();
        }

        var now = time.GetUtcNow();
        if (until is not { } end)
        {
            return outages.Invalid(actor, what, UntilField, "required: when the mute ends (an ISO 8601 time with its offset)").Failure<MeterMute>();
        }

        if (end <= now)
        {
            return outages.Invalid(actor, what, UntilField, "must be in the future").Failure<MeterMute>();
        }

        if (end - now > MaxMute)
        {
            return outages.Invalid(actor, what, UntilField, string.Create(CultureInfo.InvariantCulture, $"at most {MaxMute.TotalDays:0} days from now")).Failure<MeterMute>();
        }

        var action = new OperatorAction { Kind = OperatorAction.MuteKind, Meter = meterId, Note = why, UntilTicks = end.UtcTicks };
        var result = await outages.ApplyAsync(actor, ActorRole.Admin, action, what, cancellationToken).ConfigureAwait(false);
        return result.Succeeded
            ? CommandResult.Done(new MeterMute(new DateTimeOffset(action.AtTicks, TimeSpan.Zero), new DateTimeOffset(end.UtcTicks, TimeSpan.Zero), actor.Name, why))
            : result.Failure<MeterMute>();
    }

    /// <summary>Lifts <paramref name="meterId"/>'s mute in force (a failure when it has none).</summary>
    public Task<CommandResult<Outage>> UnmuteAsync(Actor actor, string meterId, CancellationToken cancellationToken = default) =>
        outages.ApplyAsync(actor, ActorRole.Admin, new OperatorAction { Kind = OperatorAction.UnmuteKind, Meter = meterId }, $"unmute {meterId}", cancellationToken);

    private static string Cut(string text) => text.Length <= 200 ? text : text[..200] + "…";
}

/// <summary>One pair of a <see cref="MeterCommands.RemapManyAsync"/>: its status, the meter's outage afterwards, the error.</summary>
public sealed record RemapResult(string Meter, string Transformer, CommandStatus Status, Outage? Outage, string? Error);
