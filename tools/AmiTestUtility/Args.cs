using System.Globalization;

namespace OpsConsole.Tools.AmiTestUtility;

/// <summary>A bad command line: printed as one line on stderr, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// <c>--name value</c> / <c>--name=value</c> options and <c>--flag</c> switches, checked against what the
/// command accepts: an unknown option, a missing or malformed value is a <see cref="UsageException"/>.
/// </summary>
public sealed class ParsedArgs
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private ParsedArgs(string command) => Command = command;

    public string Command { get; }

    /// <summary>Parses <paramref name="args"/> (after the command) for a command with these options and flags.</summary>
    public static ParsedArgs Parse(string command, IReadOnlyList<string> args, IReadOnlyCollection<string> options, IReadOnlyCollection<string> flags)
    {
        var parsed = new ParsedArgs(command);
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
            {
                throw new UsageException($"{command}: unexpected argument '{a}' (options start with --)");
            }

            string name = a[2..];
            string? value = null;
            int eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }

            if (flags.Contains(name))
            {
                if (value is not null)
                {
                    throw new UsageException($"{command}: --{name} takes no value");
                }

                parsed._flags.Add(name);
                continue;
            }

            if (!options.Contains(name))
            {
                throw new UsageException($"{command}: unknown option --{name}; options: {string.Join(' ', options.Concat(flags).Order(StringComparer.Ordinal).Select(o => "--" + o))}");
            }

            if (value is null)
            {
                if (i + 1 >= args.Count || (args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2))
                {
                    throw new UsageException($"{command}: --{name} needs a value");
                }

                value = args[++i];
            }

            if (!parsed._values.TryGetValue(name, out var list))
            {
                parsed._values[name] = list = [];
            }

            list.Add(value);
        }

        return parsed;
    }

    public bool Has(string name) => _flags.Contains(name) || _values.ContainsKey(name);

    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var list) ? list : [];

    /// <summary>The last value given (a repeated single-valued option: the last one wins).</summary>
    public string? Get(string name) => _values.TryGetValue(name, out var list) ? list[^1] : null;

    public string Required(string name) => Get(name) ?? throw new UsageException($"{Command}: --{name} is required");

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        var s = Get(name);
        if (s is null)
        {
            return fallback;
        }

        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
        {
            throw new UsageException($"{Command}: --{name} = '{s}': expected a whole number from {min} to {max}");
        }

        return v;
    }

    public double Double(string name, double fallback, double min, double max)
    {
        var s = Get(name);
        if (s is null)
        {
            return fallback;
        }

        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || double.IsNaN(v) || v < min || v > max)
        {
            throw new UsageException($"{Command}: --{name} = '{s}': expected a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
        }

        return v;
    }
}

/// <summary>The options every command shares; the defaults are the console's defaults.</summary>
public sealed record CommonOptions
{
    public static readonly string[] Names = ["host", "port", "api", "api-key", "key", "topology", "ack-timeout-ms", "max-retransmit", "http-timeout-ms"];

    public string Host { get; init; } = "127.0.0.1";

    public int Port { get; init; } = 5683;

    public Uri Api { get; init; } = new("http://localhost:5000");

    public string? ApiKey { get; init; }

    public string KeyFile { get; init; } = "data/keys/master.key";

    public string? Topology { get; init; }

    /// <summary>RFC 7252 ACK_TIMEOUT (2 s); the first wait is random in [1, 1.5] × this, doubled per retransmission.</summary>
    public int AckTimeoutMs { get; init; } = 2000;

    /// <summary>RFC 7252 MAX_RETRANSMIT (4).</summary>
    public int MaxRetransmit { get; init; } = 4;

    /// <summary>Bound on every REST call.</summary>
    public int HttpTimeoutMs { get; init; } = 10_000;

    public static CommonOptions From(ParsedArgs a, Func<string, string?> environment)
    {
        var apiText = a.Get("api") ?? "http://localhost:5000";
        if (!Uri.TryCreate(apiText, UriKind.Absolute, out var api) || (api.Scheme != Uri.UriSchemeHttp && api.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"{a.Command}: --api = '{apiText}': expected an http(s) URL such as http://localhost:5000");
        }

        var host = a.Get("host") ?? "127.0.0.1";
        if (host.Length == 0)
        {
            throw new UsageException($"{a.Command}: --host is empty");
        }

        return new CommonOptions
        {
            Host = host,
            Port = a.Int("port", 5683, 1, 65535),
            Api = api,
            ApiKey = a.Get("api-key") ?? environment("OPSCONSOLE_API_KEY"),
            KeyFile = a.Get("key") ?? "data/keys/master.key",
            Topology = a.Get("topology"),
            AckTimeoutMs = a.Int("ack-timeout-ms", 2000, 10, 60_000),
            MaxRetransmit = a.Int("max-retransmit", 4, 0, 10),
            HttpTimeoutMs = a.Int("http-timeout-ms", 10_000, 100, 600_000),
        };
    }

    public string RequireApiKey(string command) =>
        string.IsNullOrEmpty(ApiKey) ? throw new UsageException($"{command}: no API key: pass --api-key or set OPSCONSOLE_API_KEY (a key of the console's Api:Keys)") : ApiKey;
}
