using System.Globalization;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Correlation;

/// <summary>Snapshots, explanations and queries.</summary>
public sealed partial class OutageCorrelator
{
    /// <summary>Open outages (Suspected, Confirmed, Acknowledged, Dispatched), highest priority first, then oldest first.</summary>
    public IReadOnlyList<Outage> ActiveOutages()
    {
        var list = new List<Outage>();
        foreach (var o in _outages)
        {
            if (o.IsOpen)
            {
                list.Add(Snapshot(o));
            }
        }

        list.Sort(static (a, b) =>
        {
            int c = b.Priority.CompareTo(a.Priority);
            return c != 0 ? c : a.StartedAt.CompareTo(b.StartedAt) is var s && s != 0 ? s : string.CompareOrdinal(a.Id, b.Id);
        });
        return list;
    }

    /// <summary>Every outage ever made, closed ones included, in creation order; merged ones are left out (their meters live on in the outage that took them).</summary>
    public IReadOnlyList<Outage> AllOutages()
    {
        var list = new List<Outage>(_outages.Count);
        foreach (var o in _outages)
        {
            if (o.MergedInto < 0)
            {
                list.Add(Snapshot(o));
            }
        }

        return list;
    }

    /// <summary>Every outage ever made, merged ones too (with the outage each was merged into), in creation order: for storing.</summary>
    public IReadOnlyList<OutageChange> SnapshotEveryOutage()
    {
        var list = new List<OutageChange>(_outages.Count);
        foreach (var o in _outages)
        {
            list.Add(new OutageChange(OutageChangeKinds.None, Snapshot(o), o.MergedInto >= 0 ? _outages[o.MergedInto].Id : null));
        }

        return list;
    }

    /// <summary>One outage by id (merged ones too, to follow <see cref="OutageChange.MergedIntoId"/>); null when there is none.</summary>
    public Outage? Find(string outageId) => FindRecord(outageId) is { } o ? Snapshot(o) : null;

    /// <summary>The id of the outage a merged outage was folded into (followed to the end), else the id itself.</summary>
    public string? Resolve(string outageId)
    {
        var o = FindRecord(outageId);
        while (o is { MergedInto: >= 0 })
        {
            o = _outages[o.MergedInto];
        }

        return o?.Id;
    }

    /// <summary>A meter by id or GUID; null when neither the topology nor any event knows it.</summary>
    public MeterStatus? MeterStatusOf(string meterIdOrGuid) => TryResolveMeter(meterIdOrGuid, out int m) ? StatusOf(m) : null;

    /// <summary>
    /// The customers behind an outage's failed element, remaps applied (as many as <see cref="Outage.Meters"/> while it
    /// is open): every meter whose transformer is at or below it, or the meter itself for a Meter or Unknown outage;
    /// topology order, meters remapped in last. Empty when there is no such outage.
    /// </summary>
    public IReadOnlyList<MeterStatus> MetersOf(string outageId)
    {
        if (FindRecord(outageId) is not { } o)
        {
            return [];
        }

        int e = o.Element;
        if (e >= _n || _topology.KindOf(e) == ElementKind.Meter)
        {
            return [StatusOf(e)];
        }

        var list = new List<MeterStatus>(_customers[e]);
        foreach (int m in _topology.MetersBelow(e))
        {
            if (_txOf[m] >= 0 && IsAtOrBelow(_txOf[m], e))
            {
                list.Add(StatusOf(m));
            }
        }

        foreach (var (tx, moved) in _movedInto)
        {
            if (IsAtOrBelow(tx, e))
            {
                foreach (int m in moved)
                {
                    if (m >= _n || _topology.ParentOf(m) < 0 || !IsAtOrBelow(_topology.ParentOf(m), e)) // else listed above
                    {
                        list.Add(StatusOf(m));
                    }
                }
            }
        }

        return list;
    }

    /// <summary>
    /// The meters correlated under no transformer, remaps applied (the unmapped-meter work queue): meters the topology
    /// leaves unmapped and nobody has mapped since, then meters that sent events but are not in the topology; topology order.
    /// </summary>
    public IReadOnlyList<MeterStatus> UnmappedMeters()
    {
        var list = new List<MeterStatus>();
        for (int m = 0; m < _txOf.Length && m < _n + _virtualGuids.Count; m++)
        {
            if (_txOf[m] < 0 && (m >= _n || _topology.KindOf(m) == ElementKind.Meter))
            {
                list.Add(StatusOf(m));
            }
        }

        return list;
    }

    /// <summary>How many meters <see cref="UnmappedMeters"/> lists, without listing them.</summary>
    public int UnmappedMeterCount()
    {
        int count = 0;
        for (int m = 0; m < _txOf.Length && m < _n + _virtualGuids.Count; m++)
        {
            if (_txOf[m] < 0 && (m >= _n || _topology.KindOf(m) == ElementKind.Meter))
            {
                count++;
            }
        }

        return count;
    }

