using System.Globalization;
namespace OpsConsole.Engine.Configuration;

/// <summary><c>Hes:*</c> — the CoAP/UDP listener (api.md).</summary>
public sealed class HesOptions
{
    public const string Section = "Hes";

    /// <summary>UDP port; 0 picks a free port and logs it.</summary>
    public int Port { get; set; } = 5683;

    /// <summary>CIDR ranges whose datagrams are accepted.</summary>
    public IList<string> AllowedGateways { get; } = [];

    /// <summary>
    /// At most this long at start, before the listener takes traffic, its decode path runs on synthetic meters so a
    /// storm right after a (re)start meets compiled code; 0 turns it off (<c>IngestWarmup</c>).
    /// </summary>
    public int WarmupMs { get; set; } = 1500;
}

/// <summary><c>Security:*</c>.</summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";

    /// <summary>
    /// The master key file; empty (the default) means <c>&lt;Storage:Path&gt;/keys/master.key</c>, or the former default
    /// <c>data/keys/master.key</c> where an earlier install keeps it (<c>MasterKeyLocation</c>).
    /// </summary>
    public string MasterKeyFile { get; set; } = "";

    /// <summary>The head-end's DLMS system title in its requests to meters (wire-format.md §6), 16 hex digits.</summary>
    public string HeadEndSystemTitle { get; set; } = "4F50534845000001";

    /// <summary><see cref="HeadEndSystemTitle"/> as a number (valid once the options are validated).</summary>
    public ulong HeadEndSystemTitleValue => ulong.Parse(HeadEndSystemTitle, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}

/// <summary><c>MeterClient:*</c>: how the head-end asks meters (wire-format.md §6).</summary>
public sealed class MeterClientOptions
{
    public const string Section = "MeterClient";

    /// <summary>At most this many meters are asked at once, over every caller.</summary>
    public int MaxConcurrency { get; set; } = 64;

    /// <summary>RFC 7252 ACK_TIMEOUT in milliseconds (the first wait is random in [1, 1.5] times this, doubled each retransmission).</summary>
    public int AckTimeoutMs { get; set; } = 2000;

    /// <summary>RFC 7252 MAX_RETRANSMIT: retransmissions of a request before it is no answer.</summary>
    public int MaxRetransmit { get; set; } = 2;

    /// <summary>A request is no answer after this long whatever the retransmissions left (also bounds the wait for a free slot).</summary>
    public int RequestTimeoutMs { get; set; } = 20_000;
}

/// <summary>
/// <c>Verification:*</c>: reading meters' status (wire-format.md §6) before an outage is cleared as a false positive, on
/// its own when a small outage is Suspected, and when an outage is restored (meters still off become nested outages).
/// </summary>
public sealed class VerificationOptions
{
    public const string Section = "Verification";

    /// <summary>At most this many reporting meters are read to verify a clear (all of them when fewer).</summary>
    public int SampleSize { get; set; } = 10;

    /// <summary>Verify Suspected outages of <see cref="AutoLevels"/> on their own and clear the false ones.</summary>
    public bool Auto { get; set; } = true;

    /// <summary>Levels verified automatically when Suspected, comma-separated (<c>Meter,Transformer</c>); empty: none.</summary>
    public string AutoLevels { get; set; } = "Meter,Transformer";

    /// <summary><see cref="AutoLevels"/> as a list (valid once the options are validated).</summary>
    public IReadOnlyList<string> AutoLevelList => AutoLevels.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Outages verified at once by the background verification (each still bounded by <c>MeterClient:MaxConcurrency</c>).</summary>
    public int MaxParallel { get; set; } = 4;

    /// <summary>Verifications waiting beyond this are dropped (logged): a storm must not queue thousands of reads.</summary>
    public int QueueLimit { get; set; } = 256;

    /// <summary>Read the meters that did not power up when an outage is restored; those still off become nested outages at once.</summary>
    public bool Restoration { get; set; } = true;

    /// <summary>At most this many meters that did not power up are read per restored outage.</summary>
    public int RestorationMaxMeters { get; set; } = 200;

    /// <summary>And this many of those that did (a sample).</summary>
    public int RestorationSampleUp { get; set; } = 3;

    /// <summary>A meter whose outages were cleared as false positives this many times in <see cref="ChronicDays"/> is listed as a chronic false gasper.</summary>
    public int ChronicClears { get; set; } = 3;

    /// <summary>The period (days, back from now) <see cref="ChronicClears"/> counts over.</summary>
    public int ChronicDays { get; set; } = 30;
}

/// <summary><c>Topology:*</c>.</summary>
public sealed class TopologyOptions
{
    public const string Section = "Topology";

    /// <summary>GeoJSON loaded when the store holds no topology yet; empty means the bundled demo network.</summary>
    public string? File { get; set; }

    /// <summary>An import that would remove more than this share (0–1) of the meters is refused unless forced.</summary>
    public double MaxRemovalFraction { get; set; } = 0.1;

    /// <summary>Largest body of <c>POST /api/topology</c>, in bytes (other requests keep the server's general limit).</summary>
    public long MaxImportBytes { get; set; } = 1L << 30;
}

/// <summary><c>Storage:*</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Folder of the embedded database and logs; relative paths are taken from the current directory.</summary>
    public string Path { get; set; } = "data/";
}

/// <summary><c>Validation:*</c> (wire-format.md §5).</summary>
public sealed class ValidationOptions
{
    public const string Section = "Validation";

    public int ClockToleranceMs { get; set; } = 500;

    public int TransitAllowanceMs { get; set; } = 1000;

    /// <summary>A power-down below this super-capacitor voltage is flagged <c>0x04F</c>.</summary>
    public int CapacitorFloorMv { get; set; } = 3600;

    /// <summary>An RSSI below this is flagged <c>ST_SIGNAL_LOW</c>.</summary>
    public int RssiFloorDbm { get; set; } = -100;
}

/// <summary><c>Correlation:*</c> — the outage correlation engine (<c>OpsConsole.Engine.Correlation</c>).</summary>
public sealed class CorrelationOptions
{
    public const string Section = "Correlation";

    /// <summary>How long the engine gathers last gasps behind one transformer before it decides.</summary>
    public int WindowMs { get; set; } = 2000;

    /// <summary>
    /// The share of an element's metered transformers that must be affected (with at least two)
    /// for the outage to roll up to that device, feeder or substation.
    /// </summary>
    public double RollupFraction { get; set; } = 0.5;

    /// <summary>
    /// How long after its first last gasp a Suspected outage becomes Confirmed; an outage whose
    /// reporting meters all power up sooner closes as Momentary.
    /// </summary>
    public int QualifyMs { get; set; } = 30_000;

    /// <summary>
    /// After the first power-up under a restored device, feeder or substation outage, how long
    /// its other reporting meters have to power up before those still down become a nested outage.
    /// </summary>
    public int NestedMs { get; set; } = 60_000;

    /// <summary>
    /// At most this long at start, a scratch correlator on a small synthetic network runs the engine's paths so a storm
    /// right after a (re)start meets compiled code; 0 turns it off (<c>CorrelationWarmup</c>).
    /// </summary>
    public int WarmupMs { get; set; } = 1000;

    /// <summary>
    /// How often the correlator's whole state is checkpointed into the store (also at every clean stop), so a start
    /// replays only what came after; journal segments the checkpoint covers are then deleted. 0: at clean stops only.
    /// </summary>
    public int CheckpointSeconds { get; set; } = 60;
}
