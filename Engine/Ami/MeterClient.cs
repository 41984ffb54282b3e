using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Protocols.Dlms;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Engine.Ami;

/// <summary>A meter to ask: its topology id, GUID, DLMS system title and where it is reached.</summary>
public sealed record MeterTarget(string MeterId, Guid Guid, ulong SystemTitle, IPEndPoint EndPoint);

/// <summary>How a status read ended.</summary>
public enum StatusOutcome
{
    /// <summary>An authenticated answer arrived.</summary>
    Answered,

    /// <summary>Nothing (or only unusable answers) after every retransmission or the request's time.</summary>
    NoAnswer,

    /// <summary>Answers arrived but none authenticated with the meter's keys (logged ERR_AUTH_FAILED); counts as no answer.</summary>
    AuthFailed,
}

/// <summary>The result of one <c>GET /ami/status</c>.</summary>
public sealed record StatusReading(MeterTarget Meter, StatusOutcome Outcome, Guid? AnsweredGuid, long? UptimeS, long? VoltageMv, int Transmissions, DateTimeOffset At)
{
    /// <summary>An authenticated answer (a ping, or an answer that fails authentication, never is).</summary>
    public bool Answered => Outcome == StatusOutcome.Answered;
}

/// <summary>
/// The head-end asking meters (wire-format.md §6): CoAP ping and <c>GET /ami/status</c> / <c>/ami/cfg</c> as
/// <c>CON</c> with RFC 7252 §4.2 retransmission, at most <see cref="MeterClientOptions.MaxConcurrency"/> meters at
/// once over every caller, each request bounded by <see cref="MeterClientOptions.RequestTimeoutMs"/>.
/// Requests are protected with the head-end system title, the meter's keys and a per-meter head-end invocation
/// counter reserved durably in <see cref="IMeterLinkStore"/> before it is sent; answers must authenticate with the
/// meter's keys under the meter's own system title, with a counter above any answer seen before, else they count as
/// no answer and are logged <c>ERR_AUTH_FAILED</c>.
/// </summary>
/// <remarks>
/// Its own UDP socket (an ephemeral port, not the listener's 5683): answers never enter the ingest path, and the
/// ingest never sees them. One receive loop matches answers to requests by Message ID, token and source.
/// </remarks>
public sealed partial class MeterClient : IAsyncDisposable
{
    private const byte ContentFormatProtected = 42;

    private readonly MeterClientOptions _options;
    private readonly ulong _headEndTitle;
    private readonly MeterKeyCache _keys;
    private readonly IMeterLinkStore _links;
    private readonly EventProcessorLog? _log;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<ushort, Pending> _pending = new();
    private readonly ReplayGuard _answerCounters = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _start = new();
    private Socket? _socket;
    private Task? _receiver;
    private int _nextMid = RandomNumberGenerator.GetInt32(ushort.MaxValue + 1);

    public MeterClient(IOptions<MeterClientOptions> options, IOptions<SecurityOptions> security, MeterKeyCache keys, IMeterLinkStore links,
        EventProcessorLog? log, ILogger<MeterClient> logger, TimeProvider time)
    {
        _options = options.Value;
        _headEndTitle = security.Value.HeadEndSystemTitleValue;
        _keys = keys;
        _links = links;
        _log = log;
        _logger = logger;
        _time = time;
        _slots = new SemaphoreSlim(_options.MaxConcurrency, _options.MaxConcurrency);
    }

    /// <summary>Requests waiting for an answer now (for tests and metrics).</summary>
    public int InFlight => _pending.Count;