    private MeterStatus StatusOf(int m)
    {
        int tx = _txOf[m];
        bool down = _state[m] is MeterState.Pending or MeterState.InOutage;
        return new MeterStatus(
            ElementId(m),
            m < _n ? _topology[m].Guid : _virtualGuids[m - _n],
            tx >= 0 ? _topology[tx].Id : null,
            _overrides.ContainsKey(m),
            down,
            _lastEventTicks[m] != 0 ? _lastCode[m] : null,
            _lastEventTicks[m] != 0 ? At(_lastEventTicks[m]) : null,
            _meterOutage[m] >= 0 ? _outages[_meterOutage[m]].Id : null,
            IsMuted(m, _now) ? _mutes[m] : null);
    }

    /// <summary>Receive times of the meter's test power-downs (event code 231), oldest first.</summary>
    public IReadOnlyList<DateTimeOffset> TestResultsOf(string meterIdOrGuid) =>
        TryResolveMeter(meterIdOrGuid, out int m) && _tests.TryGetValue(m, out var list) ? [.. list.Select(At)] : [];

    private bool TryResolveMeter(string meterIdOrGuid, out int m)
    {
        if (_topology.TryGetMeter(meterIdOrGuid, out m))
        {
            return true;
        }

        return Guid.TryParse(meterIdOrGuid, out var g) && _virtualByGuid.TryGetValue(g, out m);
    }

    private string ElementId(int e) => e < 0 ? "(none)" : e < _n ? _topology[e].Id : _virtualGuids[e - _n].ToString("D");

    private Outage Snapshot(OutageRecord o)
    {
        var explanation = o.IsOpen || o.Explanation is null ? Explain(o) : o.Explanation;
        int priority = o.IsOpen ? OutagePriority.Compute(o.Customers, o.Critical, TimeSpan.FromTicks(Math.Max(0, _now - o.StartedTicks))) : 0;
        return new Outage(
            o.Id,
            o.Level,
            ElementId(o.Element),
            o.State,
            o.Customers,
            o.MeterCount,
            o.Critical,
            At(o.StartedTicks),
            o.ConfirmedTicks != 0 ? At(o.ConfirmedTicks) : null,
            o.RestoredTicks != 0 ? At(o.RestoredTicks) : null,
            priority,
            explanation,
            o.ParentIndex >= 0 ? _outages[o.ParentIndex].Id : null,
            [.. o.History],
            new MeterIdList(o.MeterBuffer, o.MeterCount, ElementId),
            [.. o.Steps],
            o.Down);
    }

    /// <summary>One sentence: who reported what, how quickly.</summary>
    private string Explain(OutageRecord o)
    {
        var inv = CultureInfo.InvariantCulture;
        double spread = o.MeterCount == 0 ? 0 : TimeSpan.FromTicks(Math.Max(0, o.LastReportTicks - o.FirstReportTicks)).TotalSeconds;
        string within = spread.ToString("0.0", inv) + " s";
        string sentence;
        switch (o.Level)
        {
            case OutageLevel.Unknown:
                sentence = o.Element < _n
                    ? $"Meter {ElementId(o.Element)} sent a last gasp but is mapped to no transformer"
                    : $"Meter {ElementId(o.Element)} sent a last gasp but is not in the topology";
                break;
            case OutageLevel.Meter:
                int tx = _txOf[o.Element];
                sentence = $"Only meter {ElementId(o.Element)} of the {Plural(tx >= 0 ? _customers[tx] : 1, "meter")} behind {ElementId(tx)} sent a last gasp";
                break;
            case OutageLevel.Transformer:
                sentence = string.Create(inv, $"{o.MeterCount} of {Plural(o.Customers, "meter")} behind {ElementId(o.Element)} sent a last gasp within {within}");
                break;
            default:
                sentence = string.Create(inv,
                    $"{o.ReportingTransformers} of {Plural(_meteredTx[o.Element], "transformer")} below {ElementWord(o.Element)} {ElementId(o.Element)} reported ({Plural(o.MeterCount, "meter")}) within {within}");
                break;
        }

        if (o.IsNested)
        {
            sentence += $", still off after {_outages[o.ParentIndex].Id} was restored";
        }

        return sentence;
    }

    private string ElementWord(int e)
    {
        var f = _topology[e];
        return f.Kind switch
        {
            ElementKind.Feeder => "feeder",
            ElementKind.Substation => "substation",
            _ => f.DeviceType == DeviceType.Unspecified ? "device" : f.DeviceType.ToWire(),
        };
    }

    private static string Plural(int n, string noun) => n.ToString(CultureInfo.InvariantCulture) + " " + (n == 1 ? noun : noun + "s");
}
