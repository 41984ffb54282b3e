using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OpsConsole.Engine.Protocols.Coap;

namespace OpsConsole.Tools.AmiTestUtility;

/// <summary>How an exchange ended.</summary>
public enum ExchangeOutcome
{
    /// <summary>A response (ACK, piggy-backed or not, or RST) arrived.</summary>
    Answered,

    /// <summary>No answer after every retransmission (RFC 7252 §4.2).</summary>
    TimedOut,

    /// <summary>The peer's host said the port is closed (ICMP port unreachable).</summary>
    Refused,
}

/// <summary>The result of one confirmable exchange.</summary>
public sealed record ExchangeResult(ExchangeOutcome Outcome, CoapType Type, byte Code, byte[] Response, int Transmissions, TimeSpan RoundTrip)
{
    public string Describe() => Outcome switch
    {
        ExchangeOutcome.Answered => $"{ShortType(Type)} {CoapCode.Format(Code)}",
        ExchangeOutcome.TimedOut => $"no answer after {Transmissions} transmission(s)",
        _ => "ICMP port unreachable (nothing listens there)",
    };

    private static string ShortType(CoapType type) => type switch
    {
        CoapType.Confirmable => "CON",
        CoapType.NonConfirmable => "NON",
        CoapType.Acknowledgement => "ACK",
        _ => "RST",
    };
}

/// <summary>
/// One local UDP endpoint (a gateway, or the probe of a test) talking CoAP to one peer: NON messages go
/// out as they are, CON messages are retransmitted per RFC 7252 §4.2 (first timeout random in
/// [ACK_TIMEOUT, 1.5 × ACK_TIMEOUT], doubled each time, at most MAX_RETRANSMIT retransmissions) until
/// an ACK or RST with their Message ID arrives.
/// </summary>
public sealed class CoapClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly ConcurrentDictionary<ushort, TaskCompletionSource<byte[]>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiver;
    private readonly TimeSpan _ackTimeout;
    private readonly int _maxRetransmit;
    private int _nextMid;
    private volatile bool _refused;

    public CoapClient(IPEndPoint peer, IPAddress? localAddress, TimeSpan ackTimeout, int maxRetransmit)
    {
        Peer = peer;
        _ackTimeout = ackTimeout;
        _maxRetransmit = maxRetransmit;
        _socket = new Socket(peer.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(localAddress ?? (peer.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any), 0));
        _socket.Connect(peer);
        _nextMid = Random.Shared.Next(ushort.MaxValue + 1);
        _receiver = Task.Run(ReceiveLoop);
    }

    public IPEndPoint Peer { get; }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>A fresh Message ID of this endpoint (RFC 7252 §4.4).</summary>
    public ushort NextMessageId() => (ushort)Interlocked.Increment(ref _nextMid);

    /// <summary>Sends a NON (or any datagram that expects no answer).</summary>
    public async Task SendAsync(byte[] datagram, CancellationToken ct)
    {
        try
        {
            await _socket.SendAsync(datagram, SocketFlags.None, ct);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            _refused = true; // an ICMP error of an earlier datagram, reported on this send
        }
    }

    /// <summary>True once the peer answered any datagram with ICMP port unreachable.</summary>
    public bool Refused => _refused;

    /// <summary>The longest a CON exchange can wait for its answer with these options (every timeout at its 1.5× maximum).</summary>
    public static TimeSpan MaxExchangeTime(TimeSpan ackTimeout, int maxRetransmit) => ackTimeout * 1.5 * ((1 << (maxRetransmit + 1)) - 1);

    /// <summary>
    /// Sends <paramref name="datagram"/> (a CON whose Message ID is <paramref name="messageId"/>) and retransmits until answered;
    /// <paramref name="onAttempt"/> hears of each transmission (1-based number, of how many at most, and how long it waits).
    /// </summary>
    public async Task<ExchangeResult> ExchangeAsync(byte[] datagram, ushort messageId, CancellationToken ct, Action<int, int, TimeSpan>? onAttempt = null)
    {
        var tcs = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[messageId] = tcs;
        var start = Stopwatch.GetTimestamp();
        int transmissions = 0;
        try
        {
            var timeout = _ackTimeout * (1 + (Random.Shared.NextDouble() * 0.5));
            for (int attempt = 0; attempt <= _maxRetransmit; attempt++)
            {
                await SendAsync(datagram, ct);
                transmissions++;
                onAttempt?.Invoke(transmissions, _maxRetransmit + 1, timeout);
                var done = await Task.WhenAny(tcs.Task, Task.Delay(timeout, ct));
                if (done == tcs.Task && tcs.Task.IsFaulted)
                {
                    return new ExchangeResult(ExchangeOutcome.Refused, CoapType.Reset, 0, [], transmissions, Stopwatch.GetElapsedTime(start));
                }

                if (done == tcs.Task)
                {
                    var response = await tcs.Task;
                    CoapMessage.TryParse(response, out var view);
                    return new ExchangeResult(ExchangeOutcome.Answered, view.Type, view.Code, response, transmissions, Stopwatch.GetElapsedTime(start));
                }

                ct.ThrowIfCancellationRequested();
                if (_refused)
                {
                    return new ExchangeResult(ExchangeOutcome.Refused, CoapType.Reset, 0, [], transmissions, Stopwatch.GetElapsedTime(start));
                }

                timeout *= 2;
            }

            return new ExchangeResult(ExchangeOutcome.TimedOut, CoapType.Reset, 0, [], transmissions, Stopwatch.GetElapsedTime(start));
        }
        finally
        {
            _pending.TryRemove(messageId, out _);
        }
    }

    private async Task ReceiveLoop()
    {
        var buffer = new byte[2048];
        while (!_stop.IsCancellationRequested)
        {
            int n;
            try
            {
                n = await _socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                _refused = true;
                foreach (var p in _pending.Values)
                {
                    p.TrySetException(ex);
                }

                continue;
            }
            catch (SocketException)
            {
                continue;
            }

            var datagram = buffer.AsSpan(0, n).ToArray();
            if (CoapMessage.TryParse(datagram, out var view) == CoapParseStatus.Ok
                && view.Type is CoapType.Acknowledgement or CoapType.Reset
                && _pending.TryGetValue(view.MessageId, out var tcs))
            {
                tcs.TrySetResult(datagram);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        try
        {
            await _receiver;
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException or OperationCanceledException)
        {
            // closing
        }

        _stop.Dispose();
    }

    /// <summary>Resolves a host name or address to an endpoint.</summary>
    public static async Task<IPEndPoint> ResolveAsync(string host, int port, CancellationToken ct)
    {
        if (IPAddress.TryParse(host, out var ip))
        {
            return new IPEndPoint(ip, port);
        }

        var addresses = await Dns.GetHostAddressesAsync(host, ct);
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new UsageException($"--host = '{host}': no address");
        return new IPEndPoint(chosen, port);
    }
}
