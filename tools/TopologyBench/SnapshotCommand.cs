using System.Diagnostics;
using OpsConsole.Gis.Snapshot;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Tools.TopologyBench;

/// <summary>
/// <c>snapshot</c>: what a restart pays for the network, stage by stage, in process — writing the compact snapshot
/// (first import), reading it back into features, building the index, and the managed memory the loaded network
/// keeps. Explains the "network" part of the server's restart; the restart itself is measured by <c>server</c>.
/// </summary>
internal static class SnapshotCommand
{
    public static async Task<int> RunAsync(BenchOptions options)
    {
        int meters = options.Int("meters", 1_000_000);
        int runs = options.Int("runs", 3);
        string sourcePath = options.String("source") ?? SourceNetwork.DefaultPath();
        options.RejectUnknown();

        var source = await SourceNetwork.ReadValidAsync(sourcePath);
        var replicator = new NetworkReplicator(source, meters);
        Console.WriteLine($"network   {replicator.FeatureCount:N0} features, {replicator.MeterCount:N0} meters; {Environment.ProcessorCount} cores, load {LoadAverage()}");

        byte[] snapshot;
        {
            var features = replicator.Materialize();
            long t = Stopwatch.GetTimestamp();
            snapshot = NetworkSnapshot.Write(features);
            Console.WriteLine($"write     {Stopwatch.GetElapsedTime(t).TotalSeconds:F2} s, {snapshot.Length / 1e6:F1} MB ({snapshot.Length / (double)replicator.MeterCount:F0} B per meter)");
        }

        Measure.CollectEverything();
        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        var load = new List<double>();
        NetworkTopology topology = NetworkTopology.Empty;
        for (int run = 0; run < runs; run++)
        {
            topology = NetworkTopology.Empty;
            Measure.CollectEverything();
            var gcBefore = GC.GetTotalPauseDuration();
            long t = Stopwatch.GetTimestamp();
            var features = NetworkSnapshot.Read(snapshot);
            double read = Stopwatch.GetElapsedTime(t).TotalSeconds;
            topology = NetworkTopology.Build(features, keepExtraProperties: false);
            double s = Stopwatch.GetElapsedTime(t).TotalSeconds;
            load.Add(s);
            Console.WriteLine($"load {run + 1}    {s:F2} s: decode {read:F2} s, build {s - read:F2} s (GC pauses {(GC.GetTotalPauseDuration() - gcBefore).TotalSeconds:F2} s, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC)");
        }

        Measure.CollectEverything();
        long kept = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        var sample = new Sample(load);
        Console.WriteLine($"load      median {sample.Median:F2} s, worst {sample.Max:F2} s of {runs}");
        Console.WriteLine($"kept      {kept / 1e9:F2} GB managed ({kept / (double)topology.MeterCount:F0} B per meter, {kept / (double)replicator.FeatureCount:F0} B per feature)");
        GC.KeepAlive(topology);
        GC.KeepAlive(snapshot);
        return 0;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
}
