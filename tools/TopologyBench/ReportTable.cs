using System.Globalization;
using System.Text;

namespace OpsConsole.Tools.TopologyBench;

/// <summary>The plain-text result table: one row per figure, median first, then min and max over the runs.</summary>
internal sealed class ReportTable
{
    private static readonly string[] Headers = ["network", "measurement", "median", "min", "max", "unit", "runs", "median rate", "target", "result"];

    private readonly List<string[]> _rows = [];

    public void Add(string network, string measurement, Sample sample, string unit, string rate = "", string target = "", bool? met = null) =>
        _rows.Add([network, measurement, Format(sample.Median), Format(sample.Min), Format(sample.Max), unit,
            sample.Count.ToString(CultureInfo.InvariantCulture), rate, target, met switch { true => "MET", false => "MISSED", null => "" }]);

    public void AddValue(string network, string measurement, double value, string unit, string target = "", bool? met = null) =>
        _rows.Add([network, measurement, Format(value), "", "", unit, "1", "", target, met switch { true => "MET", false => "MISSED", null => "" }]);

    /// <summary>A measurement that could not complete: how long it ran before it failed.</summary>
    public void AddFailed(string network, string measurement, double ranFor, string unit, string target = "") =>
        _rows.Add([network, measurement, Format(ranFor), "", "", unit, "1", "", target, "FAILED"]);

    /// <summary>A look-up row: ns per operation, with operations per second at the median.</summary>
    public void AddLookup(string network, string measurement, Sample nsPerOp, string target = "", bool? met = null) =>
        Add(network, measurement, nsPerOp, "ns/op", Rate(1e9 / nsPerOp.Median), target, met);

    public void Separator() => _rows.Add([]);

    public override string ToString()
    {
        var widths = Headers.Select(h => h.Length).ToArray();
        foreach (var row in _rows.Where(r => r.Length > 0))
        {
            for (int i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        var sb = new StringBuilder();
        AppendRow(sb, Headers, widths);
        AppendRow(sb, widths.Select(w => new string('-', w)).ToArray(), widths);
        foreach (var row in _rows)
        {
            if (row.Length == 0)
            {
                sb.AppendLine();
            }
            else
            {
                AppendRow(sb, row, widths);
            }
        }

        return sb.ToString();
    }

    private static void AppendRow(StringBuilder sb, string[] cells, int[] widths)
    {
        for (int i = 0; i < cells.Length; i++)
        {
            bool numeric = i is >= 2 and <= 4 or 6 or 7;
            var cell = numeric ? cells[i].PadLeft(widths[i]) : cells[i].PadRight(widths[i]);
            sb.Append(cell);
            sb.Append(i == cells.Length - 1 ? "" : "  ");
        }

        sb.Append('\n');
    }

    public static string Format(double value) => Math.Abs(value) switch
    {
        >= 1000 => value.ToString("#,0", CultureInfo.InvariantCulture),
        >= 100 => value.ToString("0.0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("0.00", CultureInfo.InvariantCulture),
        _ => value.ToString("0.000", CultureInfo.InvariantCulture),
    };

    public static string Rate(double perSecond) => perSecond switch
    {
        >= 1e6 => (perSecond / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + " M/s",
        >= 1e3 => (perSecond / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + " k/s",
        _ => perSecond.ToString("0.0", CultureInfo.InvariantCulture) + " /s",
    };

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.00", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        _ => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
    };
}
