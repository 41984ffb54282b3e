using System.Security.Claims;
using OpsConsole.Console.Client.Admin;
using OpsConsole.Console.Server.Security;
using OpsConsole.Console.Server.Security.Circuits;
using OpsConsole.Engine.Application;
using OpsConsole.Engine.Application.Meters;

namespace OpsConsole.Console.Server.Meters;

/// <summary>
/// The chronic-gaspers page's door to <see cref="MeterQueries.ChronicAsync"/> and <see cref="MeterCommands"/> (the REST API
/// calls them itself): the page's user becomes an <see cref="Actor"/> with the session's remote address; the role check
/// and the single audit row are the commands' business.
/// </summary>
public sealed class CircuitMeterMuteAdministration(MeterQueries queries, MeterCommands commands, ActorResolver actors, CircuitRemoteAddress remote, TimeProvider time)
    : IMeterMuteAdministration
{
    public async Task<IReadOnlyList<ChronicMeterRow>> ChronicAsync() =>
        [.. (await queries.ChronicAsync().ConfigureAwait(false)).Select(c =>
            new ChronicMeterRow(c.MeterId, c.Clears, c.LastClearAt, c.Mute?.Actor, c.Mute?.Reason, c.Mute?.Until))];

    public async Task<AdminResult> MuteAsync(ClaimsPrincipal user, string meterId, string? reason, int days)
    {
        var result = await commands.MuteAsync(actors.Of(user, remote.Value), meterId, reason, time.GetUtcNow().AddDays(days)).ConfigureAwait(false);
        return Answer(result.Status, result.Error, result.Field);
    }

    public async Task<AdminResult> UnmuteAsync(ClaimsPrincipal user, string meterId)
    {
        var result = await commands.UnmuteAsync(actors.Of(user, remote.Value), meterId).ConfigureAwait(false);
        return Answer(result.Status, result.Error, result.Field);
    }

    private static AdminResult Answer(CommandStatus status, string? error, string? field) => status switch
    {
        CommandStatus.Done => AdminResult.Ok,
        CommandStatus.Invalid when field is not null => AdminResult.Invalid(new Dictionary<string, string> { [field] = error ?? "invalid" }),
        _ => AdminResult.Fail(error ?? "The action failed."),
    };
}
