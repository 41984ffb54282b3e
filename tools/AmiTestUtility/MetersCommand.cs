using System.Globalization;
using System.Net;
using System.Text;
using OpsConsole.Engine.Protocols.Coap;

namespace OpsConsole.Tools.AmiTestUtility;

/// <summary><c>meters --count N</c>: a fleet of live simulated meters until Ctrl+C or <c>--duration</c>.</summary>
public static class MetersCommand
{
    public const string Name = "meters";

    public static readonly string[] Options = ["count", "dead", "misconfigured", "meter-port", "seed", "duration"];

    public static async Task<int> RunAsync(ParsedArgs a, TextWriter stdout, CancellationToken ct)
    {
        int count = a.Int("count", 0, 1, 62_500);
        if (!a.Has("count"))
        {
            throw new UsageException("meters: --count N is required");
        }

        double dead = a.Double("dead", 0, 0, 1);
        double misconfigured = a.Double("misconfigured", 0, 0, 1);
        int port = a.Int("meter-port", 15683, 1, 65535);
        int seed = a.Int("seed", 1);
        int duration = a.Int("duration", 0, 0, int.MaxValue);
        await using var fleet = MeterFleet.Start(count, dead, misconfigured, port, seed);
        foreach (var m in fleet.Meters)
        {
            stdout.WriteLine($"{m.Id} coap://{m.EndPoint} {(m.Dead ? "dead" : m.Misconfigured ? "misconfigured" : "live")}");
        }

        stdout.WriteLine($"{fleet.Meters.Count} meters listening ({fleet.Meters.Count(m => m.Dead)} dead, {fleet.Meters.Count(m => m.Misconfigured)} misconfigured); Ctrl+C stops");
        stdout.Flush();
        try
        {
            await Task.Delay(duration > 0 ? TimeSpan.FromSeconds(duration) : Timeout.InfiniteTimeSpan, ct);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C
        }

        return 0;
    }
}

/// <summary>What a ping found out about a meter.</summary>
public enum PingVerdict
{
    /// <summary>It answered and is configured to send last gasps.</summary>
    Alive,

    /// <summary>No answer (or nothing listens there).</summary>
    Dead,

    /// <summary>It answered, but its configuration means it will never send a last gasp.</summary>
    Misconfigured,

    /// <summary>It answered the ping, but its configuration could not be read, so it is not known to send last gasps.</summary>
    Unchecked,
}

/// <summary>
/// <c>ping --meter host:port</c>: a CoAP ping (RST expected) and the configuration read. Each transmission is printed as it
/// goes (a dead meter takes up to the bound the options give, printed first), then one verdict per meter; exit 0 only
/// when every meter is alive and will send last gasps.
/// </summary>
public static class PingCommand
{
    public const string Name = "ping";

    public static readonly string[] Options = ["meter", "ack-timeout-ms", "max-retransmit"];

    public static async Task<int> RunAsync(ParsedArgs a, TextWriter stdout, CancellationToken ct)
    {
        if (a.All("meter").Count == 0)
        {
            throw new UsageException("ping: --meter <address:port> is required (repeatable)");
        }

        var timeout = TimeSpan.FromMilliseconds(a.Int("ack-timeout-ms", 2000, 10, 60_000));
        int retransmit = a.Int("max-retransmit", 4, 0, 10);
        var meters = new List<IPEndPoint>();
        foreach (var text in a.All("meter"))
        {
            if (!IPEndPoint.TryParse(text, out var ep) || ep.Port == 0)
            {
                throw new UsageException($"ping: --meter = '{text}': expected address:port, e.g. 127.77.0.1:15683");
            }

            meters.Add(ep);
        }

        bool all = true;
        foreach (var ep in meters)
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{ep}: ping, {retransmit + 1} transmission(s) at most, no answer within {CoapClient.MaxExchangeTime(timeout, retransmit).TotalSeconds:0.#} s means dead (--ack-timeout-ms {timeout.TotalMilliseconds:0}, --max-retransmit {retransmit})"));
            stdout.Flush();
            var r = await PingAsync(ep, timeout, retransmit, ct, (n, of, wait) =>
            {
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ep}:   attempt {n}/{of}: empty CON sent, waiting up to {wait.TotalSeconds:0.0} s"));
                stdout.Flush();
            });
            all &= r.Verdict == PingVerdict.Alive;
            stdout.WriteLine($"{ep}: {r.Describe()}");
        }

