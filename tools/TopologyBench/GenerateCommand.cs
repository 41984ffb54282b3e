using System.Diagnostics;
using OpsConsole.Gis.GeoJson;

namespace OpsConsole.Tools.TopologyBench;

/// <summary><c>generate</c>: writes a synthetic network of at least N meters as a topology GeoJSON file.</summary>
internal static class GenerateCommand
{
    public static async Task<int> RunAsync(BenchOptions options)
    {
        int meters = options.Int("meters", 1_000_000);
        var output = options.String("out") ?? throw new UsageException("generate needs --out <file>");
        var sourcePath = options.String("source") ?? SourceNetwork.DefaultPath();
        double spacingKm = options.Double("spacing-km", 6.0);
        options.RejectUnknown();

        var source = await SourceNetwork.ReadValidAsync(sourcePath);
        var replicator = new NetworkReplicator(source, meters, spacingKm);
        Console.WriteLine($"source   {sourcePath}: {source.Count:N0} features, {replicator.SourceMeters:N0} meters");
        Console.WriteLine($"network  {replicator.Replicas:N0} replicas ({spacingKm} km grid) = {replicator.FeatureCount:N0} features, {replicator.MeterCount:N0} meters");

        var time = await WriteAsync(replicator, output);
        long size = new FileInfo(output).Length;
        Console.WriteLine($"wrote    {Path.GetFullPath(output)}");
        Console.WriteLine($"time     {time.TotalSeconds:0.00} s ({size / time.TotalSeconds / (1 << 20):0.0} MiB/s)");
        Console.WriteLine($"size     {ReportTable.Bytes(size)} ({size:N0} bytes)");
        return 0;
    }

    /// <summary>Streams every replica through <see cref="TopologyGeoJsonWriter"/>: memory stays at one feature.</summary>
    public static async Task<TimeSpan> WriteAsync(NetworkReplicator replicator, string path) =>
        await WriteAsync(replicator.Features(), path);

    public static async Task<TimeSpan> WriteAsync(IEnumerable<Gis.Topology.TopologyFeature> features, string path)
    {
        long start = Stopwatch.GetTimestamp();
        await using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
        {
            await TopologyGeoJsonWriter.WriteAsync(stream, features);
        }

        return Stopwatch.GetElapsedTime(start);
    }
}
