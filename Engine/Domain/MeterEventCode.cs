namespace OpsConsole.Engine.Domain;

/// <summary>
/// Event codes of the notification body (wire-format.md §3; 1 and 2 follow the IDIS event log numbering).
/// Other values are valid on the wire: they are recorded and shown but take no part in outage correlation.
/// </summary>
#pragma warning disable CA1028 // The wire field is one byte (A-XDR unsigned); the enum mirrors it.
public enum MeterEventCode : byte
#pragma warning restore CA1028
{
    /// <summary>Power down ("last gasp"): RMS voltage below 80 % of nominal for 3 consecutive cycles.</summary>
    PowerDown = 1,

    /// <summary>Power up ("first breath", restoration).</summary>
    PowerUp = 2,

    /// <summary>Test power down: outage logic run on request without a real outage; never opens an outage or a ticket.</summary>
    TestPowerDown = 231,
}
