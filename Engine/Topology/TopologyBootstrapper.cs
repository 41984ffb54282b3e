using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Storage;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Topology;

/// <summary>
/// Puts a network in force before anything else starts: the stored one, or on first start
/// (empty store) the file of <c>Topology:File</c> — the bundled demo network by default —
/// which is then stored. An invalid file stops start-up with every finding listed.
/// </summary>
public sealed partial class TopologyBootstrapper(
    ITopologyStore store,
    TopologyState state,
    IOptions<TopologyOptions> options,
    ILogger<TopologyBootstrapper> logger) : IHostedService
{
    /// <summary>The demo network shipped next to the binaries (ckt24, see networks/ckt24.LICENSE.txt).</summary>
    public static string BundledNetworkPath => Path.Combine(AppContext.BaseDirectory, "networks", "ckt24.geojson");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var stored = await store.LoadAsync(cancellationToken).ConfigureAwait(false);
        string source;
        TopologyImport import;
        if (stored is not null)
        {
            if (!stored.IsValid)
            {
                throw new TopologyLoadException($"the network stored in {nameof(Storage)}:Path is invalid", [.. stored.Errors]);
            }

            import = stored;
            source = store.StoredSource() ?? "store";
        }
        else
        {
            var configured = options.Value.File;
            var path = string.IsNullOrWhiteSpace(configured) ? BundledNetworkPath : OptionPaths.Resolve(configured);
            var key = string.IsNullOrWhiteSpace(configured) ? "Topology:File (bundled demo network)" : $"Topology:File = '{configured}'";
            if (!File.Exists(path))
            {
                throw new TopologyLoadException($"{key}: no such file ({path})");
            }

            import = await TopologyGeoJsonReader.ReadFileAsync(path, cancellationToken).ConfigureAwait(false);
            if (!import.IsValid)
            {
                throw new TopologyLoadException($"{key}: the network file is invalid ({import.Errors.Count()} errors); nothing was stored", [.. import.Errors]);
            }

            store.Save(import.Features, Path.GetFileName(path));
            source = path;
        }

        foreach (var warning in import.Findings)
        {
            LogFinding(logger, warning.ToString());
        }

        // A lean index in memory; extra properties stay in the store (TopologyStore.FeatureJson).
        var topology = NetworkTopology.Build(import.Features, keepExtraProperties: false);
        state.Replace(topology);
        var elapsedMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        int substations = topology.CountOf(ElementKind.Substation), feeders = topology.CountOf(ElementKind.Feeder);
        int devices = topology.CountOf(ElementKind.Device), transformers = topology.CountOf(ElementKind.Transformer);
        LogLoaded(logger, source, substations, feeders, devices, transformers, topology.MeterCount, elapsedMs);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information,
        Message = "Network loaded from {Source}: {Substations} substations, {Feeders} feeders, {Devices} devices, {Transformers} transformers, {Meters} meters in {ElapsedMs:F0} ms")]
    private static partial void LogLoaded(ILogger logger, string source, int substations, int feeders, int devices, int transformers, int meters, double elapsedMs);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Network: {Finding}")]
    private static partial void LogFinding(ILogger logger, string finding);
}
