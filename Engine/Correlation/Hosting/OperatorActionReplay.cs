using OpsConsole.Engine.Storage;

namespace OpsConsole.Engine.Correlation.Hosting;

/// <summary>Replays a persisted <see cref="OperatorAction"/> on the correlator.</summary>
public static class OperatorActionReplay
{
    /// <summary>Applies the action to <paramref name="correlator"/> at its own time.</summary>
    public static CorrelationResult ApplyTo(this OperatorAction action, OutageCorrelator correlator)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(correlator);
        return action.Kind switch
        {
            OperatorAction.RemapKind => correlator.Remap(action.Meter ?? "", action.Transformer ?? "", action.Actor, action.At),
            OperatorAction.AcknowledgeKind => correlator.Acknowledge(action.OutageId ?? "", action.Actor, action.At),
            OperatorAction.DispatchKind => correlator.Dispatch(action.OutageId ?? "", action.Actor, action.Crew ?? "", action.Note, action.At),
            OperatorAction.RestoreKind => correlator.RestoreManually(action.OutageId ?? "", action.Actor, action.Note ?? "", action.At),
            OperatorAction.ClearKind => correlator.Clear(action.OutageId ?? "", action.Actor, action.At, action.Note),
            OperatorAction.NestKind => correlator.NestNow(action.OutageId ?? "", (action.Meter ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries), action.Actor, action.At),
            OperatorAction.MuteKind => correlator.Mute(action.Meter ?? "", action.Actor, action.Note ?? "", new DateTimeOffset(action.UntilTicks, TimeSpan.Zero), action.At),
            OperatorAction.UnmuteKind => correlator.Unmute(action.Meter ?? "", action.Actor, action.At),
            _ => CorrelationResult.Fail($"unknown operator action '{action.Kind}'"),
        };
    }
}
