using System.Security.Claims;

namespace OpsConsole.Console.Client.Admin;

/// <summary>
/// What the unmapped-meter work queue page needs from the host: the meters correlated under no transformer, each with
/// its ranked suggestions, and assigning many at once — each through the same remap as <c>PUT /api/meters/{id}/parent</c>
/// (admin role checked and every meter audited by the host).
/// </summary>
public interface IUnmappedMeterQueue
{
    /// <summary>The queue, at most <paramref name="max"/> meters with their suggestions.</summary>
    Task<UnmappedQueue> LoadAsync(ClaimsPrincipal user, int max);

    /// <summary>Maps each meter to its transformer; what was done and what was not, meter by meter.</summary>
    Task<AssignOutcome> AssignAsync(ClaimsPrincipal user, IReadOnlyList<MeterAssignment> assignments);
}

/// <summary>The first meters of the queue and how many there are in all.</summary>
public sealed record UnmappedQueue(IReadOnlyList<UnmappedMeterRow> Meters, int Total);

/// <summary>One unmapped meter: its open Unknown outage, its last event, its suggestions best first, its mute in force if an admin muted it.</summary>
public sealed record UnmappedMeterRow(string Id, Guid Guid, string? UnknownOutageId, DateTimeOffset? LastEventAt, IReadOnlyList<SuggestionRow> Suggestions,
    OpsConsole.Console.Client.Meters.MeterMuteView? Mute = null);

/// <summary>One suggested transformer with its evidence.</summary>
public sealed record SuggestionRow(string Transformer, double Score, double? DistanceM, int CoTimedMeters, string Reason);

/// <summary>A meter and the transformer to map it to.</summary>
public sealed record MeterAssignment(string Meter, string Transformer);

/// <summary>How many were mapped, and one message per meter that was not (or a refusal of the whole).</summary>
public sealed record AssignOutcome(int Done, IReadOnlyList<string> Errors);
