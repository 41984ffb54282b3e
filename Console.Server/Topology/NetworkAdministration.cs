using System.Security.Claims;
using OpsConsole.Console.Client.Admin;
using OpsConsole.Console.Server.Security;
using OpsConsole.Console.Server.Security.Circuits;
using OpsConsole.Engine.Application;
using OpsConsole.Engine.Application.Topology;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Topology;

namespace OpsConsole.Console.Server.Topology;

/// <summary>
/// The admin page's door to <see cref="TopologyCommands"/> (the REST API calls the commands itself): the caller becomes an <see cref="Actor"/>
/// (a user's name, or <c>api-key:&lt;role&gt;:&lt;4 hex&gt;</c> for a machine client); the role check, the session check and
/// the audit of every import and roll-back (applied, dry run, refused, invalid) are the commands' business.
/// </summary>
public sealed class NetworkAdministration(TopologyCommands commands, ActorResolver actors)
{
    public const string ImportAction = TopologyCommands.ImportAction;
    public const string DryRunAction = TopologyCommands.DryRunAction;
    public const string RefusedAction = TopologyCommands.RefusedAction;
    public const string InvalidAction = TopologyCommands.InvalidAction;
    public const string RollbackAction = TopologyCommands.RollbackAction;
    public const string RollbackRefusedAction = TopologyCommands.RollbackRefusedAction;

    /// <summary>The error of an action the user's role or session does not allow.</summary>
    public const string NotAllowed = CommandGuard.RoleRefused;

    /// <summary>Puts the previous network back in force (see <see cref="TopologyCommands.RollBackAsync"/>).</summary>
    public Task<CommandResult<TopologyImportResult>> RollBackAsync(ClaimsPrincipal user, string? remoteAddress, CancellationToken cancellationToken = default) =>
        commands.RollBackAsync(actors.Of(user, remoteAddress), cancellationToken);

    /// <summary>The networks kept, for the admin page; null when the user may not see them.</summary>
    public NetworkStatus? Status(ClaimsPrincipal user, string? remoteAddress)
    {
        var result = commands.Status(actors.Of(user, remoteAddress));
        return result.Value is { } s ? new NetworkStatus(Row(s.InForce), s.Meters, Row(s.Previous)) : null;
    }

    private static StoredNetworkRow? Row(StoredNetworkInfo? info) =>
        info is null ? null : new StoredNetworkRow(info.Source, info.Features, new DateTimeOffset(info.SavedAt.ToUniversalTime(), TimeSpan.Zero));
}

/// <summary>The network administration as one page session sees it: the shared service, with the session's remote address.</summary>
public sealed class CircuitNetworkAdministration(NetworkAdministration administration, CircuitRemoteAddress remote) : INetworkAdministration
{
    public Task<NetworkStatus?> StatusAsync(ClaimsPrincipal user) => Task.FromResult(administration.Status(user, remote.Value));

    public async Task<AdminResult> RollBackAsync(ClaimsPrincipal user)
    {
        var result = await administration.RollBackAsync(user, remote.Value).ConfigureAwait(false);
        return result.Succeeded ? AdminResult.Ok : AdminResult.Fail(result.Error ?? "The roll-back failed.");
    }
}
