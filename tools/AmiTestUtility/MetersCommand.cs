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

/// <summary><c>ping --meter host:port</c>: a CoAP ping (RST expected) and the configuration read.</summary>
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
        bool all = true;
        foreach (var text in a.All("meter"))
        {
            if (!IPEndPoint.TryParse(text, out var ep) || ep.Port == 0)
            {
                throw new UsageException($"ping: --meter = '{text}': expected address:port, e.g. 127.77.0.1:15683");
            }

            var r = await PingAsync(ep, timeout, retransmit, ct);
            all &= r.Alive;
            stdout.WriteLine($"{ep}: {r.Describe()}");
        }

        return all ? 0 : 1;
    }

    public sealed record PingResult(bool Alive, ExchangeResult Ping, IReadOnlyDictionary<string, string>? Config)
    {
        public string Describe() => Alive
            ? $"alive (RST in {Ping.RoundTrip.TotalMilliseconds:0.0} ms){(Config is null ? "" : "; cfg " + string.Join(' ', Config.Select(kv => $"{kv.Key}={kv.Value}")))}"
            : $"silent: {Ping.Describe()}";
    }

    /// <summary>An empty CON (RFC 7252 §4.3), then <c>GET /ami/cfg</c> when it answered.</summary>
    public static async Task<PingResult> PingAsync(IPEndPoint meter, TimeSpan ackTimeout, int maxRetransmit, CancellationToken ct)
    {
        await using var client = new CoapClient(meter, null, ackTimeout, maxRetransmit);
        ushort mid = client.NextMessageId();
        byte[] ping = [0x40, 0x00, (byte)(mid >> 8), (byte)mid];
        var r = await client.ExchangeAsync(ping, mid, ct);
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
