namespace OpsConsole.Engine.Storage.Events;

/// <summary>
/// The wire-format.md §5 flags an accepted event carries (one byte in the journal). A flagged
/// event is still recorded; <see cref="TimeSync"/> excludes it from outage correlation.
/// </summary>
[Flags]
#pragma warning disable CA1028 // Stored as one byte in the journal record.
public enum EventFlags : byte
#pragma warning restore CA1028
{
    None = 0,

    /// <summary><c>0x092</c> Time Sync Mismatch.</summary>
    TimeSync = 1,

    /// <summary><c>0x04F</c> Capacitor Discharge Failure risk.</summary>
    CapacitorLow = 2,

    /// <summary><c>ST_SIGNAL_LOW</c>.</summary>
    SignalLow = 4,
}
