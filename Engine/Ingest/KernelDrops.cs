using System.Globalization;

namespace OpsConsole.Engine.Ingest;

/// <summary>
/// Datagrams the kernel dropped before the listener could read them (its receive buffer was full):
/// the <c>drops</c> column of <c>/proc/net/udp</c> and <c>/proc/net/udp6</c> for the sockets bound to
/// the listener's port. They never reach the process, so no other counter can see them; reading them
/// keeps "nothing is dropped silently" true in a storm the host cannot keep up with.
/// </summary>
public static class KernelDrops
{
    private static readonly string[] Tables = ["/proc/net/udp", "/proc/net/udp6"];

    /// <summary>Drops of every socket bound to <paramref name="port"/>; null where the tables do not exist (not Linux).</summary>
    public static long? Read(int port)
    {
        long total = 0;
        bool any = false;
        foreach (var table in Tables)
        {
            string text;
            try
            {
                text = File.ReadAllText(table);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            any = true;
            total += Sum(text, port);
        }

        return any ? total : null;
    }

    /// <summary>Sums the drops column of one table's text for the sockets whose local port is <paramref name="port"/>.</summary>
    public static long Sum(string table, int port)
    {
        ArgumentNullException.ThrowIfNull(table);
        string suffix = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        long total = 0;
        foreach (var line in table.Split('\n').Skip(1))
        {
            var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (cols.Length > 12 && cols[1].EndsWith(suffix, StringComparison.Ordinal)
                && long.TryParse(cols[^1], NumberStyles.None, CultureInfo.InvariantCulture, out long drops))
            {
                total += drops;
            }
        }

        return total;
    }
}
