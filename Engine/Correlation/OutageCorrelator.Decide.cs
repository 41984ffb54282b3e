using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Correlation;

/// <summary>Last gasps, windows, levels and roll-up.</summary>
public sealed partial class OutageCorrelator
{
    private void PowerDown(int m, long t)
    {
        switch (_state[m])
        {
            case MeterState.Pending or MeterState.InOutage:
                return; // a repeated last gasp: it is down already
            case MeterState.PendingUp:
                _state[m] = MeterState.Pending; // its window is still open
                _gaspTicks[m] = t;
                MarkDown(m);
                return;
        }

        _gaspTicks[m] = t;
        MarkDown(m);
        int covering = CoveringOutage(m);
        if (covering >= 0)
        {
            var o = _outages[covering];
            Join(o, m, t);
            Resettle(o, t);
            return;
        }

        _state[m] = MeterState.Pending;
        int key = WindowKey(m);
        if (_windowDeadline[key] == 0)
        {
            _windowDeadline[key] = t + _windowTicks;
            Schedule(t + _windowTicks, DeadlineKind.WindowEnd, key);
        }
    }

    /// <summary>A transformer, or the meter itself when it has none.</summary>
    private int WindowKey(int m) => _txOf[m] >= 0 ? _txOf[m] : m;

    private bool IsMeter(int e) => e >= _n || _topology.KindOf(e) == ElementKind.Meter;

    /// <summary>The open outage whose element is the meter or one of its ancestors, or -1.</summary>
    private int CoveringOutage(int m)
    {
        if (_outageAt[m] >= 0)
        {
            return _outageAt[m];
        }

        int tx = _txOf[m];
        if (tx < 0)
        {
            return -1;
        }

        if (_outageAt[tx] >= 0)
        {
            return _outageAt[tx];
        }

        foreach (var a in _topology.Upstream(tx))
        {
            if (_outageAt[a] >= 0)
            {
                return _outageAt[a];
            }
        }

        return -1;
    }

    /// <summary>A meter went down: its transformer may become affected, counted on every ancestor.</summary>
    private void MarkDown(int m)
    {
        int tx = _txOf[m];
        if (tx >= 0 && _downAt[tx]++ == 0)
        {
            foreach (var a in _topology.Upstream(tx))
            {
                _affectedTx[a]++;
            }
        }
    }

    private void MarkUp(int m)
    {
        int tx = _txOf[m];
        if (tx >= 0 && --_downAt[tx] == 0)
        {
            foreach (var a in _topology.Upstream(tx))
            {
                _affectedTx[a]--;
            }
        }
    }

    private void CloseWindow(int key, long t)
    {
        _windowDeadline[key] = 0;
        CollectMeters(key, _scratch);
        int pending = 0, blinked = 0, firstPending = -1;
        foreach (int m in _scratch)
        {
            if (_state[m] == MeterState.Pending)
            {
                pending++;
                if (firstPending < 0)
                {
                    firstPending = m;
                }
            }
            else if (_state[m] == MeterState.PendingUp)
            {
                blinked++;
            }
        }

        if (pending == 0)
        {
            if (blinked > 0)
            {
                RecordMomentary(key, t);
            }

            return;
        }

        foreach (int m in _scratch)
        {
            if (_state[m] == MeterState.PendingUp)
            {
                _state[m] = MeterState.Up; // back before the decision: not part of it
            }
        }

        int covering = CoveringOutage(firstPending);
        if (covering >= 0)
        {
            var o = _outages[covering];
            foreach (int m in _scratch)
            {
                if (_state[m] == MeterState.Pending)
                {
                    Join(o, m, _gaspTicks[m]);
                }
            }

            Resettle(o, t);
            return;
        }

        int x = IsMeter(key) ? key : DecideFrom(key, -1);
        Gather(x < 0 ? firstPending : x, -1, t);
    }

    /// <summary>
    /// Where the outage of an affected element belongs: the highest qualifying ancestor (see the
    /// class remarks), else the transformer itself when two or more of its meters are down or it
    /// has a single meter, else -1 (a Meter outage). Never at or above <paramref name="stopAt"/>.
    /// </summary>
    private int DecideFrom(int element, int stopAt)
    {
        int x, prev;
        if (_topology.KindOf(element) == ElementKind.Transformer)
        {
            x = _downAt[element] >= 2 || _customers[element] == 1 ? element : -1;
            prev = 1;
        }
        else
        {
            x = element;
            prev = _affectedTx[element];
        }

        foreach (var a in _topology.Upstream(element))
        {
            if (a == stopAt)
            {
                break;
            }

            int affected = _affectedTx[a];
            if (affected >= 2 && affected >= _rollupFraction * _meteredTx[a])
            {
                x = a;
            }
            else if (affected != prev)
            {
                break;
            }

            prev = affected;
        }

        return x;
    }

