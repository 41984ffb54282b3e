using System.Security.Claims;
using OpsConsole.Console.Client.Outages;
using OpsConsole.Console.Server.Security.Circuits;

namespace OpsConsole.Console.Server.Outages;

/// <summary>
/// The outage board as one page session sees it (scoped: one per circuit): the shared
/// <see cref="OutageBoardSource"/>, with the session's remote address on every audited action.
/// </summary>
public sealed class CircuitOutageBoardSource(OutageBoardSource board, CircuitRemoteAddress remote) : IOutageBoardSource
{
    public OutageBoardState Current => board.Current;

    public IReadOnlyList<OutageRow> ClosedRows() => board.ClosedRows();

    public IReadOnlySet<string> OutagesWithMeter(string query) => board.OutagesWithMeter(query);

    public IDisposable Subscribe(Func<Task> onChanged) => board.Subscribe(onChanged);

    public Task<OutageDetail?> GetDetailAsync(string id) => board.GetDetailAsync(id);

    public IReadOnlyList<OutageMapItem> GetMapOverlay() => board.GetMapOverlay();

    public Task<BoardActionResult> AcknowledgeAsync(string id, ClaimsPrincipal user) => board.AcknowledgeAsync(id, user, remote.Value);

    public Task<BoardActionResult> DispatchAsync(string id, ClaimsPrincipal user, string crew, string? note) => board.DispatchAsync(id, user, crew, note, remote.Value);

    public Task<BoardActionResult> RestoreAsync(string id, ClaimsPrincipal user, string reason) => board.RestoreAsync(id, user, reason, remote.Value);

    public Task<BoardActionResult> RemapAsync(string meterId, ClaimsPrincipal user, string transformerId) => board.RemapAsync(meterId, user, transformerId, remote.Value);

    public Task<PowerCheckResult> CheckPowerAsync(IReadOnlyList<string> meterIds, ClaimsPrincipal user) => board.CheckPowerAsync(meterIds, user, remote.Value);

    public Task<ClearResult> ClearAsync(string id, ClaimsPrincipal user, string? reason) => board.ClearAsync(id, user, reason, remote.Value);
}
