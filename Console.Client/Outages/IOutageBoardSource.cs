using System.Security.Claims;

namespace OpsConsole.Console.Client.Outages;

/// <summary>
/// What the outage board needs from the head-end: the open outages with the header figures, one
/// outage's detail, and the dispatcher's actions. The host adapts its correlation engine to it and
/// throttles pushes (<see cref="Subscribe"/>: at most a few calls a second, however busy the storm).
/// Every action checks the user's role on the server side.
/// </summary>
public interface IOutageBoardSource
{
    OutageBoardState Current { get; }

    /// <summary>
    /// Calls <paramref name="onChanged"/> (off the UI thread, never two calls at once, at most a few a second) whenever
    /// <see cref="Current"/> or the map overlay may have changed, and once soon after subscribing. Dispose to stop.
    /// </summary>
    IDisposable Subscribe(Func<Task> onChanged);

    /// <summary>
    /// Closed outages (restored, cleared, momentary), most recent first; the board reads them only when its state filter
    /// asks for closed ones (<see cref="OutageBoardView.StateFilter"/>).
    /// </summary>
    IReadOnlyList<OutageRow> ClosedRows() => [];

    /// <summary>
    /// The board's search by meter: ids of the outages (open and closed) with a meter whose id contains
    /// <paramref name="query"/>, case-insensitive — a reporting meter or any customer behind the failed element.
    /// </summary>
    IReadOnlySet<string> OutagesWithMeter(string query) => new HashSet<string>();

    /// <summary>One outage with its timeline and every customer behind it; null when there is none.</summary>
    Task<OutageDetail?> GetDetailAsync(string id);

    Task<BoardActionResult> AcknowledgeAsync(string id, ClaimsPrincipal user);

    Task<BoardActionResult> DispatchAsync(string id, ClaimsPrincipal user, string crew, string? note);

    Task<BoardActionResult> RestoreAsync(string id, ClaimsPrincipal user, string reason);

    /// <summary>The open outages as the map draws them (same moment as <see cref="Current"/>).</summary>
    IReadOnlyList<OutageMapItem> GetMapOverlay();

    /// <summary>Admin only: maps an Unknown outage's meter to a transformer.</summary>
    Task<BoardActionResult> RemapAsync(string meterId, ClaimsPrincipal user, string transformerId);

    /// <summary>Asks these meters now whether they have power (any role; api.md <c>GET /api/power-status</c>).</summary>
    Task<PowerCheckResult> CheckPowerAsync(IReadOnlyList<string> meterIds, ClaimsPrincipal user) =>
        Task.FromResult(PowerCheckResult.Fail("Checking power is not available here."));

    /// <summary>
    /// Admin only (api.md <c>POST /api/outages/{id}/clear</c>): reads the outage's reporting meters and clears it as a
    /// false positive only when every one asked is energised and was never down; else says why, with each meter's answer.
    /// </summary>
    Task<ClearResult> ClearAsync(string id, ClaimsPrincipal user, string? reason) =>
        Task.FromResult(ClearResult.Fail("Clearing is not available here."));
}

/// <summary>
/// How a verified clear ended: cleared, or not (<see cref="Error"/> says why), with the verdict
/// (<c>false-positive</c>, <c>not-energised</c>, <c>interruption</c>) and each meter's answer when they were read.
/// </summary>
public sealed record ClearResult(bool Succeeded, string? Error, string? Verdict, IReadOnlyList<MeterPower> Meters)
{
    public static ClearResult Fail(string error) => new(false, error, null, []);
}

/// <summary>One meter's live answer: <c>on</c>, <c>off</c>, <c>comm-failure</c> or <c>unknown</c>.</summary>
public sealed record MeterPower(string Meter, string Status, long? UptimeS, long? VoltageMv, DateTimeOffset At);

/// <summary>The answers of a power check, or why there are none.</summary>
public sealed record PowerCheckResult(bool Succeeded, string? Error, IReadOnlyList<MeterPower> Meters)
{
    public static PowerCheckResult Fail(string error) => new(false, error, []);
}

