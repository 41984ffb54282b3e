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

        // Restoration shows as it happens ("120 of 134 back"), not only when the outage closes or is nested.
        MarkChanged(o, OutageChangeKinds.PoweredUp);

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
    /// <c>NestedMs</c> after the first power-up below an upstream outage (or at once, when restoration verification
    /// found meters still off: <see cref="NestNow"/>): it is restored as of its last power-up, and the meters still down
    /// become nested outages of their own.
    /// </summary>
    private void EndRestorationGrace(OutageRecord parent, long t, string actor = EngineActor, string? why = null)
    {
        var still = new List<int>();
        for (int i = 0; i < parent.MeterCount; i++)
        {
            int m = parent.MeterBuffer[i];
            if (_state[m] == MeterState.InOutage && _meterOutage[m] == parent.Index)
            {
                still.Add(m);
                _state[m] = MeterState.Pending; // correlated again below
                _meterOutage[m] = -1;
            }
        }

        parent.Down = 0;
        _outageAt[parent.Element] = -1;
        NestBelow(parent, still, t, $"still off after {parent.Id} was restored");
        long restoredAt = parent.LastPowerUpTicks != 0 ? parent.LastPowerUpTicks : t;
        CloseRestored(parent, restoredAt, actor,
            why ?? $"{still.Count} reporting meter(s) still off {TimeSpan.FromTicks(_nestedTicks).TotalSeconds:0.#} s after the first power-up: nested outage(s)");
    }

    /// <summary>
    /// Correlates <paramref name="meters"/> (each <see cref="MeterState.Pending"/>, <paramref name="parent"/> no longer
    /// holding them) among themselves below the parent's element into nested outages: the same level rules, the start of
    /// their last gasps kept, Confirmed at once unless the parent was still Suspected. Returns the customers nested.
    /// </summary>
    private int NestBelow(OutageRecord parent, List<int> meters, long t, string note)
    {
        int before = _outages.Count;
        foreach (int m in meters)
        {
            if (_state[m] != MeterState.Pending)
            {
                continue; // taken by a nested outage already
            }

            int x = _txOf[m] < 0 ? m : DecideFrom(_txOf[m], parent.Element);
            Gather(x < 0 ? m : x, -1, t);
        }

        int customers = 0;
        for (int i = before; i < _outages.Count; i++)
        {
            var nested = _outages[i];
            nested.ParentIndex = parent.Index;
            parent.NestedCustomers += nested.Customers;
            customers += nested.Customers;
            if (parent.State != OutageState.Suspected)
            {
                nested.ConfirmedTicks = t;
                Transition(nested, OutageState.Confirmed, t, EngineActor, note);
                if (DispatchOf(parent) is { } crew)
                {
                    // The crew sent to the parent is the one out there: the nested outage is theirs, not a fresh Confirmed one.
                    Transition(nested, OutageState.Dispatched, t, SystemActor, $"{crew} (carried from {parent.Id})");
                }
            }
        }

        return customers;
    }

    /// <summary>The actor of what the engine does on an operator's behalf (a nested outage taking its parent's crew).</summary>
    public const string SystemActor = "system";

    /// <summary>The note of the dispatch that sent <paramref name="o"/>'s crew (<c>crew X: note</c>), when one was dispatched to it.</summary>
    private static string? DispatchOf(OutageRecord o)
    {
        for (int i = o.History.Count - 1; i >= 0; i--)
        {
            var h = o.History[i];
            if (h.State == OutageState.Dispatched && h.From != OutageState.Dispatched)
            {
                return h.Note;
            }
        }

        return null;
    }

    /// <summary>
    /// Restoration verification (the host read the meters and found these still off): while the outage is being
    /// restored (a Device, Feeder or Substation outage after its first power-up), its restoration grace ends now instead
    /// of <c>NestedMs</c> later; once it is Restored (by power-ups or by hand), the given meters behind its element that
    /// are up as far as the engine knows (they never reported, or were taken as up by a manual restoration) go down
    /// again and become nested outages at once. Meters covered by another open outage, or not behind the element, are
    /// left alone. Fails when nothing would change.
    /// </summary>
    public CorrelationResult NestNow(string outageId, IReadOnlyList<string> meterIds, string actor, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(meterIds);
        if (OperableRecord(outageId, actor, out var o) is { } refused)
        {
            return refused;
        }

        long t = at.UtcTicks;
        var meters = new List<int>(meterIds.Count);
        foreach (var id in meterIds)
        {
            if (TryResolveMeter(id, out int m) && !meters.Contains(m))
            {
                meters.Add(m);
            }
        }

        if (o.IsOpen)
        {
            int down = meters.Count(m => _state[m] == MeterState.InOutage && _meterOutage[m] == o.Index);
            if (o.RestorationStartTicks == 0 || down == 0)
            {
                return CorrelationResult.Fail($"outage {o.Id} is not being restored, or none of those meters is still down in it");
            }

            EndRestorationGrace(o, t, actor, $"{down} meter(s) verified still off after the first power-up: nested outage(s) at once");
            return CorrelationResult.Ok(Snapshot(o));
        }

        if (o.State != OutageState.Restored)
        {
            return CorrelationResult.Fail($"outage {o.Id} is {o.State}: only a restored outage has nested outages");
        }

        var nest = new List<int>();
        foreach (int m in meters)
        {
            bool behind = m == o.Element || (m < _n && _txOf[m] >= 0 && IsAtOrBelow(_txOf[m], o.Element));
            if (!behind || _state[m] != MeterState.Up || CoveringOutage(m) >= 0)
            {
                continue;
            }

            _gaspTicks[m] = _lastEventTicks[m] != 0 && _lastCode[m] == Domain.MeterEventCode.PowerDown ? _lastEventTicks[m] : t;
            _state[m] = MeterState.Pending;
            _meterOutage[m] = -1;
            MarkDown(m);
            nest.Add(m);
        }

        if (nest.Count == 0)
        {
            return CorrelationResult.Fail($"none of those meters is behind {o.Id}'s element and up as far as the engine knows");
        }

        int customers = NestBelow(o, nest, t, $"verified still off after {o.Id} was restored");
        if (o.Steps.Count > 0)
        {
            var last = o.Steps[^1];
            o.Steps[^1] = last with { CustomersRestored = Math.Max(0, last.CustomersRestored - customers) };
        }

        o.History.Add(new OutageTransition(o.State, o.State, At(t), actor, $"{nest.Count} meter(s) verified still off: nested outage(s)"));
        MarkChanged(o, OutageChangeKinds.StateChanged);
        return CorrelationResult.Ok(Snapshot(o));
    }
}
