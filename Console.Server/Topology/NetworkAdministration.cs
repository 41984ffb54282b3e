using System.Globalization;
using System.Security.Claims;
using OpsConsole.Console.Client.Admin;
using OpsConsole.Console.Server.Security;
using OpsConsole.Console.Server.Security.Circuits;
using OpsConsole.Console.Server.Security.Sessions;
using OpsConsole.Console.Server.Security.Users;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.GeoJson;

namespace OpsConsole.Console.Server.Topology;

/// <summary>
/// Network imports and roll-backs as the REST API and the admin page do them: one code path, so every one
/// (applied, dry run, refused, invalid) is audited once with its difference and the actor, and logged.
/// The actor is the user's name for a cookie session, <c>api-key:&lt;role&gt;:&lt;4 hex&gt;</c> for a machine client.
/// </summary>
public sealed partial class NetworkAdministration(
    TopologyImporter importer,
    ITopologyStore store,
    TopologyState state,
    AuditLog audit,
    SessionStamps sessions,
    ILogger<NetworkAdministration> logger)
{
    public const string ImportAction = "topology-import";
    public const string DryRunAction = "topology-import-dry-run";
    public const string RefusedAction = "topology-import-refused";
    public const string InvalidAction = "topology-import-invalid";
    public const string RollbackAction = "topology-rollback";
    public const string RollbackRefusedAction = "topology-rollback-refused";

    /// <summary>The error of a roll-back the user's role or session does not allow.</summary>
    public const string NotAllowed = "Your role does not allow this action.";

    /// <summary>Imports <paramref name="import"/> (see <see cref="TopologyImporter.ImportAsync"/>), then audits and logs the outcome.</summary>
    public async Task<TopologyImportResult> ImportAsync(ClaimsPrincipal user, TopologyImport import, bool dryRun, bool force, string? remoteAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(import);
        string actor = ActorOf(user);
        const string source = "POST /api/topology";
        var result = await importer.ImportAsync(import, dryRun, force, source, cancellationToken).ConfigureAwait(false);
        string features = string.Create(CultureInfo.InvariantCulture, $"{import.Features.Count} features");
        switch (result.Outcome)
        {
            case TopologyImportOutcome.Invalid:
                string first = import.Errors.FirstOrDefault()?.ToString() ?? "";
                string invalid = string.Create(CultureInfo.InvariantCulture, $"{features}, {import.Errors.Count()} errors, first: {first}; nothing changed");
                audit.Write(actor, InvalidAction, remoteAddress, invalid);
                LogImport(logger, actor, InvalidAction, invalid);
                break;
            case TopologyImportOutcome.DryRun:
                string dry = $"{features}; {result.Difference!.Describe()}; nothing changed";
                audit.Write(actor, DryRunAction, remoteAddress, dry);
                LogImport(logger, actor, DryRunAction, dry);
                break;
            case TopologyImportOutcome.Refused:
                string refused = string.Create(CultureInfo.InvariantCulture,
                    $"{features}; {result.Difference!.Describe()}; more than Topology:MaxRemovalFraction = {result.MaxRemovalFraction} of the meters, not forced; nothing changed");
                audit.Write(actor, RefusedAction, remoteAddress, refused);
                LogRefused(logger, actor, refused);
                break;
            default:
                string applied = string.Create(CultureInfo.InvariantCulture, $"{features}; {result.Difference!.Describe()}{(force ? "; forced" : "")}");
                audit.Write(actor, ImportAction, remoteAddress, applied);
                LogImport(logger, actor, ImportAction, applied);
                break;
        }

        return result;
    }

    /// <summary>
    /// Puts the previous network back in force: null with <paramref name="error"/> when the user may not, or there is none.
    /// Audited either way.
    /// </summary>
    public async Task<(TopologyImportResult? Result, string? Error)> RollBackAsync(ClaimsPrincipal user, string? remoteAddress, CancellationToken cancellationToken = default)
    {
        if (!IsAdmin(user, remoteAddress, "roll back the network", out string actor))
        {
            return (null, NotAllowed);
        }

        var result = await importer.RollBackAsync(cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            audit.Write(actor, RollbackRefusedAction, remoteAddress, "no previous network is kept");
            return (null, "There is no previous network to roll back to.");
        }

        if (result.Outcome == TopologyImportOutcome.Invalid)
        {
            string why = $"the previous network stored is invalid: {result.Import.Errors.FirstOrDefault()}";
            audit.Write(actor, RollbackRefusedAction, remoteAddress, why);
            return (null, why);
        }

        string detail = string.Create(CultureInfo.InvariantCulture, $"to {store.StoredSource()} ({result.Import.Features.Count} features); {result.Difference!.Describe()}");
        audit.Write(actor, RollbackAction, remoteAddress, detail);
        LogImport(logger, actor, RollbackAction, detail);
        return (result, null);
    }

    /// <summary>The networks kept, for the admin page; null when the user may not see them.</summary>
    public NetworkStatus? Status(ClaimsPrincipal user, string? remoteAddress)
    {
        if (!IsAdmin(user, remoteAddress, "view the network status", out _))
        {
            return null;
        }

        var net = state.Current;
        return new NetworkStatus(Row(store.Current), net.MeterCount, Row(store.Previous));
    }

    private static StoredNetworkRow? Row(StoredNetworkInfo? info) =>
        info is null ? null : new StoredNetworkRow(info.Source, info.Features, new DateTimeOffset(info.SavedAt.ToUniversalTime(), TimeSpan.Zero));

    /// <summary>The actor name the API already uses (ApiKeyAuthenticationHandler.ActorName for a key).</summary>
    public static string ActorOf(ClaimsPrincipal user) =>
        user?.Identity is { IsAuthenticated: true, Name: { Length: > 0 } name } ? name : "anonymous";

    /// <summary>An admin whose session is current, or audits the refusal.</summary>
    private bool IsAdmin(ClaimsPrincipal user, string? remoteAddress, string what, out string name)
    {
        name = user.Identity?.IsAuthenticated == true ? user.Identity.Name ?? "" : "";
        if (name.Length == 0 || !user.IsInRole(Roles.Admin))
        {
            audit.Write(name, "admin-refused", remoteAddress, what);
            return false;
        }

        if (sessions.WhyRevoked(user) is { } revoked)
        {
            audit.Write(name, "admin-refused", remoteAddress, $"{what}: session revoked ({revoked})");
            return false;
        }

        return true;
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Network {Action} by {Actor}: {Detail}")]
    private static partial void LogImport(ILogger logger, string actor, string action, string detail);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Network import by {Actor} refused: {Detail}")]
    private static partial void LogRefused(ILogger logger, string actor, string detail);
}

/// <summary>The network administration as one page session sees it: the shared service, with the session's remote address.</summary>
public sealed class CircuitNetworkAdministration(NetworkAdministration administration, CircuitRemoteAddress remote) : INetworkAdministration
{
    public Task<NetworkStatus?> StatusAsync(ClaimsPrincipal user) => Task.FromResult(administration.Status(user, remote.Value));

    public async Task<AdminResult> RollBackAsync(ClaimsPrincipal user)
    {
        var (result, error) = await administration.RollBackAsync(user, remote.Value).ConfigureAwait(false);
        return result is null
            ? AdminResult.Fail(error ?? "The roll-back failed.")
            : AdminResult.Ok;
    }
}