        return all ? 0 : 1;
    }

    public sealed record PingResult(bool Alive, ExchangeResult Ping, IReadOnlyDictionary<string, string>? Config)
    {
        /// <summary>The key whose <c>0</c> means the meter does not prioritise outage events: it never sends a last gasp.</summary>
        public const string OutagePriorityKey = "EVENT_PRIORITY_OUTAGE";

        public PingVerdict Verdict =>
            !Alive ? PingVerdict.Dead
            : Config is null || !Config.TryGetValue(OutagePriorityKey, out var priority) ? PingVerdict.Unchecked
            : priority == "0" ? PingVerdict.Misconfigured
            : PingVerdict.Alive;

        public string Describe()
        {
            string cfg = Config is null ? "" : "; cfg " + string.Join(' ', Config.Select(kv => $"{kv.Key}={kv.Value}"));
            string rst = string.Create(CultureInfo.InvariantCulture, $"RST in {Ping.RoundTrip.TotalMilliseconds:0.0} ms");
            return Verdict switch
            {
                PingVerdict.Alive => $"alive ({rst}){cfg}",
                PingVerdict.Misconfigured => $"MISCONFIGURED: answers ({rst}) but {OutagePriorityKey}=0: it will never send a last gasp (set {OutagePriorityKey}=1){cfg}",
                PingVerdict.Unchecked => $"answers ({rst}) but its configuration could not be checked ({(Config is not null && Config.TryGetValue("error", out var e) ? e : $"no {OutagePriorityKey}")}): not known to send last gasps{cfg}",
                _ => string.Create(CultureInfo.InvariantCulture, $"DEAD: {Ping.Describe()} in {Ping.RoundTrip.TotalSeconds:0.0} s"),
            };
        }
    }

    /// <summary>An empty CON (RFC 7252 §4.3), then <c>GET /ami/cfg</c> when it answered.</summary>
    public static async Task<PingResult> PingAsync(IPEndPoint meter, TimeSpan ackTimeout, int maxRetransmit, CancellationToken ct, Action<int, int, TimeSpan>? onAttempt = null)
    {
        await using var client = new CoapClient(meter, null, ackTimeout, maxRetransmit);
        ushort mid = client.NextMessageId();
        byte[] ping = [0x40, 0x00, (byte)(mid >> 8), (byte)mid];
        var r = await client.ExchangeAsync(ping, mid, ct, onAttempt);
        if (r.Outcome != ExchangeOutcome.Answered || r.Type != CoapType.Reset)
        {
            return new PingResult(false, r, null);
        }

        mid = client.NextMessageId();
        var get = new byte[64];
        var writer = new CoapWriter(get);
        _ = writer.TryWriteHeader(CoapType.Confirmable, CoapCode.Get, mid, [0x01]) && writer.TryWriteStringOption(CoapOptionNumber.UriPath, "ami")
            && writer.TryWriteStringOption(CoapOptionNumber.UriPath, "cfg");
        var cfg = await client.ExchangeAsync(get[..writer.Written], mid, ct);
        if (cfg.Outcome != ExchangeOutcome.Answered || cfg.Code != CoapCode.Content)
        {
            return new PingResult(true, r, new Dictionary<string, string> { ["error"] = cfg.Describe() });
        }

        CoapMessage.TryParse(cfg.Response, out var view);
        var values = Encoding.ASCII.GetString(view.Payload).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        return new PingResult(true, r, values);
    }
}
