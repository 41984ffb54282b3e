using System.Security.Claims;
using OpsConsole.Console.Client.Admin;
using OpsConsole.Console.Server.Security;
using OpsConsole.Console.Server.Security.Circuits;
using OpsConsole.Engine.Application;
using OpsConsole.Engine.Application.Meters;

namespace OpsConsole.Console.Server.Meters;

/// <summary>
/// The work queue page's door to the application layer, for one page session (its remote address): reads through
/// <see cref="MeterQueries"/>, assignments through <see cref="MeterCommands.RemapManyAsync"/> — the same role check, the
/// same remap and one audit row per meter as <c>PUT /api/meters/parents</c>.
/// </summary>
public sealed class UnmappedMeterQueue(MeterQueries queries, MeterCommands commands, ActorResolver actors, CircuitRemoteAddress remote) : IUnmappedMeterQueue
{
    public async Task<UnmappedQueue> LoadAsync(ClaimsPrincipal user, int max)
    {
        var all = await queries.UnmappedAsync().ConfigureAwait(false);
        var rows = new List<UnmappedMeterRow>(Math.Min(max, all.Count));
        foreach (var m in all.Take(max))
        {
            var suggestions = await queries.SuggestAsync(m.MeterId).ConfigureAwait(false) ?? [];
            rows.Add(new UnmappedMeterRow(m.MeterId, m.Guid, m.OutageId, m.LastEventAt,
                [.. suggestions.Select(s => new SuggestionRow(s.Transformer, s.Score, s.DistanceM, s.CoTimedMeters, s.Reason))],
                m.Mute.ToView()));
        }

        return new UnmappedQueue(rows, all.Count);
    }

    public async Task<AssignOutcome> AssignAsync(ClaimsPrincipal user, IReadOnlyList<MeterAssignment> assignments)
    {
        var result = await commands.RemapManyAsync(actors.Of(user, remote.Value), [.. assignments.Select(a => (a.Meter, a.Transformer))]).ConfigureAwait(false);
        if (result.Value is not { } each)
        {
            return new AssignOutcome(0, [result.Error ?? "The assignment was refused."]);
        }

        return new AssignOutcome(each.Count(r => r.Status == CommandStatus.Done),
            [.. each.Where(r => r.Status != CommandStatus.Done).Select(r => $"{r.Meter} → {r.Transformer}: {r.Error}")]);
    }
}
