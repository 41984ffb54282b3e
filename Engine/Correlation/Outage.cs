namespace OpsConsole.Engine.Correlation;

/// <summary>
/// An immutable snapshot of one outage, with the fields of api.md plus what explains it.
/// </summary>
/// <param name="Id">Deterministic: <c>O-</c> and the creation sequence number, so replaying the same events gives the same ids.</param>
/// <param name="Level">Which kind of element failed.</param>
/// <param name="DeviceId">Topology id of the failed element; for Meter and Unknown the meter id (or its GUID when it is not in the topology).</param>
/// <param name="State">Lifecycle state.</param>
/// <param name="Meters">Customers behind the failed element (every meter below it, with remaps applied).</param>
/// <param name="ReportingMeters">Meters whose last gasp was correlated into this outage.</param>
/// <param name="CriticalMeters">Customers behind the failed element with <c>critical: true</c>.</param>
/// <param name="StartedAt">The receive time of its earliest last gasp.</param>
/// <param name="ConfirmedAt">When it became Confirmed.</param>
/// <param name="RestoredAt">When it was restored, closed as Momentary, or cleared.</param>
/// <param name="Priority">See <see cref="OutagePriority"/>; computed at the engine time of the snapshot, 0 once closed.</param>
/// <param name="Explanation">One sentence saying why the outage exists.</param>
/// <param name="ParentOutageId">For a nested outage: the upstream outage whose restoration left these meters without supply.</param>
/// <param name="History">Every transition, oldest first.</param>
/// <param name="ReportingMeterIds">Ids of the reporting meters, in the order they joined.</param>
/// <param name="RestorationSteps">Customers restored and when.</param>
/// <param name="MetersDown">Reporting meters that have not powered up yet.</param>
public sealed record Outage(
    string Id,
    OutageLevel Level,
    string DeviceId,
    OutageState State,
    int Meters,
    int ReportingMeters,
    int CriticalMeters,
    DateTimeOffset StartedAt,
    DateTimeOffset? ConfirmedAt,
    DateTimeOffset? RestoredAt,
    int Priority,
    string Explanation,
    string? ParentOutageId,
    IReadOnlyList<OutageTransition> History,
    IReadOnlyList<string> ReportingMeterIds,
    IReadOnlyList<RestorationStep> RestorationSteps,
    int MetersDown)
{
    /// <summary>Not yet restored, cleared or closed as momentary (api.md <c>state=active</c>).</summary>
    public bool IsActive => State.IsOpen();
}
