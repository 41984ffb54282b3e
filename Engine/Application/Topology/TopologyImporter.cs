using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Application.Topology;

/// <summary>How an import ended.</summary>
public enum TopologyImportOutcome
{
    /// <summary>Stored, in force, outages rebuilt.</summary>
    Applied,

    /// <summary>Asked for the difference only: nothing changed.</summary>
    DryRun,

    /// <summary>It would remove more than <c>Topology:MaxRemovalFraction</c> of the meters and was not forced: nothing changed.</summary>
    Refused,

    /// <summary>The file has errors: nothing changed.</summary>
    Invalid,
}

/// <summary>The answer to an import or a roll-back.</summary>
public sealed record TopologyImportResult(
    TopologyImportOutcome Outcome,
    TopologyImport Import,
    TopologyDifference? Difference,
    NetworkTopology? Topology,
    int EventsReplayed,
    double MaxRemovalFraction);

/// <summary>
/// The one way a network is replaced while running (REST import, roll-back): one at a time, so the store
/// and the network in memory always hold the same network; compares it with the network in force first,
/// and refuses one that would remove more than <c>Topology:MaxRemovalFraction</c> of the meters unless forced.
/// </summary>
public sealed class TopologyImporter(
    ITopologyStore store,
    TopologyState state,
    CorrelationService correlation,
    IOptions<TopologyOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public double MaxRemovalFraction => options.Value.MaxRemovalFraction;

    /// <summary>Raised when an import or roll-back has to wait for another one to finish (tests observe the serialisation with it).</summary>
    public event Action? Waiting;

    /// <summary>Raised when an import has stored its network and is about to put it in force (tests hold an import there).</summary>
    public event Action? Stored;

    /// <summary>
    /// Compares <paramref name="import"/> (already read, outside the lock: a slow upload holds no one up)
    /// with the network in force, then applies it unless it is invalid, a dry run, or refused.
    /// </summary>
    public async Task<TopologyImportResult> ImportAsync(TopologyImport import, bool dryRun, bool force, string source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(import);
        double max = options.Value.MaxRemovalFraction;
        if (!import.IsValid)
        {
            return new TopologyImportResult(TopologyImportOutcome.Invalid, import, null, null, 0, max);
        }

        // Build first (it can only fail before anything is stored).
        var topology = NetworkTopology.Build(import.Features, keepExtraProperties: false);
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var difference = TopologyDifference.Between(store.StoredFeatures(), import.Features);
            if (dryRun)
            {
                return new TopologyImportResult(TopologyImportOutcome.DryRun, import, difference, topology, 0, max);
            }

            if (!force && difference.MeterRemovalFraction > max)
            {
                return new TopologyImportResult(TopologyImportOutcome.Refused, import, difference, topology, 0, max);
            }

            // Past this point the request's cancellation no longer applies: store, memory and outages move together.
            store.Save(import.Features, source);
            Stored?.Invoke();
            state.Replace(topology);
            int replayed = await correlation.RebuildAsync(CancellationToken.None).ConfigureAwait(false);
            return new TopologyImportResult(TopologyImportOutcome.Applied, import, difference, topology, replayed, max);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Puts the previous network back in force (store, memory, outages); null when none is kept.</summary>
    public async Task<TopologyImportResult?> RollBackAsync(CancellationToken cancellationToken = default)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var previous = await store.LoadPreviousAsync(cancellationToken).ConfigureAwait(false);
            if (previous is null)
            {
                return null;
            }

            if (!previous.IsValid)
            {
                return new TopologyImportResult(TopologyImportOutcome.Invalid, previous, null, null, 0, options.Value.MaxRemovalFraction);
            }

            var topology = NetworkTopology.Build(previous.Features, keepExtraProperties: false);
            var difference = TopologyDifference.Between(store.StoredFeatures(), previous.Features);
            store.RollBack();
            state.Replace(topology);
            int replayed = await correlation.RebuildAsync(CancellationToken.None).ConfigureAwait(false);
            return new TopologyImportResult(TopologyImportOutcome.Applied, previous, difference, topology, replayed, options.Value.MaxRemovalFraction);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task EnterAsync(CancellationToken cancellationToken)
    {
        if (!_gate.Wait(0, CancellationToken.None))
        {
            Waiting?.Invoke();
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _gate.Dispose();
}
