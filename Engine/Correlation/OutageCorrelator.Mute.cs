namespace OpsConsole.Engine.Correlation;

/// <summary>
/// Muted meters: an admin's answer to a meter that keeps sending false last gasps. Mutes are operator actions like
/// remaps (persisted, replayed at their place in the event stream, written in the checkpoint), and a mute's end is a
/// time compared with the receive time of each last gasp, so a replay decides every gasp as it was decided live.
/// </summary>
public sealed partial class OutageCorrelator
{
    private readonly Dictionary<int, MeterMute> _mutes = []; // meter -> its latest mute (expired ones stay until replaced or lifted)

    /// <summary>
    /// Mutes a meter until <paramref name="until"/>: its later last gasps are recorded as seen but open no outage and
    /// join none (<see cref="EventDisposition.Muted"/>). Power-ups still count (a meter down before the mute comes back
    /// up). What it is in now is left as it is. Muting a muted meter replaces the mute.
    /// </summary>
    public CorrelationResult Mute(string meterIdOrGuid, string actor, string reason, DateTimeOffset until, DateTimeOffset at)
    {
        if (string.IsNullOrWhiteSpace(actor))
        {
            return CorrelationResult.Fail("the actor (user name) is required");
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            return CorrelationResult.Fail("a mute gives a reason");
        }

        if (until <= at)
        {
            return CorrelationResult.Fail("a mute ends after it starts");
        }

        if (!TryResolveMeter(meterIdOrGuid, out int m))
        {
            return CorrelationResult.Fail($"no meter '{meterIdOrGuid}' (give a meter id or GUID)");
        }

        _mutes[m] = new MeterMute(At(at.UtcTicks), At(until.UtcTicks), actor, reason.Trim());
        return CorrelationResult.Ok(null);
    }

    /// <summary>Lifts a meter's mute in force: its next last gasp correlates again.</summary>
    public CorrelationResult Unmute(string meterIdOrGuid, string actor, DateTimeOffset at)
    {
        if (string.IsNullOrWhiteSpace(actor))
        {
            return CorrelationResult.Fail("the actor (user name) is required");
        }

        if (!TryResolveMeter(meterIdOrGuid, out int m))
        {
            return CorrelationResult.Fail($"no meter '{meterIdOrGuid}' (give a meter id or GUID)");
        }

        if (!IsMuted(m, at.UtcTicks))
        {
            return CorrelationResult.Fail($"meter {ElementId(m)} is not muted");
        }

        _mutes.Remove(m);
        return CorrelationResult.Ok(null);
    }

    /// <summary>The meter's mute in force at engine time, or null (none, lifted or expired).</summary>
    public MeterMute? MuteOf(string meterIdOrGuid) =>
        TryResolveMeter(meterIdOrGuid, out int m) && IsMuted(m, _now) ? _mutes[m] : null;

    /// <summary>
    /// Meters whose outages were cleared as false positives at least <paramref name="minClears"/> times in the
    /// <paramref name="period"/> before engine time, most clears first. A merged outage counts in the one it joined.
    /// </summary>
    public IReadOnlyList<ChronicMeter> ChronicMeters(int minClears, TimeSpan period)
    {
        if (_now == long.MinValue)
        {
            return [];
        }

        long from = _now - period.Ticks;
        var counts = new Dictionary<int, (int Clears, long Last)>();
        foreach (var o in _outages)
        {
            if (o.State != OutageState.Cleared || o.MergedInto >= 0 || o.History.FindLast(h => h.State == OutageState.Cleared) is not { } clear)
            {
                continue;
            }

            long cleared = clear.At.UtcTicks;
            if (cleared < from)
            {
                continue;
            }

            for (int i = 0; i < o.MeterCount; i++)
            {
                int m = o.MeterBuffer[i];
                var (n, last) = counts.GetValueOrDefault(m);
                counts[m] = (n + 1, Math.Max(last, cleared));
            }
        }

        return [.. counts.Where(kv => kv.Value.Clears >= minClears)
            .OrderByDescending(kv => kv.Value.Clears).ThenByDescending(kv => kv.Value.Last).ThenBy(kv => kv.Key)
            .Select(kv => new ChronicMeter(ElementId(kv.Key), GuidOf(kv.Key), kv.Value.Clears, At(kv.Value.Last),
                IsMuted(kv.Key, _now) ? _mutes[kv.Key] : null))];
    }

    private Guid GuidOf(int m) => m < _n ? _topology[m].Guid : _virtualGuids[m - _n];

    private bool IsMuted(int m, long ticks) => _mutes.Count > 0 && _mutes.TryGetValue(m, out var mute) && ticks < mute.Until.UtcTicks;
}
