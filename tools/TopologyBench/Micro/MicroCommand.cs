using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace OpsConsole.Tools.TopologyBench.Micro;

/// <summary>
/// <c>micro</c>: the look-ups again under BenchmarkDotNet, for a second opinion on the ns-level
/// figures of <c>run</c>. <c>--meters</c> is ours; every other argument goes to BenchmarkSwitcher.
/// </summary>
internal static class MicroCommand
{
    /// <summary>Size of the replicated network, read by <see cref="LookupBenchmarks.Networks"/> in the host process.</summary>
    public static int Meters { get; private set; } = 1_000_000;

    public static int Run(string[] args)
    {
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--meters" && i + 1 < args.Length)
            {
                Meters = new BenchOptions(["--meters", args[++i]]).Int("meters", Meters);
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        if (!rest.Contains("--filter"))
        {
            rest.AddRange(["--filter", "*"]);
        }

        // In process: no generated project to build (this csproj and its assembly have different
        // names, and the repository's build policy would apply to it), and a network built once
        // serves every benchmark of that size. "--outOfProcess" opts out.
        if (!rest.Remove("--outOfProcess") && !rest.Contains("--inProcess") && !rest.Contains("-i"))
        {
            rest.Add("--inProcess");
        }

        if (!rest.Contains("--artifacts"))
        {
            rest.AddRange(["--artifacts", Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts")]);
        }

        var summaries = BenchmarkSwitcher.FromTypes([typeof(LookupBenchmarks)]).Run([.. rest], DefaultConfig.Instance);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
