using System.Security.Claims;

namespace OpsConsole.Console.Client.Admin;

/// <summary>
/// What the chronic-gaspers admin page needs from the host: the meters cleared as false positives too often (the same
/// list as <c>GET /api/meters/chronic</c>), and the mute and unmute (the same commands as <c>POST</c>/<c>DELETE
/// /api/meters/{id}/mute</c>, which check the admin role and audit every attempt once).
/// </summary>
public interface IMeterMuteAdministration
{
    Task<IReadOnlyList<ChronicMeterRow>> ChronicAsync();

    /// <summary>Mutes <paramref name="meterId"/> for <paramref name="days"/> days; a field error names <see cref="ReasonField"/> or <see cref="UntilField"/>.</summary>
    Task<AdminResult> MuteAsync(ClaimsPrincipal user, string meterId, string? reason, int days);

    Task<AdminResult> UnmuteAsync(ClaimsPrincipal user, string meterId);

    public const string ReasonField = "reason";
    public const string UntilField = "until";
}

/// <summary>One chronic false gasper: its clears in the period, the latest, and its mute in force (null fields when none).</summary>
public sealed record ChronicMeterRow(string Id, int Clears, DateTimeOffset LastClearAt, string? MutedBy, string? MuteReason, DateTimeOffset? MutedUntil);