/// <summary>One open outage as a row of the board.</summary>
/// <param name="MetersDown">Reporting meters not powered up yet: fewer than <see cref="ReportingMeters"/> while restoration is under way.</param>
/// <param name="Address">The failed element's address, else its nearest addressed meter's (<paramref name="AddressMeterId"/>); null when none is known.</param>
/// <param name="AddressMeterId">The meter whose address <paramref name="Address"/> is, when the element has none of its own.</param>
public sealed record OutageRow(
    string Id,
    OutageLevelView Level,
    string DeviceId,
    string? DeviceName,
    string? Feeder,
    OutageStateView State,
    int Meters,
    int ReportingMeters,
    int CriticalMeters,
    DateTimeOffset StartedAt,
    int Priority,
    int MetersDown,
    string? Address = null,
    string? AddressMeterId = null);

/// <summary>The figures of the header strip.</summary>
public sealed record BoardHeader(int ActiveOutages, int CustomersOut, int CriticalCustomersOut, double IngestPerSecond, long RejectsLastMinute);

/// <summary>The board at one moment: open outages, highest priority first.</summary>
public sealed record OutageBoardState(IReadOnlyList<OutageRow> Rows, BoardHeader Header, DateTimeOffset At)
{
    public static readonly OutageBoardState Empty = new([], new BoardHeader(0, 0, 0, 0, 0), DateTimeOffset.MinValue);
}

/// <summary>One outage with what explains it.</summary>
/// <param name="Allowed">The actions the server accepts in the outage's state now (the engine's rules); the others are disabled.</param>
public sealed record OutageDetail(
    OutageRow Row,
    string Explanation,
    string? ParentOutageId,
    IReadOnlyList<TimelineEntry> Timeline,
    IReadOnlyList<OutageMeter> Meters,
    BoardActions Allowed);

/// <summary>The dispatcher's actions on an outage, as the server allows them by state.</summary>
[Flags]
public enum BoardActions
{
    None = 0,
    Acknowledge = 1,
    Dispatch = 2,
    Restore = 4,
    Clear = 8,
}

/// <summary>A transition or event in an outage's life.</summary>
public sealed record TimelineEntry(DateTimeOffset At, string What, string Actor, string? Note);

/// <summary>A customer behind the failed element; <paramref name="Mute"/> when an admin muted it (its last gasps join no outage).</summary>
public sealed record OutageMeter(string Id, bool Reported, bool Down, bool Critical, OpsConsole.Console.Client.Meters.MeterMuteView? Mute = null);

public sealed record BoardActionResult(bool Succeeded, string? Error)
{
    public static readonly BoardActionResult Ok = new(true, null);

    public static BoardActionResult Fail(string error) => new(false, error);
}

/// <summary>
/// One open outage on the map: the failed element, the transformers below it (drawn in the state's
/// colour), and its customers split into reporting and silent meters (drawn when zoomed in), with
/// where each is (<see cref="Places"/>): the map loads the network by area, so it does not know
/// where an element is unless told.
/// </summary>
public sealed record OutageMapItem(
    string Id,
    OutageStateView State,
    OutageLevelView Level,
    string ElementId,
    string Color,
    IReadOnlyList<string> Transformers,
    IReadOnlyList<string> Reporting,
    IReadOnlyList<string> Silent,
    OutageMapPlaces? Places = null);

/// <summary>
/// Where an outage's elements are, as flat arrays (small over the page's connection), each for the ids of the
/// network in force only: <see cref="Element"/> [lon, lat] (empty when not in the network), <see cref="Transformers"/>
/// [lon, lat, customers below]…, <see cref="Reporting"/> and <see cref="Silent"/> [lon, lat]….
/// </summary>
public sealed record OutageMapPlaces(double[] Element, double[] Transformers, double[] Reporting, double[] Silent);
