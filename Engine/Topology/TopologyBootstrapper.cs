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
    ILogger<TopologyBootstrapper> logger,
    ValidatedNetworkFile? validated = null) : IHostedService
{
    /// <summary>The demo network shipped next to the binaries (ckt24, see networks/ckt24.LICENSE.txt).</summary>
    public static string BundledNetworkPath => Path.Combine(AppContext.BaseDirectory, "networks", "ckt24.geojson");

    /// <summary>The file a first start imports: <c>Topology:File</c>, or the bundled demo network when it is empty.</summary>
    public static string ConfiguredPath(TopologyOptions options) =>
        string.IsNullOrWhiteSpace(options.File) ? BundledNetworkPath : OptionPaths.Resolve(options.File);

    /// <summary>How messages name the file: the key and its value.</summary>
    public static string ConfiguredKey(TopologyOptions options) =>
        string.IsNullOrWhiteSpace(options.File) ? "Topology:File (bundled demo network)" : $"Topology:File = '{options.File}'";

    /// <summary>
    /// Reads and validates the file a first start would import, without storing anything; throws
    /// <see cref="TopologyLoadException"/> naming the key when it is missing or invalid.
    /// </summary>
    public static async Task<TopologyImport> ReadConfiguredAsync(TopologyOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var path = ConfiguredPath(options);
        var key = ConfiguredKey(options);
        if (!File.Exists(path))
        {
            throw new TopologyLoadException($"{key}: no such file ({path})");
        }

        // First start: a million-meter file takes minutes; say how far it is.
        var phase = System.Diagnostics.Stopwatch.GetTimestamp();
        TopologyImport import;
        string fileName = Path.GetFileName(path);
        await using (var file = new ProgressStream(File.OpenRead(path), (read, total) => LogReading(logger, fileName, read >> 20, total >> 20)))
        {
            import = await TopologyGeoJsonReader.ReadAsync(file, cancellationToken).ConfigureAwait(false);
        }

        int errors = import.Errors.Count();
        double readMs = Ms(phase);
        LogValidated(logger, import.Features.Count, errors, readMs);
        if (!import.IsValid)
        {
            throw new TopologyLoadException($"{key}: the network file is invalid ({errors} errors); nothing was stored", [.. import.Errors]);
        }

        return import;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var stored = await store.LoadNetworkAsync(cancellationToken).ConfigureAwait(false);
        bool parsedGeoJson = stored is null || stored.Import is not null;
        string source;
        NetworkTopology topology;
        if (stored is not null)
        {
            if (stored.SnapshotProblem is { } problem)
            {
                LogSnapshotUnusable(logger, problem);
            }

            if (stored.Topology is null)
            {
                throw new TopologyLoadException($"the network stored in {nameof(Storage)}:Path is invalid", [.. stored.Import?.Errors ?? []]);
            }

            foreach (var warning in stored.Import?.Findings ?? [])
            {
                LogFinding(logger, warning.ToString());
            }

            topology = stored.Topology;
            source = (store.StoredSource() ?? "store") + (stored.SnapshotProblem is null ? " (snapshot)" : " (stored GeoJSON)");
            LogStoreRead(logger, stored.SnapshotFile ?? "the store", stored.ReadTime.TotalMilliseconds, stored.BuildTime.TotalMilliseconds);
        }
        else
        {
            var path = ConfiguredPath(options.Value);
            string fileName = Path.GetFileName(path);
            // Read ahead by the host's pre-flight check (ConsoleHost) when it ran; otherwise here.
            var import = validated?.Take(path) ?? await ReadConfiguredAsync(options.Value, logger, cancellationToken).ConfigureAwait(false);

            foreach (var warning in import.Findings)
            {
                LogFinding(logger, warning.ToString());
            }

            var phase = System.Diagnostics.Stopwatch.GetTimestamp();
            store.Save(import.Features, fileName);
            double storeMs = Ms(phase);
            LogStored(logger, import.Features.Count, storeMs);
            source = path;

            // A lean index in memory; extra properties stay in the store (TopologyStore.FeatureJson).
            topology = NetworkTopology.Build(import.Features, keepExtraProperties: false);
        }

        state.Replace(topology);
        stored = null;
        if (parsedGeoJson)
        {
            GiveBackImportMemory();
        }

        var elapsedMs = Ms(started);
        int substations = topology.CountOf(ElementKind.Substation), feeders = topology.CountOf(ElementKind.Feeder);
        int devices = topology.CountOf(ElementKind.Device), transformers = topology.CountOf(ElementKind.Transformer);
        LogLoaded(logger, source, substations, feeders, devices, transformers, topology.MeterCount, elapsedMs);
    }

    /// <summary>
    /// After reading GeoJSON (a first import, or a store without a usable snapshot) the features with all their extras
    /// are garbage: several GB on a million-meter network, which the runtime would keep as resident memory while the
    /// server idles (6.2 GB after a first start). One compacting collection that returns the freed memory to the system;
    /// a restart from the snapshot has no such garbage and skips it.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void GiveBackImportMemory()
    {
        long before = Environment.WorkingSet;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        long after = Environment.WorkingSet;
        double elapsedMs = Ms(started);
        LogMemoryGivenBack(logger, before / 1048576, after / 1048576, elapsedMs);
    }

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Memory of the network import given back: working set {BeforeMiB} MiB -> {AfterMiB} MiB in {ElapsedMs:F0} ms")]
    private static partial void LogMemoryGivenBack(ILogger logger, long beforeMiB, long afterMiB, double elapsedMs);

    private static double Ms(long since) => System.Diagnostics.Stopwatch.GetElapsedTime(since).TotalMilliseconds;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information,
        Message = "Network loaded from {Source}: {Substations} substations, {Feeders} feeders, {Devices} devices, {Transformers} transformers, {Meters} meters in {ElapsedMs:F0} ms")]
    private static partial void LogLoaded(ILogger logger, string source, int substations, int feeders, int devices, int transformers, int meters, double elapsedMs);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Network snapshot not used ({Problem}): loading the stored GeoJSON instead, and writing the snapshot again")]
    private static partial void LogSnapshotUnusable(ILogger logger, string problem);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Network file {File}: {ReadMiB} of {TotalMiB} MiB read and validated")]
    private static partial void LogReading(ILogger logger, string file, long readMiB, long totalMiB);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Network file read and validated: {Features} features, {Errors} errors in {ElapsedMs:F0} ms")]
    private static partial void LogValidated(ILogger logger, int features, int errors, double elapsedMs);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Network stored: {Features} features and their snapshot in {ElapsedMs:F0} ms")]
    private static partial void LogStored(ILogger logger, int features, double elapsedMs);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Network read from {From} in {ReadMs:F0} ms, decoded and indexed in {BuildMs:F0} ms")]
    private static partial void LogStoreRead(ILogger logger, string from, double readMs, double buildMs);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Network: {Finding}")]
    private static partial void LogFinding(ILogger logger, string finding);
}
