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
        return await outages.ApplyAsync(actor, ActorRole.Admin,
            new OperatorAction { Kind = OperatorAction.RemapKind, Meter = meterId, Transformer = transformerId }, what, cancellationToken).ConfigureAwait(false);
    }
}
