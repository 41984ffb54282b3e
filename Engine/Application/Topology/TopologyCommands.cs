using System.Globalization;
using Microsoft.Extensions.Logging;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.GeoJson;

namespace OpsConsole.Engine.Application.Topology;

/// <summary>
/// Network imports and roll-backs, for the REST API, the admin page and jobs alike: admin only (checked here, the
/// refusal audited as <c>admin-refused</c>), and every outcome — applied, dry run, refused, invalid, rolled back —
/// audited once with its difference and the actor, and logged.
/// </summary>
public sealed partial class TopologyCommands(
    TopologyImporter importer,
    ITopologyStore store,
    TopologyState state,
    CommandGuard guard,
    IAuditTrail audit,
    ILogger<TopologyCommands> logger)
{
    public const string ImportAction = "topology-import";
    public const string DryRunAction = "topology-import-dry-run";
    public const string RefusedAction = "topology-import-refused";
    public const string InvalidAction = "topology-import-invalid";
    public const string RollbackAction = "topology-rollback";
    public const string RollbackRefusedAction = "topology-rollback-refused";
    public const string AdminRefusedAction = "admin-refused";

    public const string ImportWhat = "import the network";

    /// <summary>
    /// Null when <paramref name="actor"/> may import a network; else the refusal, audited. A front door that must read
    /// a large body first asks this before reading it; <see cref="ImportAsync"/> checks again (a passing check audits nothing).
    /// </summary>
    public CommandResult<TopologyImportResult>? RefuseImport(Actor actor) =>
        guard.Refuse<TopologyImportResult>(actor, ActorRole.Admin, AdminRefusedAction, ImportWhat);

    /// <summary>
    /// Imports <paramref name="import"/> (see <see cref="TopologyImporter.ImportAsync"/>). The value says what happened
    /// (<see cref="TopologyImportResult.Outcome"/>: applied, dry run, refused by the removal limit, invalid); the status is
    /// <see cref="CommandStatus.Done"/> for each of those, and a refusal of the caller only otherwise.
    /// </summary>
    public async Task<CommandResult<TopologyImportResult>> ImportAsync(Actor actor, TopologyImport import, bool dryRun, bool force, string source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(import);
        if (RefuseImport(actor) is { } refused)
        {
            return refused;
        }

        var result = await importer.ImportAsync(import, dryRun, force, source, cancellationToken).ConfigureAwait(false);
        string features = string.Create(CultureInfo.InvariantCulture, $"{import.Features.Count} features");
        switch (result.Outcome)
        {
            case TopologyImportOutcome.Invalid:
                string first = import.Errors.FirstOrDefault()?.ToString() ?? "";
                Record(actor, InvalidAction, string.Create(CultureInfo.InvariantCulture, $"{features}, {import.Errors.Count()} errors, first: {first}; nothing changed"));
                break;
            case TopologyImportOutcome.DryRun:
                Record(actor, DryRunAction, $"{features}; {result.Difference!.Describe()}; nothing changed");
                break;
            case TopologyImportOutcome.Refused:
                string why = string.Create(CultureInfo.InvariantCulture,
                    $"{features}; {result.Difference!.Describe()}; more than Topology:MaxRemovalFraction = {result.MaxRemovalFraction} of the meters, not forced; nothing changed");
                audit.Write(actor.Name, RefusedAction, actor.RemoteAddress, why);
                LogRefused(logger, actor.Name, why);
                break;
            default:
                Record(actor, ImportAction, string.Create(CultureInfo.InvariantCulture, $"{features}; {result.Difference!.Describe()}{(force ? "; forced" : "")}"));
                break;
        }

        return CommandResult.Done<TopologyImportResult>(result);
    }

    /// <summary>Puts the previous network back in force: <see cref="CommandStatus.Conflict"/> when there is none (or it is invalid). Audited either way.</summary>
    public async Task<CommandResult<TopologyImportResult>> RollBackAsync(Actor actor, CancellationToken cancellationToken = default)
    {
        if (guard.Refuse<TopologyImportResult>(actor, ActorRole.Admin, AdminRefusedAction, "roll back the network") is { } refused)
        {
            return refused;
        }

        var result = await importer.RollBackAsync(cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            audit.Write(actor.Name, RollbackRefusedAction, actor.RemoteAddress, "no previous network is kept");
            return CommandResult.Fail<TopologyImportResult>(CommandStatus.Conflict, "There is no previous network to roll back to.");
        }

        if (result.Outcome == TopologyImportOutcome.Invalid)
        {
            string why = $"the previous network stored is invalid: {result.Import.Errors.FirstOrDefault()}";
            audit.Write(actor.Name, RollbackRefusedAction, actor.RemoteAddress, why);
            return CommandResult.Fail<TopologyImportResult>(CommandStatus.Conflict, why);
        }

        Record(actor, RollbackAction, string.Create(CultureInfo.InvariantCulture,
            $"to {store.StoredSource()} ({result.Import.Features.Count} features); {result.Difference!.Describe()}"));
        return CommandResult.Done<TopologyImportResult>(result);
    }

    /// <summary>The networks kept (admin only: refused and audited otherwise).</summary>
    public CommandResult<NetworkStatusView> Status(Actor actor)
    {
        if (guard.Refuse<NetworkStatusView>(actor, ActorRole.Admin, AdminRefusedAction, "view the network status") is { } refused)
        {
            return refused;
        }

        return CommandResult.Done<NetworkStatusView>(new NetworkStatusView(store.Current, state.Current.MeterCount, store.Previous));
    }

    private void Record(Actor actor, string action, string detail)
    {
        audit.Write(actor.Name, action, actor.RemoteAddress, detail);
        LogImport(logger, actor.Name, action, detail);
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Network {Action} by {Actor}: {Detail}")]
    private static partial void LogImport(ILogger logger, string actor, string action, string detail);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Network import by {Actor} refused: {Detail}")]
    private static partial void LogRefused(ILogger logger, string actor, string detail);
}

/// <summary>The network in force (its stored record and meter count) and the one kept before it.</summary>
public sealed record NetworkStatusView(StoredNetworkInfo? InForce, int Meters, StoredNetworkInfo? Previous);