    /// <summary>After a join: moves the outage up when its element or an ancestor now qualifies.</summary>
    private void Resettle(OutageRecord o, long t)
    {
        if (o.Level == OutageLevel.Unknown || !o.IsOpen)
        {
            return;
        }

        int from = o.Level == OutageLevel.Meter ? _txOf[o.Element] : o.Element;
        int x = DecideFrom(from, -1);
        if (x >= 0 && x != o.Element)
        {
            Gather(x, o.Index, t);
        }
    }

    /// <summary>
    /// Makes one outage at element <paramref name="x"/>: every down meter below it joins, every
    /// open outage below it merges into the oldest one (or <paramref name="preferred"/>'s, when oldest).
    /// Returns the outage.
    /// </summary>
    private OutageRecord Gather(int x, int preferred, long t)
    {
        CollectMeters(x, _scratch);
        int survivor = preferred;
        if (_outageAt[x] >= 0 && (survivor < 0 || _outageAt[x] < survivor))
        {
            survivor = _outageAt[x];
        }

        foreach (int m in _scratch)
        {
            if (_state[m] == MeterState.InOutage && (survivor < 0 || _meterOutage[m] < survivor))
            {
                survivor = _meterOutage[m];
            }
        }

        OutageRecord o;
        bool created = survivor < 0;
        if (created)
        {
            o = NewOutage(x, t);
        }
        else
        {
            o = _outages[survivor];
            MoveTo(o, x, t, null);
        }

        foreach (int m in _scratch)
        {
            switch (_state[m])
            {
                case MeterState.InOutage when _meterOutage[m] != o.Index:
                    Merge(_outages[_meterOutage[m]], o, t);
                    break;
                case MeterState.Pending:
                    Join(o, m, _gaspTicks[m]);
                    break;
                case MeterState.PendingUp:
                    _state[m] = MeterState.Up; // a blink inside a larger outage
                    break;
            }
        }

        if (preferred >= 0 && preferred != o.Index && _outages[preferred].IsOpen)
        {
            Merge(_outages[preferred], o, t);
        }

        if (o.State == OutageState.Suspected)
        {
            Schedule(Math.Max(o.StartedTicks + _qualifyTicks, t), DeadlineKind.Qualify, o.Index);
        }

        return o;
    }

