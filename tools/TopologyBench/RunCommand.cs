using System.Diagnostics;
using System.Reflection;
using System.Runtime;
using System.Runtime.InteropServices;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Tools.TopologyBench;

/// <summary>
/// <c>run</c>: import, build, memory and look-up figures for ckt24 and for a replicated network of
/// N meters, printed as one table. Each figure is the median of repeated Stopwatch runs after warm-up.
/// </summary>
internal sealed class RunCommand
{
    private const double BuildTargetSeconds = 20;
    private const long MemoryTargetBytes = 1_500_000_000; // 1.5 GB
    private const double ChainTargetNs = 1000;

    private readonly ReportTable _table = new();
    private readonly List<string> _notes = [];
    private readonly int _meters;
    private readonly string? _file;
    private readonly string _sourcePath;
    private readonly int _runs;
    private readonly int _importRuns;
    private readonly int _smallRuns;
    private readonly bool _skipFileImport;
    private readonly bool _keepFile;
    private readonly TimeSpan _lookupRunTime;
    private readonly int _lookupRuns;

    private RunCommand(BenchOptions options)
    {
        _meters = options.Int("meters", 1_000_000);
        _file = options.String("file");
        _sourcePath = options.String("source") ?? SourceNetwork.DefaultPath();
        _runs = options.Int("runs", 5);
        _importRuns = options.Int("import-runs", 5);
        _smallRuns = options.Int("small-runs", 15);
        _lookupRuns = options.Int("lookup-runs", 7);
        _lookupRunTime = TimeSpan.FromMilliseconds(options.Int("lookup-ms", 200));
        _skipFileImport = options.Flag("no-file-import");
        _keepFile = options.Flag("keep-file");
        options.RejectUnknown();
        if (_file is not null && !File.Exists(_file))
        {
            throw new UsageException($"--file {_file}: no such file");
        }
    }

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var command = new RunCommand(options);
        await command.RunAsync();
        return 0;
    }

    private async Task RunAsync()
    {
        long started = Stopwatch.GetTimestamp();
        PrintMachine();
        var source = await SourceNetwork.ReadValidAsync(_sourcePath);
        string small = Path.GetFileNameWithoutExtension(_sourcePath);

        Progress($"{small}: import x{_smallRuns} (after 3 warm-ups), build x{_smallRuns}, look-ups");
        MeasureSmall(small, source);
        _table.Separator();

        var replicator = new NetworkReplicator(source, _meters);
        string big = MeterLabel(replicator.MeterCount);
        _notes.Add($"{big} = {replicator.Replicas:N0} replicas of {small} on a 6 km grid: {replicator.FeatureCount:N0} features, " +
                   $"{replicator.MeterCount:N0} meters, {replicator.Replicas:N0} substations");

        // The file for (b): the one given, or the replicated network written to a temporary file.
        string? generated = _file is null && !_skipFileImport
            ? Path.Combine(Path.GetTempPath(), $"topologybench-{replicator.MeterCount}-{Environment.ProcessId}.geojson")
            : null;
        try
        {
            MeasureBig(big, replicator, generated);
            if (!_skipFileImport && (generated ?? _file) is { } importPath)
            {
                _table.Separator();
                MeasureImport(generated is null ? Path.GetFileName(importPath) : big, importPath);
            }
        }
        finally
        {
            if (generated is not null && File.Exists(generated))
            {
                if (_keepFile)
                {
                    _notes.Add($"generated file kept: {generated}");
                }
                else
                {
                    File.Delete(generated);
                }
            }
        }

        Console.WriteLine();
        Console.Write(_table.ToString());
        Console.WriteLine();
        foreach (var note in _notes)
        {
            Console.WriteLine("* " + note);
        }

        Console.WriteLine($"* load average at end: {LoadAverage()}");
        Console.WriteLine($"* total wall time {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s; checksum {Measure.Sink}");
    }

    private void MeasureSmall(string network, IReadOnlyList<TopologyFeature> features)
    {
        var read = new List<double>();
        var build = new List<double>();
        var total = new List<double>();
        NetworkTopology? topology = null;
        for (int run = -3; run < _smallRuns; run++)
        {
            var (r, b, t) = TimeImport(_sourcePath, out topology);
            if (run >= 0)
            {
                read.Add(r);
                build.Add(b);
                total.Add(t);
            }
        }

        _table.Add(network, "import: ReadFileAsync + Build", new Sample(total), "ms");
        _table.Add(network, "  of which read + validate", new Sample(read), "ms");
        _table.Add(network, "  of which NetworkTopology.Build", new Sample(build), "ms");
        _table.Add(network, "Build from in-memory features", Measure.Milliseconds(3, _smallRuns, () => NetworkTopology.Build(features)), "ms");
        MeasureLookups(network, topology!);
    }

    /// <summary>(a) and (c) over the replicated network built in memory; writes it to <paramref name="writeTo"/> when given.</summary>
    private void MeasureBig(string network, NetworkReplicator replicator, string? writeTo)
    {
        Measure.CollectEverything();
        ProcessMemory.TryResetPeak();
        long baseline = GC.GetTotalMemory(forceFullCollection: true);

        Progress($"{network}: generating {replicator.FeatureCount:N0} features in memory");
        long start = Stopwatch.GetTimestamp();
        var features = replicator.Materialize();
        _table.AddValue(network, "generate features in memory (setup)", Stopwatch.GetElapsedTime(start).TotalSeconds, "s");

        Measure.CollectEverything();
        long withFeatures = GC.GetTotalMemory(forceFullCollection: true);

        if (writeTo is not null)
        {
            Progress($"{network}: writing {writeTo}");
            var writeTime = GenerateCommand.WriteAsync(features, writeTo).GetAwaiter().GetResult();
            long size = new FileInfo(writeTo).Length;
            _table.AddValue(network, "write GeoJSON (TopologyGeoJsonWriter)", writeTime.TotalSeconds, "s");
            _notes.Add($"{network} GeoJSON file: {ReportTable.Bytes(size)}, written at {size / writeTime.TotalSeconds / (1 << 20):0} MiB/s");
        }

        // The first Build over fresh features is what an import pays: it also creates and caches an
        // Envelope on every geometry. Later Builds over the same features find those cached.
        Progress($"{network}: NetworkTopology.Build, 1 cold + {_runs} warm");
        NetworkTopology topology = NetworkTopology.Empty;
        var seconds = new List<double>();
        var gcSeconds = new List<double>();
        for (int run = -1; run < _runs; run++)
        {
            topology = NetworkTopology.Empty; // the previous snapshot is garbage before the next build
            Measure.CollectEverything();
            var gcBefore = GC.GetTotalPauseDuration();
            long buildStart = Stopwatch.GetTimestamp();
            // As the server keeps it: a lean index; extra properties stay in the store.
            topology = NetworkTopology.Build(features, keepExtraProperties: false);
            double s = Stopwatch.GetElapsedTime(buildStart).TotalSeconds;
            double gc = (GC.GetTotalPauseDuration() - gcBefore).TotalSeconds;
            if (run < 0)
            {
                _table.AddValue(network, "(a) Build, first over fresh features", s, "s",
                    target: $"< {BuildTargetSeconds} s", met: s < BuildTargetSeconds);
                _table.AddValue(network, "  of which GC pauses", gc, "s");
            }
            else
            {
                seconds.Add(s);
                gcSeconds.Add(gc);
            }
        }

        var warm = new Sample(seconds);
        _table.Add(network, "(a) Build, repeated over the same features", warm, "s",
            target: $"< {BuildTargetSeconds} s", met: warm.Median < BuildTargetSeconds);
        _table.Add(network, "  of which GC pauses", new Sample(gcSeconds), "s");

        Measure.CollectEverything();
        long withBoth = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(features);
        features = null!;
        Measure.CollectEverything();
        long withSnapshot = GC.GetTotalMemory(forceFullCollection: true);
        long peak = ProcessMemory.PeakWorkingSet;
        GC.KeepAlive(topology);

        long retained = withSnapshot - baseline;
        long featureBytes = withFeatures - baseline;
        long indexBytes = withBoth - withFeatures;
        _table.AddValue(network, "(c) managed memory retained by lean snapshot", retained / 1e9, "GB",
            target: "< 1.5 GB", met: retained < MemoryTargetBytes);
        _table.AddValue(network, "  input features with extras (not retained)", featureBytes / 1e9, "GB");
        _table.AddValue(network, "  input features + snapshot during build", (withBoth - baseline) / 1e9, "GB");
        _table.AddValue(network, "  per meter (retained / meters)", retained / (double)replicator.MeterCount, "B");
        _table.AddValue(network, "  per feature (retained / features)", retained / (double)replicator.FeatureCount, "B");
        GC.KeepAlive(indexBytes);
        if (peak > 0)
        {
            _table.AddValue(network, "peak working set (VmHWM): generate + build", peak / 1e9, "GB");
        }

        MeasureLookups(network, topology);
        GC.KeepAlive(topology);
    }

    private void MeasureImport(string network, string path)
    {
        Measure.CollectEverything();
        ProcessMemory.TryResetPeak();
        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        long fileSize = new FileInfo(path).Length;
        Progress($"{network}: full import of {path} ({ReportTable.Bytes(fileSize)}) x{_importRuns}; code already warm from the small network");
        var read = new List<double>();
        var build = new List<double>();
        var total = new List<double>();
        var gcSeconds = new List<double>();
        NetworkTopology? topology = null;
        for (int run = 0; run < _importRuns; run++)
        {
            topology = null;
            Measure.CollectEverything();
            var gcBefore = GC.GetTotalPauseDuration();
            long start = Stopwatch.GetTimestamp();
            try
            {
                var (r, b, t) = TimeImport(path, out topology);
                read.Add(r / 1000);
                build.Add(b / 1000);
                total.Add(t / 1000);
                gcSeconds.Add((GC.GetTotalPauseDuration() - gcBefore).TotalSeconds);
                Progress($"  run {run + 1}: {t / 1000:0.0} s");
            }
#pragma warning disable CA1031 // A failed import is a figure to report, not a reason to lose the table.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                double ranFor = Stopwatch.GetElapsedTime(start).TotalSeconds;
                Progress($"  run {run + 1} failed after {ranFor:0.0} s: {ex.GetType().Name}");
                _table.AddFailed(network, "(b) import: ReadFileAsync + Build", ranFor, "s");
                var where = ex.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("OpsConsole.Gis", StringComparison.Ordinal))?.Trim();
                _notes.Add($"{network} import FAILED on run {run + 1} after {ranFor:0.0} s ({ReportTable.Bytes(fileSize)} file): " +
                           $"{ex.GetType().FullName}: {ex.Message.ReplaceLineEndings(" ")}" + (where is null ? "" : $" [{where}]"));
                break;
            }
        }

        long peak = ProcessMemory.PeakWorkingSet;
        if (total.Count > 0)
        {
            Measure.CollectEverything();
            long retained = GC.GetTotalMemory(forceFullCollection: true) - baseline;
            var totalSample = new Sample(total);
            _table.Add(network, "(b) import: ReadFileAsync + Build", totalSample, "s");
            _table.Add(network, "  of which read + validate", new Sample(read), "s");
            _table.Add(network, "  of which NetworkTopology.Build", new Sample(build), "s");
            _table.Add(network, "  of which GC pauses", new Sample(gcSeconds), "s");
            _table.AddValue(network, "managed memory retained after import", retained / 1e9, "GB",
                target: "< 1.5 GB", met: retained < MemoryTargetBytes);
            _notes.Add($"{network} import reads {ReportTable.Bytes(fileSize)} at {fileSize / totalSample.Median / (1 << 20):0} MiB/s (median)");
        }

        if (peak > 0)
        {
            _table.AddValue(network, "peak working set (VmHWM): import", peak / 1e9, "GB");
        }

        GC.KeepAlive(topology);
    }

    /// <summary>One full import: read + validate, then build. Milliseconds of each part and of the whole.</summary>
    private static (double Read, double Build, double Total) TimeImport(string path, out NetworkTopology topology)
    {
        long start = Stopwatch.GetTimestamp();
        var import = TopologyGeoJsonReader.ReadFileAsync(path).GetAwaiter().GetResult();
        double read = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        SourceNetwork.ThrowIfInvalid(import, path);
        long buildStart = Stopwatch.GetTimestamp();
        topology = NetworkTopology.Build(import.Features, keepExtraProperties: false);
        double build = Stopwatch.GetElapsedTime(buildStart).TotalMilliseconds;
        return (read, build, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    private void MeasureLookups(string network, NetworkTopology topology)
    {
        Progress($"{network}: look-ups, {_lookupRuns} runs of ~{_lookupRunTime.TotalMilliseconds:0} ms each");
        var w = new LookupWorkload(topology);
        Sample Time(Func<int, long> body) => Measure.NanosecondsPerOp(body, _lookupRuns, _lookupRunTime);

        var chain = Time(w.UpstreamChain);
        _table.AddLookup(network, $"Upstream(meter) chain to root ({w.MeanUpstreamHops:0.0} hops)", chain,
            target: "< 1 µs/chain", met: chain.Median < ChainTargetNs);
        _table.AddLookup(network, "MeterCountBelow(random element)", Time(w.MeterCountBelow));
        _table.AddLookup(network, "MetersBelow(random element), span summed", Time(w.MetersBelow));
        _table.AddLookup(network, "TryGetMeter(Guid)", Time(w.TryGetMeterByGuid));
        _table.AddLookup(network, "TryGetMeterBySystemTitle(ulong)", Time(w.TryGetMeterBySystemTitle));
        _table.AddLookup(network, "TryGetElement(string id)", Time(w.TryGetElementById));
        _table.AddLookup(network, "NearestTransformers(k = 5)", Time(w.NearestTransformers));
    }

    private static string MeterLabel(int meters) => meters switch
    {
        >= 1_000_000 => $"{meters / 1e6:0.##}M",
        >= 1_000 => $"{meters / 1e3:0.#}k",
        _ => meters.ToString(System.Globalization.CultureInfo.InvariantCulture),
    } + " meters";

    private static void Progress(string message) =>
        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

    private static void PrintMachine()
    {
        bool debug = IsDebug(typeof(RunCommand).Assembly) || IsDebug(typeof(NetworkTopology).Assembly);
        Console.WriteLine($"TopologyBench: OpsConsole.Gis topology figures ({(debug ? "DEBUG BUILD, figures are meaningless" : "Release")})");
        Console.WriteLine($"{RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}");
        Console.WriteLine($"{CpuModel()}, {Environment.ProcessorCount} logical cores, " +
                          $"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1e9:0.0} GB available to the GC, " +
                          $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC ({GCSettings.LatencyMode})");
        Console.WriteLine($"Load average at start: {LoadAverage()} (anything above {Environment.ProcessorCount} means other work shared the cores)");
        Console.WriteLine("Each figure: median (min, max) of repeated Stopwatch runs after warm-up; look-ups are ns per call over random pre-picked inputs.");
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) + " (1 / 5 / 15 min)";
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    private static bool IsDebug(Assembly assembly) =>
        assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true;

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}
