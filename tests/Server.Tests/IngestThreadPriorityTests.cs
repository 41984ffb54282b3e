using System.Globalization;
using OpsConsole.Engine.Ingest;

namespace OpsConsole.Server.Tests;

/// <summary>
/// In a storm the receive threads must get the cores before the indexer (storing for queries may wait; a datagram the
/// kernel's buffer cannot hold is lost): the indexer runs on a thread of its own at a higher nice value.
/// </summary>
public sealed class IngestThreadPriorityTests
{
    [Fact]
    public async Task TheIndexer_RunsAtALowerPriority_ThanTheReceiveThreadsAndTheJournal()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // nice values are Linux's; elsewhere the indexer keeps the process's priority
        }

        await using var host = await RunningHost.StartAsync();
        var ingest = host.Get<UdpIngestService>();
        Assert.True(ingest.IsListening);

        var threads = Threads();
        var indexer = Assert.Single(threads, t => t.Name == "hes-indexer");
        var receivers = threads.Where(t => t.Name.StartsWith("hes-receive", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(receivers);
        var journal = Assert.Single(threads, t => t.Name == "hes-journal");

        int process = Nice(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(process + EventIndexer.Niceness, indexer.Nice);
        Assert.All(receivers, r => Assert.Equal(process, r.Nice));
        Assert.Equal(process, journal.Nice);
    }

    private static List<(string Name, int Nice)> Threads() =>
        [.. Directory.GetDirectories("/proc/self/task").Select(dir =>
        {
            string name = File.ReadAllText(Path.Combine(dir, "comm")).TrimEnd('\n');
            return (name, Nice("self/task/" + Path.GetFileName(dir)));
        })];

    /// <summary>Field 19 of /proc/…/stat (after the parenthesised command, which may hold spaces).</summary>
    private static int Nice(string proc)
    {
        string stat = File.ReadAllText($"/proc/{proc}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], CultureInfo.InvariantCulture); // fields[0] is field 3 (state)
    }
}
