using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Domain;

namespace OpsConsole.Engine.Ingest;

/// <summary>
/// The checks of wire-format.md §5 that flag an authenticated event (duplicates are decided by
/// the caller, which holds the set of recorded events). Pure: the receive time is given.
/// </summary>
public sealed class EventValidator(ValidationOptions options)
{
    private readonly TimeSpan _tolerance = TimeSpan.FromMilliseconds(options.ClockToleranceMs);
    private readonly TimeSpan _transit = TimeSpan.FromMilliseconds(options.TransitAllowanceMs);

    /// <summary>
    /// Time sync (<c>0x092</c>): the send time (the event time when absent) must lie within
    /// [received − transit − tolerance, received + tolerance].
    /// </summary>
    public bool IsClockInSync(in MeterEvent e, DateTimeOffset receivedAt)
    {
        var sent = e.EffectiveSendTime;
        return sent <= receivedAt + _tolerance && sent >= receivedAt - _transit - _tolerance;
    }

    /// <summary><c>0x04F</c>: a power-down sent on a super-capacitor below the floor.</summary>
    public bool IsCapacitorLow(in MeterEvent e) =>
        e.EventCode == MeterEventCode.PowerDown && e.CapacitorMillivolts < options.CapacitorFloorMv;

    /// <summary><c>ST_SIGNAL_LOW</c>: the meter's radio heard the mesh below the floor.</summary>
    public bool IsSignalLow(in MeterEvent e) => e.RssiDbm < options.RssiFloorDbm;
}
