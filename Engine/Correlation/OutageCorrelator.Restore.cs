namespace OpsConsole.Engine.Correlation;

/// <summary>Power-ups, restoration and nested outages.</summary>
public sealed partial class OutageCorrelator
{
    private void PowerUp(int m, long t)
    {
        switch (_state[m])
        {
            case MeterState.Pending:
                _state[m] = MeterState.PendingUp;
                MarkUp(m);
                return;
            case MeterState.InOutage:
                var o = _outages[_meterOutage[m]];
                _state[m] = MeterState.Up;
                _meterOutage[m] = -1;
                MarkUp(m);
                o.Down--;
                o.LastPowerUpTicks = Math.Max(o.LastPowerUpTicks, t);
                MeterRestored(o, t);
                return;
            default:
                return; // up already (or its outage was cleared or restored by hand)
        }
    }

    private void MeterRestored(OutageRecord o, long t)
    {
        if (o.Down == 0)
        {
            CloseRestored(o, t, EngineActor, null);
            return;
        }

        if (o.Level is OutageLevel.Device or OutageLevel.Feeder or OutageLevel.Substation && o.RestorationStartTicks == 0)
        {
            o.RestorationStartTicks = t;
            Schedule(t + _nestedTicks, DeadlineKind.RestorationGrace, o.Index);
        }
    }

    /// <summary>Every reporting meter is up: Momentary while still Suspected, Restored otherwise.</summary>
    private void CloseRestored(OutageRecord o, long t, string actor, string? note)
    {
        o.Steps.Add(new RestorationStep(At(t), Math.Max(0, o.Customers - o.NestedCustomers)));
        Transition(o, o.State == OutageState.Suspected ? OutageState.Momentary : OutageState.Restored, t, actor, note);
    }

    /// <summary>
    /// <c>NestedMs</c> after the first power-up below an upstream outage: it is restored as of its
    /// last power-up, and the meters still down become nested outages of their own.
    /// </summary>
    private void EndRestorationGrace(OutageRecord parent, long t)
    {
        _scratch2.Clear();
        for (int i = 0; i < parent.MeterCount; i++)
        {
            int m = parent.MeterBuffer[i];
            if (_state[m] == MeterState.InOutage && _meterOutage[m] == parent.Index)
            {
                _scratch2.Add(m);
                _state[m] = MeterState.Pending; // correlated again below
                _meterOutage[m] = -1;
            }
        }

        parent.Down = 0;
        _outageAt[parent.Element] = -1;
        int before = _outages.Count;
        foreach (int m in _scratch2)
        {
            if (_state[m] != MeterState.Pending)
            {
                continue; // taken by a nested outage already
            }

            int x = _txOf[m] < 0 ? m : DecideFrom(_txOf[m], parent.Element);
            Gather(x < 0 ? m : x, -1, t);
        }

        for (int i = before; i < _outages.Count; i++)
        {
            var nested = _outages[i];
            nested.ParentIndex = parent.Index;
            parent.NestedCustomers += nested.Customers;
            if (parent.State != OutageState.Suspected)
            {
                nested.ConfirmedTicks = t;
                Transition(nested, OutageState.Confirmed, t, EngineActor, $"still off after {parent.Id} was restored");
            }
        }

        long restoredAt = parent.LastPowerUpTicks != 0 ? parent.LastPowerUpTicks : t;
        CloseRestored(parent, restoredAt, EngineActor, $"{_scratch2.Count} reporting meter(s) still off {TimeSpan.FromTicks(_nestedTicks).TotalSeconds:0.#} s after the first power-up: nested outage(s)");
    }
}
