using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Console.Server.Api;

/// <summary>The JSON shapes of api.md (camelCase by the host's defaults; times as UTC, "Z").</summary>
public static class ApiJson
{
    /// <summary>The api.md outage object (REST and the hub's <c>OutageChanged</c>).</summary>
    public static OutageDto Outage(Outage o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return new OutageDto(o.Id, o.Level.ToString(), o.DeviceId, o.State.ToString(), o.Meters, o.ReportingMeters, o.CriticalMeters,
            o.StartedAt.UtcDateTime, o.ConfirmedAt?.UtcDateTime, o.RestoredAt?.UtcDateTime, o.Priority, o.Explanation, o.ParentOutageId);
    }

    public static EventDto Event(RecordedEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new EventDto(e.Event.EventCode.ToString(), (int)e.Event.EventCode, e.Event.EventId, e.Event.EventTime.UtcDateTime, e.ReceivedAt.UtcDateTime,
            e.Flags.HasFlag(EventFlags.TimeSync), e.Flags.HasFlag(EventFlags.CapacitorLow), e.Flags.HasFlag(EventFlags.SignalLow),
            e.Event.CapacitorMillivolts, e.Event.RssiDbm);
    }

    /// <summary>api.md <c>verification</c>: the verdict and each meter's answer behind a clear (or its refusal).</summary>
    public static object Verification(OpsConsole.Engine.Application.Outages.OutageVerification v)
    {
        ArgumentNullException.ThrowIfNull(v);
        return new
        {
            verdict = v.VerdictName,
            reason = v.Reason,
            reportingMeters = v.ReportingMeters,
            asked = v.Meters.Count,
            outageAgeS = v.OutageAgeS,
            meters = v.Meters.Select(r => new { meter = r.Meter, status = r.Status, uptimeS = r.UptimeS, voltageMv = r.VoltageMv, at = r.At.UtcDateTime }),
        };
    }

    /// <summary>api.md <c>mute</c>: a meter's mute in force (when, until when, by whom, why), or null when it is not muted.</summary>
    public static object? Mute(MeterMute? mute) => mute is null ? null : new
    {
        at = mute.At.UtcDateTime,
        until = mute.Until.UtcDateTime,
        by = mute.Actor,
        reason = mute.Reason,
    };

    /// <summary>An RFC 7807 validation problem (400) naming the field.</summary>
    public static IResult FieldProblem(string field, string message) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, detail: $"{field}: {message}");

    public static IResult NotFound(string what) => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: what);
}

public sealed record OutageDto(
    string Id,
    string Level,
    string DeviceId,
    string State,
    int Meters,
    int ReportingMeters,
    int CriticalMeters,
    DateTime StartedAt,
    DateTime? ConfirmedAt,
    DateTime? RestoredAt,
    int Priority,
    string Explanation,
    string? ParentOutageId);

public sealed record EventDto(
    string Code,
    int CodeValue,
    uint EventId,
    DateTime EventTime,
    DateTime ReceivedAt,
    bool TimeSync,
    bool CapacitorLow,
    bool SignalLow,
    int CapacitorMillivolts,
    int RssiDbm);