    private OutageRecord NewOutage(int x, long t)
    {
        var o = new OutageRecord(_outages.Count, "O-" + (_outages.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            State = OutageState.Suspected,
            Element = -1,
        };
        _outages.Add(o);
        SetElement(o, x);
        o.History.Add(new OutageTransition(null, OutageState.Suspected, At(t), EngineActor, null));
        MarkChanged(o, OutageChangeKinds.Created);
        return o;
    }

    private void SetElement(OutageRecord o, int x)
    {
        if (o.Element >= 0 && o.Element < _outageAt.Length && _outageAt[o.Element] == o.Index)
        {
            _outageAt[o.Element] = -1;
        }

        o.Element = x;
        o.Level = LevelOf(x);
        _outageAt[x] = o.Index;
        o.Customers = x < _n ? _customers[x] : 1;
        o.Critical = x < _n ? _critical[x] : 0;
    }

    private void MoveTo(OutageRecord o, int x, long t, string? note)
    {
        if (o.Element == x && _outageAt[x] == o.Index)
        {
            return;
        }

        var before = o.Level;
        string from = ElementId(o.Element);
        SetElement(o, x);
        o.History.Add(new OutageTransition(o.State, o.State, At(t), EngineActor,
            note ?? $"{before} {from} → {o.Level} {ElementId(x)}"));
        MarkChanged(o, OutageChangeKinds.LevelChanged);
    }

    private OutageLevel LevelOf(int x)
    {
        if (IsMeter(x))
        {
            return _txOf[x] >= 0 ? OutageLevel.Meter : OutageLevel.Unknown;
        }

        return _topology.KindOf(x) switch
        {
            ElementKind.Transformer => OutageLevel.Transformer,
            ElementKind.Device => OutageLevel.Device,
            ElementKind.Feeder => OutageLevel.Feeder,
            _ => OutageLevel.Substation,
        };
    }

    private void Join(OutageRecord o, int m, long gasp)
    {
        _state[m] = MeterState.InOutage;
        _meterOutage[m] = o.Index;
        o.Down++;
        if (_listedIn[m] != o.Index)
        {
            List(o, m);
            MarkChanged(o, OutageChangeKinds.Reported);
        }

        o.StartedTicks = Math.Min(o.StartedTicks, gasp);
        o.FirstReportTicks = Math.Min(o.FirstReportTicks, gasp);
        o.LastReportTicks = Math.Max(o.LastReportTicks, gasp);
    }

    private void List(OutageRecord o, int m)
    {
        o.AddMeter(m);
        _listedIn[m] = o.Index;
        int tx = _txOf[m];
        if (tx >= 0 && _txListedIn[tx] != o.Index)
        {
            _txListedIn[tx] = o.Index;
            o.ReportingTransformers++;
        }
    }

    /// <summary>Folds <paramref name="from"/> into <paramref name="into"/>: meters, times and the further lifecycle state.</summary>
    private void Merge(OutageRecord from, OutageRecord into, long t)
    {
        for (int i = 0; i < from.MeterCount; i++)
        {
            int m = from.MeterBuffer[i];
            if (_meterOutage[m] == from.Index)
            {
                _meterOutage[m] = into.Index;
                into.Down++;
            }

            if (_listedIn[m] == from.Index)
            {
                List(into, m);
            }
        }

        if (from.MeterCount > 0)
        {
            MarkChanged(into, OutageChangeKinds.Reported);
        }

        into.StartedTicks = Math.Min(into.StartedTicks, from.StartedTicks);
        into.FirstReportTicks = Math.Min(into.FirstReportTicks, from.FirstReportTicks);
        into.LastReportTicks = Math.Max(into.LastReportTicks, from.LastReportTicks);
        if (from.ConfirmedTicks != 0 && (into.ConfirmedTicks == 0 || from.ConfirmedTicks < into.ConfirmedTicks))
        {
            into.ConfirmedTicks = from.ConfirmedTicks;
        }

        into.History.Add(new OutageTransition(into.State, into.State, At(t), EngineActor, $"merged {from.Id} ({from.Level} {ElementId(from.Element)})"));
        if (from.State > into.State)
        {
            Transition(into, from.State, t, EngineActor, $"as merged {from.Id} was");
        }

        if (_outageAt[from.Element] == from.Index)
        {
            _outageAt[from.Element] = -1;
        }

        from.Down = 0;
        from.MergedInto = into.Index;
        from.History.Add(new OutageTransition(from.State, from.State, At(t), EngineActor, $"merged into {into.Id}"));
        MarkChanged(from, OutageChangeKinds.Merged);
    }

    private void Transition(OutageRecord o, OutageState to, long t, string actor, string? note)
    {
        o.History.Add(new OutageTransition(o.State, to, At(t), actor, note));
        o.State = to;
        var kinds = OutageChangeKinds.StateChanged;
        if (to is OutageState.Restored or OutageState.Momentary)
        {
            kinds |= OutageChangeKinds.Restored;
        }
        else if (to == OutageState.Cleared)
        {
            kinds |= OutageChangeKinds.Cleared;
        }

        if (!to.IsOpen())
        {
            o.RestoredTicks = t;
            o.Explanation = Explain(o);
            if (_outageAt[o.Element] == o.Index)
            {
                _outageAt[o.Element] = -1;
            }
        }

        MarkChanged(o, kinds);
    }

    /// <summary>Every meter at or below <paramref name="x"/>, remaps applied, into <paramref name="into"/>.</summary>
    private void CollectMeters(int x, List<int> into)
    {
        into.Clear();
        if (IsMeter(x))
        {
            into.Add(x);
            return;
        }

        foreach (int m in _topology.MetersBelow(x))
        {
            if (_overrides.Count == 0 || !_overrides.ContainsKey(m))
            {
                into.Add(m);
            }
        }

        foreach (var (tx, meters) in _movedInto)
        {
            if (IsAtOrBelow(tx, x))
            {
                into.AddRange(meters);
            }
        }
    }

    private bool IsAtOrBelow(int element, int ancestor)
    {
        if (element == ancestor)
        {
            return true;
        }

        foreach (var a in _topology.Upstream(element))
        {
            if (a == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Meters that went down and came back before their window ended: a Momentary outage, for MAIFI.</summary>
    private void RecordMomentary(int key, long t)
    {
        int count = 0, first = -1;
        foreach (int m in _scratch)
        {
            if (_state[m] == MeterState.PendingUp)
            {
                count++;
                first = first < 0 ? m : first;
            }
        }

        int x = IsMeter(key) || (count < 2 && _customers[key] > 1) ? first : key;
        var o = NewOutage(x, t);
        foreach (int m in _scratch)
        {
            if (_state[m] == MeterState.PendingUp)
            {
                List(o, m);
                o.StartedTicks = Math.Min(o.StartedTicks, _gaspTicks[m]);
                o.FirstReportTicks = Math.Min(o.FirstReportTicks, _gaspTicks[m]);
                o.LastReportTicks = Math.Max(o.LastReportTicks, _gaspTicks[m]);
                _state[m] = MeterState.Up;
            }
        }

        o.LastPowerUpTicks = t;
        o.Steps.Add(new RestorationStep(At(t), o.Customers));
        Transition(o, OutageState.Momentary, t, EngineActor, "every reporting meter powered up before the window ended");
    }
}
