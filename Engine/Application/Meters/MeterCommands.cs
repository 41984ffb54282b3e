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
public sealed class MeterCommands(OutageCommands outages, TopologyState topology)
{
    public const string TransformerField = "transformer";

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
}

/// <summary>One pair of a <see cref="MeterCommands.RemapManyAsync"/>: its status, the meter's outage afterwards, the error.</summary>
public sealed record RemapResult(string Meter, string Transformer, CommandStatus Status, Outage? Outage, string? Error);
