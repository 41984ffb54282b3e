namespace OpsConsole.Engine.Correlation;

/// <summary>
/// What operators do. Allowed transitions (<see cref="OutageRules"/>): Acknowledge from Confirmed; Dispatch from Confirmed or
/// Acknowledged; RestoreManually and Clear from any open state. Anything else fails with a message.
/// Operator times are recorded as given; they do not move engine time.
/// </summary>
public sealed partial class OutageCorrelator
{
    /// <summary>An operator has seen the outage. Only a Confirmed outage: a Suspected one may still turn out Momentary.</summary>
    public CorrelationResult Acknowledge(string outageId, string actor, DateTimeOffset at) =>
        Operate(outageId, actor, at, OutageState.Acknowledged, null, OutageAction.Acknowledge);

    /// <summary>A crew is on its way (from Confirmed or Acknowledged).</summary>
    public CorrelationResult Dispatch(string outageId, string actor, string crew, string? note, DateTimeOffset at)
    {
        if (string.IsNullOrWhiteSpace(crew))
        {
            return CorrelationResult.Fail("a dispatch names the crew");
        }

        return Operate(outageId, actor, at, OutageState.Dispatched, string.IsNullOrWhiteSpace(note) ? $"crew {crew}" : $"crew {crew}: {note}",
            OutageAction.Dispatch);
    }

    /// <summary>
    /// An operator declares the outage restored (e.g. the crew reports it, meters cannot say).
    /// Its meters still down are taken as up; every customer counts as restored at <paramref name="at"/>.
    /// </summary>
    public CorrelationResult RestoreManually(string outageId, string actor, string reason, DateTimeOffset at)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            return CorrelationResult.Fail("a manual restoration gives a reason");
        }

        return Operate(outageId, actor, at, OutageState.Restored, reason, OutageAction.Restore);
    }

    /// <summary>
    /// An admin (or the automatic verification) closes the outage as a false positive (api.md: after reading its
    /// meters' status). Its meters are taken as up and no customer counts as interrupted. <paramref name="note"/>: the
    /// evidence, kept in the outage's history.
    /// </summary>
    public CorrelationResult Clear(string outageId, string actor, DateTimeOffset at, string? note = null) =>
        Operate(outageId, actor, at, OutageState.Cleared, string.IsNullOrWhiteSpace(note) ? "false positive" : $"false positive: {note}", OutageAction.Clear);

    private CorrelationResult Operate(string outageId, string actor, DateTimeOffset at, OutageState to, string? note, OutageAction action)
    {
        if (OperableRecord(outageId, actor, out var o) is { } refused)
        {
            return refused;
        }

        if (!OutageRules.Allows(action, o.State))
        {
            var from = OutageRules.From(action);
            return CorrelationResult.Fail($"outage {o.Id} is {o.State}: it cannot become {to} (only from {string.Join(" or ", from)})");
        }

        long t = at.UtcTicks;
        if (to is OutageState.Restored or OutageState.Cleared)
        {
            for (int i = 0; i < o.MeterCount; i++)
            {
                int m = o.MeterBuffer[i];
                if (_state[m] == MeterState.InOutage && _meterOutage[m] == o.Index)
                {
                    _state[m] = MeterState.Up;
                    _meterOutage[m] = -1;
                    MarkUp(m);
                }
            }

            o.Down = 0;
            if (to == OutageState.Restored)
            {
                o.Steps.Add(new RestorationStep(at, Math.Max(0, o.Customers - o.NestedCustomers)));
            }
        }

        Transition(o, to, t, actor, note);
        return CorrelationResult.Ok(Snapshot(o));
    }

    /// <summary>The outage an operator action names, or why no action can be taken on it (no actor, no such outage, merged).</summary>
    private CorrelationResult? OperableRecord(string outageId, string actor, out OutageRecord o)
    {
        o = null!;
        if (string.IsNullOrWhiteSpace(actor))
        {
            return CorrelationResult.Fail("the actor (user name) is required");
        }

        if (FindRecord(outageId) is not { } found)
        {
            return CorrelationResult.Fail($"no outage '{outageId}'");
        }

        o = found;
        return o.MergedInto >= 0 ? CorrelationResult.Fail($"outage {o.Id} was merged into {_outages[o.MergedInto].Id}") : null;
    }

    private OutageRecord? FindRecord(string outageId)
    {
        if (outageId is null || !outageId.StartsWith("O-", StringComparison.Ordinal) ||
            !int.TryParse(outageId.AsSpan(2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) ||
            n < 1 || n > _outages.Count)
        {
            return null;
        }

        return _outages[n - 1];
    }
}
