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

        // Other test classes' hosts run in this process too: every ingest thread of each kind must agree.
        var threads = Threads();
        var indexers = threads.Where(t => t.Name == "hes-indexer").ToList();
        var receivers = threads.Where(t => t.Name.StartsWith("hes-receive", StringComparison.Ordinal)).ToList();
        var journals = threads.Where(t => t.Name == "hes-journal").ToList();
        Assert.NotEmpty(indexers);
        Assert.NotEmpty(receivers);
        Assert.NotEmpty(journals);

        int process = Nice(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Assert.All(indexers, i => Assert.Equal(process + EventIndexer.Niceness, i.Nice));
        Assert.All(receivers, r => Assert.Equal(process, r.Nice));
        Assert.All(journals, j => Assert.Equal(process, j.Nice));
    }

    /// <summary>The process's threads now; a thread pool thread may end between listing and reading: it is skipped.</summary>
    private static List<(string Name, int Nice)> Threads()
    {
        var threads = new List<(string Name, int Nice)>();
        foreach (string dir in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                string name = File.ReadAllText(Path.Combine(dir, "comm")).TrimEnd('\n');
                threads.Add((name, Nice("self/task/" + Path.GetFileName(dir))));
            }
            catch (Exception ex) when (ex is DirectoryNotFoundException or FileNotFoundException)
            {
                // ended meanwhile: the ingest threads live as long as the host, so none of them
            }
        }

        return threads;
    }

    /// <summary>Field 19 of /proc/…/stat (after the parenthesised command, which may hold spaces).</summary>
    private static int Nice(string proc)
    {
        string stat = File.ReadAllText($"/proc/{proc}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], CultureInfo.InvariantCulture); // fields[0] is field 3 (state)
    }
}
