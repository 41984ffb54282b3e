using BenchmarkDotNet.Attributes;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Tools.TopologyBench.Micro;

/// <summary>
/// Per-call cost of the snapshot look-ups. Each invocation does <see cref="Batch"/> calls over
/// random pre-picked inputs (so BenchmarkDotNet reports ns per call), on ckt24 as is
/// (<c>Meters = 0</c>) and on the replicated network.
/// </summary>
[MemoryDiagnoser]
public class LookupBenchmarks
{
    private const int Batch = 1024;

    private static readonly Dictionary<int, LookupWorkload> Workloads = [];

    private LookupWorkload _workload = null!;

    public static IEnumerable<int> Networks => [0, MicroCommand.Meters];

    [ParamsSource(nameof(Networks))]
    public int Meters { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (!Workloads.TryGetValue(Meters, out var workload))
        {
            var source = SourceNetwork.ReadValidAsync(SourceNetwork.DefaultPath()).GetAwaiter().GetResult();
            var features = Meters == 0 ? source : new NetworkReplicator(source, Meters).Materialize();
            workload = new LookupWorkload(NetworkTopology.Build(features));
            Workloads[Meters] = workload;
        }

        _workload = workload;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public long UpstreamChain() => _workload.UpstreamChain(Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public long MeterCountBelow() => _workload.MeterCountBelow(Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public long MetersBelow() => _workload.MetersBelow(Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public long TryGetMeterByGuid() => _workload.TryGetMeterByGuid(Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public long TryGetMeterBySystemTitle() => _workload.TryGetMeterBySystemTitle(Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public long TryGetElementById() => _workload.TryGetElementById(Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public long NearestTransformers() => _workload.NearestTransformers(Batch);
}
