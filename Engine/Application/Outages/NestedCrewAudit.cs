using Microsoft.Extensions.Hosting;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;

namespace OpsConsole.Engine.Application.Outages;

/// <summary>
/// Audits what the engine does on a dispatcher's behalf: a nested outage created under a dispatched parent takes the
/// parent's crew (<see cref="OutageCorrelator.SystemActor"/>), written once as <c>outage-action</c> by <c>system</c> when
/// the outage is created. A start's replay of the journal is not news (the correlation service publishes no changes for
/// it), so nothing is audited twice.
/// </summary>
public sealed class NestedCrewAudit(CorrelationService correlation, IAuditTrail audit) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        correlation.Changed += OnChanged;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        correlation.Changed -= OnChanged;
        return Task.CompletedTask;
    }

    /// <summary>On the correlation loop: one audit entry per nested outage that took its parent's crew.</summary>
    internal void OnChanged(IReadOnlyList<OutageChange> changes)
    {
        foreach (var change in changes)
        {
            var o = change.Outage;
            if (!change.Kinds.HasFlag(OutageChangeKinds.Created) || o.ParentOutageId is null)
            {
                continue;
            }

            foreach (var t in o.History)
            {
                if (t.Actor == OutageCorrelator.SystemActor && t.State == OutageState.Dispatched && t.From != OutageState.Dispatched)
                {
                    audit.Write(OutageCorrelator.SystemActor, OutageCommands.DoneAction, null, $"dispatch {o.Id} (nested under {o.ParentOutageId}): {t.Note}");
                }
            }
        }
    }
}
