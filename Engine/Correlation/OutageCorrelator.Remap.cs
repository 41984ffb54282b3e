using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Correlation;

/// <summary>Meters moved to another transformer than the topology says.</summary>
public sealed partial class OutageCorrelator
{
    /// <summary>
    /// The remaps in force (meter id, or GUID for a meter not in the topology → transformer id),
    /// for the host to persist and pass back to the constructor after a restart.
    /// </summary>
    public IReadOnlyDictionary<string, string> ParentOverrides =>
        _overrides.ToDictionary(kv => ElementId(kv.Key), kv => _topology[kv.Value].Id, StringComparer.Ordinal);

    /// <summary>
    /// Maps a meter to a transformer (an override of the topology's parent) and re-correlates it:
    /// when it is down, it leaves its outage and is correlated at its new place at once. Its
    /// Unknown (or Meter) outage then merges into the open outage covering the new place, or
    /// moves to the level the new place calls for. Mapping a meter back to its topology parent
    /// removes the override.
    /// </summary>
    public CorrelationResult Remap(string meterIdOrGuid, string transformerId, string actor, DateTimeOffset at)
    {
        if (!_topology.TryGetMeter(meterIdOrGuid, out int m))
        {
            if (!Guid.TryParse(meterIdOrGuid, out var guid))
            {
                return CorrelationResult.Fail($"no meter '{meterIdOrGuid}' (give a meter id or GUID)");
            }

            m = _virtualByGuid.TryGetValue(guid, out var v) ? v : AddVirtualMeter(guid);
        }

        if (!_topology.TryGetElement(transformerId, out int tx) || _topology.KindOf(tx) != ElementKind.Transformer)
        {
            return CorrelationResult.Fail($"no transformer '{transformerId}'");
        }

        int oldTx = _txOf[m];
        if (oldTx == tx)
        {
            return CorrelationResult.Ok(_meterOutage[m] >= 0 ? Snapshot(_outages[_meterOutage[m]]) : null);
        }

        long t = at.UtcTicks;
        var state = _state[m];
        bool down = state is MeterState.Pending or MeterState.InOutage;
        OutageRecord? old = state == MeterState.InOutage ? _outages[_meterOutage[m]] : null;
        if (down)
        {
            MarkUp(m);
        }

        if (old is not null)
        {
            old.Down--;
            old.RemoveMeter(m);
            _listedIn[m] = -1;
            _meterOutage[m] = -1;
            MarkChanged(old, OutageChangeKinds.Reported);
            if (old.Down == 0 && _outageAt[old.Element] == old.Index)
            {
                _outageAt[old.Element] = -1; // homeless until it is placed again below
            }
        }

        Move(m, oldTx, tx);
        if (state == MeterState.PendingUp)
        {
            _state[m] = MeterState.Up;
        }

        string note = $"{ElementId(m)} remapped to {transformerId} by {actor}";
        if (!down)
        {
            return CorrelationResult.Ok(null);
        }

        MarkDown(m);
        _state[m] = MeterState.Pending;
        OutageRecord placed;
        int covering = CoveringOutage(m);
        if (covering >= 0)
        {
            placed = _outages[covering];
            Join(placed, m, _gaspTicks[m]);
            Resettle(placed, t);
            placed = _outages[placed.MergedInto >= 0 ? placed.MergedInto : placed.Index];
        }
        else
        {
            int x = DecideFrom(tx, -1);
            bool reuse = old is { Down: 0, MeterCount: 0 } && old.IsOpen; // its only meter moves: it moves along
            placed = Gather(x < 0 ? m : x, reuse ? old!.Index : -1, t);
        }

        if (old is not null && old != placed)
        {
            if (old.Down == 0 && old.IsOpen && old.MeterCount == 0)
            {
                Merge(old, placed, t); // an empty shell: its meter is in the outage at the new place
            }
            else if (old.Down == 0 && old.IsOpen)
            {
                CloseRestored(old, t, actor, note); // every meter left in it has powered up
            }
            else
            {
                old.History.Add(new OutageTransition(old.State, old.State, At(t), actor, note));
            }
        }

        placed.History.Add(new OutageTransition(placed.State, placed.State, At(t), actor, note));
        MarkChanged(placed, OutageChangeKinds.LevelChanged);
        return CorrelationResult.Ok(Snapshot(placed));
    }

    /// <summary>Moves a meter's customer counts from one transformer's ancestry to another's.</summary>
    private void Move(int m, int oldTx, int tx)
    {
        bool critical = m < _n && _topology[m].IsCritical;
        Count(oldTx, -1, critical);
        if (_movedInto.TryGetValue(oldTx, out var list))
        {
            list.Remove(m);
        }

        _txOf[m] = tx;
        int topologyParent = m < _n ? _topology.ParentOf(m) : -1;
        if (tx == topologyParent)
        {
            _overrides.Remove(m);
        }
        else
        {
            _overrides[m] = tx;
            if (!_movedInto.TryGetValue(tx, out list))
            {
                _movedInto[tx] = list = [];
            }

            list.Add(m);
        }

        Count(tx, +1, critical);
        RefreshCustomers(oldTx);
        RefreshCustomers(tx);
    }

    /// <summary>Open outages at a transformer or above it take their element's new customer counts.</summary>
    private void RefreshCustomers(int tx)
    {
        if (tx < 0)
        {
            return;
        }

        Refresh(tx);
        foreach (var a in _topology.Upstream(tx))
        {
            Refresh(a);
        }

        void Refresh(int e)
        {
            if (_outageAt[e] >= 0 && _outages[_outageAt[e]] is var o && (o.Customers != _customers[e] || o.Critical != _critical[e]))
            {
                o.Customers = _customers[e];
                o.Critical = _critical[e];
                MarkChanged(o, OutageChangeKinds.CustomersChanged);
            }
        }
    }

    private void Count(int tx, int delta, bool critical)
    {
        if (tx < 0)
        {
            return;
        }

        int before = _customers[tx];
        int metered = (before + delta > 0 ? 1 : 0) - (before > 0 ? 1 : 0);
        int crit = critical ? delta : 0;
        _customers[tx] += delta;
        _critical[tx] += crit;
        _meteredTx[tx] += metered;
        foreach (var a in _topology.Upstream(tx))
        {
            _customers[a] += delta;
            _critical[a] += crit;
            _meteredTx[a] += metered;
        }
    }
}