    /// <summary>A CoAP ping (empty CON): true when the endpoint answered RST. Reachability only, never proof of power.</summary>
    public async Task<bool> PingAsync(IPEndPoint endPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return await WithSlot(async ct =>
        {
            var (mid, pending) = Register(endPoint, []);
            byte[] ping = [0x40, 0x00, (byte)(mid >> 8), (byte)mid];
            var (answers, _) = await ExchangeAsync(mid, pending, ping, a => a.Type == CoapType.Reset, ct).ConfigureAwait(false);
            return answers is not null;
        }, false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads <c>/ami/status</c>: uptime and voltage, authenticated.</summary>
    public async Task<StatusReading> ReadStatusAsync(MeterTarget meter, CancellationToken cancellationToken = default)
    {
        var (outcome, pairs, transmissions) = await ReadAsync(meter, "status", cancellationToken).ConfigureAwait(false);
        Guid? guid = pairs is not null && pairs.TryGetValue("GUID", out var g) && Guid.TryParse(g, out var parsed) ? parsed : null;
        long? uptime = pairs is not null && pairs.TryGetValue("UPTIME", out var u) && long.TryParse(u, NumberStyles.None, CultureInfo.InvariantCulture, out var up) ? up : null;
        long? voltage = pairs is not null && pairs.TryGetValue("VOLTAGE", out var v) && long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var mv) ? mv : null;
        return new StatusReading(meter, outcome, guid, uptime, voltage, transmissions, _time.GetUtcNow());
    }

    /// <summary>Reads <c>/ami/cfg</c>: the outage-reporting configuration and firmware version; null pairs when it did not answer.</summary>
    public async Task<(StatusOutcome Outcome, IReadOnlyDictionary<string, string>? Pairs)> ReadConfigAsync(MeterTarget meter, CancellationToken cancellationToken = default)
    {
        var (outcome, pairs, _) = await ReadAsync(meter, "cfg", cancellationToken).ConfigureAwait(false);
        return (outcome, pairs);
    }

    /// <summary>Reads the status of every meter, at most MaxConcurrency at once (the bound is shared with every other caller).</summary>
    public Task<StatusReading[]> ReadStatusAsync(IEnumerable<MeterTarget> meters, CancellationToken cancellationToken = default) =>
        Task.WhenAll(meters.Select(m => ReadStatusAsync(m, cancellationToken)));

    private async Task<(StatusOutcome, IReadOnlyDictionary<string, string>?, int)> ReadAsync(MeterTarget meter, string resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(meter);
        return await WithSlot(async ct =>
        {
            var keys = _keys.GetKeys(meter.Guid);
            uint counter = _links.ReserveInvocationCounter(meter.Guid);
            byte[] payload = ProtectedText.Protect(_headEndTitle, counter, keys,
                [new("GUID", meter.Guid.ToString()), new("REQ", resource)]);
            byte[] token = new byte[4];
            RandomNumberGenerator.Fill(token);
            var (mid, pending) = Register(meter.EndPoint, token);
            var buffer = new byte[payload.Length + 64];
            var writer = new CoapWriter(buffer);
            if (!(writer.TryWriteHeader(CoapType.Confirmable, CoapCode.Get, mid, token)
                && writer.TryWriteStringOption(CoapOptionNumber.UriPath, "ami")
                && writer.TryWriteStringOption(CoapOptionNumber.UriPath, resource)
                && writer.TryWriteUInt32Option(CoapOptionNumber.ContentFormat, ContentFormatProtected)
                && writer.TryWritePayload(payload)))
            {
                throw new InvalidOperationException("request buffer too small");
            }

            IReadOnlyDictionary<string, string>? pairs = null;
            bool authFailed = false;
            var (answer, transmissions) = await ExchangeAsync(mid, pending, buffer[..writer.Written], a =>
            {
                if (a.Type != CoapType.Acknowledgement || a.Code != CoapCode.Content || !a.Token.SequenceEqual(token))
                {
                    return false; // an empty ACK or an error: keep waiting for the real answer until time runs out
                }

                if (ProtectedText.TryUnprotect(a.Payload, keys, out ulong title, out uint ic, out var p) && title == meter.SystemTitle
                    && _answerCounters.TryAdvance(title, ic, out _))
                {
                    pairs = p;
                    return true;
                }

                if (!authFailed) // once per request, however many retransmissions it answers
                {
                    authFailed = true;
                    _log?.Rejected(RejectReason.ERR_AUTH_FAILED, pending.Peer, meter.MeterId, $"meter-client answer to GET /ami/{resource} does not authenticate");
                    LogAuthFailed(_logger, meter.MeterId, pending.Peer, resource);
                }

                return false;
            }, ct).ConfigureAwait(false);
            if (answer is not null && pairs is not null)
            {
                _links.SetEndpoint(meter.Guid, FormatEndPoint(meter.EndPoint));
                return (StatusOutcome.Answered, pairs, transmissions);
            }

            return (authFailed ? StatusOutcome.AuthFailed : StatusOutcome.NoAnswer, (IReadOnlyDictionary<string, string>?)null, transmissions);
        }, (StatusOutcome.NoAnswer, null, 0), cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>host:port</c>, an IPv6 host in brackets (docs/topology-file.md <c>endpoint</c>).</summary>
    public static string FormatEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var address = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        return new IPEndPoint(address, endPoint.Port).ToString();
    }

    /// <summary>Parses <c>host:port</c> (an IP address; IPv6 in brackets); null when it is not one.</summary>
    public static IPEndPoint? ParseEndPoint(string? text) =>
        text is not null && IPEndPoint.TryParse(text, out var ep) && ep.Port > 0 ? ep : null;

    /// <summary>Runs <paramref name="work"/> in one of the MaxConcurrency slots, within the request's time; <paramref name="noSlot"/> when no slot freed in time.</summary>
    private async Task<T> WithSlot<T>(Func<CancellationToken, Task<T>> work, T noSlot, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(_options.RequestTimeoutMs), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token, _stop.Token);
        EnsureStarted();
        try
        {
            await _slots.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return noSlot;
        }

        try
        {
            return await work(linked.Token).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    private (ushort Mid, Pending Pending) Register(IPEndPoint peer, byte[] token)
    {
        var pending = new Pending(peer, CoapEndpoint.From(peer));
        while (true)
        {
            ushort mid = (ushort)Interlocked.Increment(ref _nextMid);
            if (_pending.TryAdd(mid, pending))
            {
                return (mid, pending);
            }
        }
    }

    /// <summary>Sends <paramref name="datagram"/> and retransmits it (RFC 7252 §4.2) until <paramref name="accept"/> takes an answer or time runs out.</summary>
    private async Task<(byte[]? Answer, int Transmissions)> ExchangeAsync(ushort mid, Pending pending, byte[] datagram, AnswerFilter accept, CancellationToken ct)
    {
        pending.Accept = accept;
        int transmissions = 0;
        try
        {
            var timeout = TimeSpan.FromMilliseconds(_options.AckTimeoutMs * (1 + (Random.Shared.NextDouble() * 0.5)));
            for (int i = 0; i <= _options.MaxRetransmit; i++)
            {
                transmissions++;
                try
                {
                    await _socket!.SendToAsync(datagram, SocketFlags.None, pending.Peer, ct).ConfigureAwait(false);
                }
                catch (SocketException ex)
                {
                    LogSendFailed(_logger, pending.Peer, ex.SocketErrorCode);
                }

                try
                {
                    return (await pending.Answer.Task.WaitAsync(timeout, _time, ct).ConfigureAwait(false), transmissions);
                }
                catch (TimeoutException)
                {
                    timeout *= 2;
                }
            }
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            // the request's time ran out, or the caller gave up: no answer
        }
        finally
        {
            _pending.TryRemove(mid, out _);
        }

        return (null, transmissions);
    }

    private void EnsureStarted()
    {
        if (_socket is not null)
        {
            return;
        }

        lock (_start)
        {
            if (_socket is not null)
            {
                return;
            }

            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
            socket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
            _receiver = Task.Run(() => ReceiveLoop(socket));
            _socket = socket;
        }
    }

    private async Task ReceiveLoop(Socket socket)
    {
        var buffer = new byte[2048];
        EndPoint any = new IPEndPoint(IPAddress.IPv6Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // ICMP port unreachable and the like: the request times out
            }

            var from = (IPEndPoint)r.RemoteEndPoint;
            var datagram = buffer.AsSpan(0, r.ReceivedBytes);
            if (CoapMessage.TryParse(datagram, out var view) != CoapParseStatus.Ok
                || !_pending.TryGetValue(view.MessageId, out var pending)
                || !pending.EndPoint.Equals(CoapEndpoint.From(from)))
            {
                continue; // not an answer to anything asked (late, spoofed or stray): dropped
            }

            try
            {
                if (pending.Accept?.Invoke(view) == true)
                {
                    pending.Answer.TrySetResult(datagram.ToArray());
                }
            }
            catch (Exception ex)
            {
                LogAnswerFailed(_logger, ex, from);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket?.Dispose();
        if (_receiver is not null)
        {
            await _receiver.ConfigureAwait(false);
        }

        _stop.Dispose();
        _slots.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "ERR_AUTH_FAILED {Meter} at {EndPoint}: the answer to GET /ami/{Resource} does not authenticate with the meter's keys; counted as no answer")]
    private static partial void LogAuthFailed(ILogger logger, string meter, IPEndPoint endPoint, string resource);

    [LoggerMessage(Level = LogLevel.Debug, Message = "meter client: sending to {EndPoint} failed: {Error}")]
    private static partial void LogSendFailed(ILogger logger, IPEndPoint endPoint, SocketError error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "meter client: an answer from {EndPoint} could not be handled")]
    private static partial void LogAnswerFailed(ILogger logger, Exception ex, IPEndPoint endPoint);

    private delegate bool AnswerFilter(CoapMessageView answer);

    private sealed class Pending(IPEndPoint peer, CoapEndpoint endPoint)
    {
        public IPEndPoint Peer { get; } = peer;

        public CoapEndpoint EndPoint { get; } = endPoint;

        public AnswerFilter? Accept { get; set; }

        public TaskCompletionSource<byte[]> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
