using System.Globalization;

namespace OpsConsole.Tools.TopologyBench;

/// <summary>
/// <c>--name value</c> options and <c>--flag</c> switches of one subcommand. Every option a
/// subcommand does not read is reported as unknown, so a typo never silently changes a run.
/// </summary>
internal sealed class BenchOptions
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public BenchOptions(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
            {
                throw new UsageException($"unexpected argument '{a}'");
            }

            string? value = i + 1 < list.Count && !list[i + 1].StartsWith("--", StringComparison.Ordinal) ? list[++i] : null;
            _values[a[2..]] = value;
        }
    }

    public string? String(string name)
    {
        _read.Add(name);
        if (!_values.TryGetValue(name, out var v))
        {
            return null;
        }

        return v ?? throw new UsageException($"--{name} needs a value");
    }

    public int Int(string name, int fallback, int min = 1)
    {
        var s = String(name);
        if (s is null)
        {
            return fallback;
        }

        if (!int.TryParse(s.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var v) || v < min)
        {
            throw new UsageException($"--{name} must be an integer >= {min}, not '{s}'");
        }

        return v;
    }

    public double Double(string name, double fallback)
    {
        var s = String(name);
        if (s is null)
        {
            return fallback;
        }

        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !(v > 0))
        {
            throw new UsageException($"--{name} must be a positive number, not '{s}'");
        }

        return v;
    }

    public bool Flag(string name)
    {
        _read.Add(name);
        if (_values.TryGetValue(name, out var v) && v is not null)
        {
            throw new UsageException($"--{name} takes no value");
        }

        return _values.ContainsKey(name);
    }

    /// <summary>Call after reading every option: rejects the ones nobody asked for.</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException("unknown option(s): " + string.Join(", ", unknown.Select(k => "--" + k)));
        }
    }
}
