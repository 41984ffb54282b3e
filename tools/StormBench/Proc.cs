using System.Globalization;

namespace OpsConsole.Tools.StormBench;

/// <summary>Linux /proc readings: memory, kernel UDP drops, load average.</summary>
internal static class Proc
{
    /// <summary>A kB figure of <c>/proc/&lt;process&gt;/status</c> (this process by default); -1 when absent or the process is gone.</summary>
    public static long StatusKb(string key, string process = "self")
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{process}/status"))
            {
                if (line.StartsWith(key + ":", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[1], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return -1;
    }

    /// <summary>Resets VmHWM to the current RSS (Linux ≥ 4.0: "5" to clear_refs); false when not allowed.</summary>
    public static bool ResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static string LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{parts[0]} {parts[1]} {parts[2]}";
        }
        catch (IOException)
        {
            return "?";
        }
    }

    public static string RmemMax()
    {
        try
        {
            return File.ReadAllText("/proc/sys/net/core/rmem_max").Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }

    /// <summary>System-wide UDP receive-buffer errors: Udp RcvbufErrors (/proc/net/snmp) + Udp6RcvbufErrors (/proc/net/snmp6).</summary>
    public static long RcvbufErrors()
    {
        long total = 0;
        try
        {
            var lines = File.ReadAllLines("/proc/net/snmp").Where(l => l.StartsWith("Udp:", StringComparison.Ordinal)).ToArray();
            if (lines.Length >= 2)
            {
                var names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                int i = Array.IndexOf(names, "RcvbufErrors");
                if (i > 0)
                {
                    total += long.Parse(values[i], CultureInfo.InvariantCulture);
                }
            }

            foreach (var line in File.ReadLines("/proc/net/snmp6"))
            {
                if (line.StartsWith("Udp6RcvbufErrors", StringComparison.Ordinal))
                {
                    total += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
            return -1;
        }

        return total;
    }
}

/// <summary>
/// CPU time of a process's threads, grouped by thread name (<c>/proc/PID/task/*/stat</c>, utime + stime, Linux): the
/// server names its ingest threads (hes-receive-N, hes-journal, correlation), the rest are .NET's own names.
/// </summary>
internal static class ThreadCpu
{
    public static Dictionary<string, double> Snapshot(int pid)
    {
        var seconds = new Dictionary<string, double>(StringComparer.Ordinal);
        double tick = 100.0; // USER_HZ on Linux
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    string stat = File.ReadAllText(Path.Combine(task, "stat"));
                    int open = stat.IndexOf('(', StringComparison.Ordinal), close = stat.LastIndexOf(')');
                    string name = Group(stat[(open + 1)..close]);
                    var f = stat[(close + 2)..].Split(' ');
                    double s = (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / tick;
                    seconds[name] = seconds.GetValueOrDefault(name) + s;
                }
                catch (IOException)
                {
                    // the thread ended meanwhile
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return seconds;
    }

    /// <summary>What each group used between two snapshots (threads that ended meanwhile are not counted).</summary>
    public static Dictionary<string, double> Between(Dictionary<string, double> before, Dictionary<string, double> after) =>
        after.ToDictionary(kv => kv.Key, kv => Math.Max(0, kv.Value - before.GetValueOrDefault(kv.Key)), StringComparer.Ordinal);

    private static string Group(string name) => name.StartsWith("hes-receive", StringComparison.Ordinal) ? "hes-receive (all)"
        : name.StartsWith(".NET TP Worker", StringComparison.Ordinal) ? ".NET TP Worker (pool: web, timers)"
        : name;
}
