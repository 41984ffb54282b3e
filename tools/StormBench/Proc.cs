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
