using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Globalization;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Protocols.Dlms;
using OpsConsole.Engine.Security;

namespace OpsConsole.Tools.AmiTestUtility;

/// <summary>One simulated meter's radio endpoint.</summary>
public sealed record SimulatedMeter(string Id, IPEndPoint EndPoint, bool Dead, bool Misconfigured)
{
    /// <summary>Its identity and behaviour for protected exchanges (wire-format.md §6); null for the plain CLI fleet.</summary>
    public MeterBehaviour? Behaviour { get; init; }
}

/// <summary>Who a protected simulated meter is: its topology id, GUID, system title and keys (wire-format.md §4).</summary>
public sealed record MeterIdentity(string Id, Guid Guid, ulong SystemTitle, MeterKeys Keys);

/// <summary>
/// How a protected simulated meter behaves, changeable while it runs (tests): its supply voltage and when it last powered
/// up (the status answer), requests it drops (a lost datagram), keys it wrongly answers with (a spoofer), silence
/// (a meter without power), and a hold before it answers (to observe concurrency).
/// </summary>
public sealed class MeterBehaviour(MeterIdentity identity, TimeProvider time)
{
    private int _dropFirst;
    private int _received;
    private long _highestHeadEndCounter = -1;
    private uint _counter;

    public MeterIdentity Identity { get; } = identity;

    public TimeProvider Time { get; } = time;

    public int VoltageMv { get; set; } = 240_000;

    public DateTimeOffset PoweredUpAt { get; set; } = time.GetUtcNow();

    /// <summary>Answers nothing at all (no supply).</summary>
    public bool Silent { get; set; }

    /// <summary>Answers with these keys instead of its own (its answers then fail authentication).</summary>
    public MeterKeys? AnswerKeys { get; set; }

    /// <summary>Awaited before each protected answer is sent (null: answer at once).</summary>
    public Func<MeterBehaviour, Task>? Hold { get; set; }

    /// <summary>Datagrams received, dropped ones included.</summary>
    public int Received => Volatile.Read(ref _received);

    /// <summary>Drops the next <paramref name="count"/> datagrams unanswered.</summary>
    public void DropNext(int count) => Volatile.Write(ref _dropFirst, count);

    internal bool TakeDatagram()
    {
        Interlocked.Increment(ref _received);
        while (true)
        {
            int left = Volatile.Read(ref _dropFirst);
            if (left <= 0)
            {
                return true;
            }

            if (Interlocked.CompareExchange(ref _dropFirst, left - 1, left) == left)
            {
                return false;
            }
        }
    }

    /// <summary>The head-end's counter must strictly increase (a replayed request is refused with 4.01).</summary>
    internal bool TryAdvanceHeadEndCounter(uint counter)
    {
        while (true)
        {
            long current = Interlocked.Read(ref _highestHeadEndCounter);
            if (current >= counter)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _highestHeadEndCounter, counter, current) == current)
            {
                return true;
            }
        }
    }

    internal uint NextCounter() => Interlocked.Increment(ref _counter);

    private readonly Lock _lastLock = new();
    private (EndPoint From, ushort Mid, byte[] Answer)? _last;

    internal bool TryGetAnswered(EndPoint from, ushort mid, out byte[] answer)
    {
        lock (_lastLock)
        {
            if (_last is { } l && l.Mid == mid && l.From.Equals(from))
            {
                answer = l.Answer;
                return true;
            }
        }

        answer = [];
        return false;
    }

    internal void Answered(EndPoint from, ushort mid, byte[] answer)
    {
        lock (_lastLock)
        {
            _last = (from, mid, answer);
        }
    }
}

/// <summary>
/// Live simulated meters, each on its own loopback endpoint (127.77.x.y, one port), that answer a CoAP
/// ping (empty CON → RST) and <c>GET /ami/cfg</c> with a <c>text/plain</c> (Content-Format 0) payload of
/// <c>KEY=VALUE</c> lines: <c>EVENT_PRIORITY_OUTAGE=1</c> (0 when misconfigured: outage events not
/// prioritised) and <c>MIN_DISCHARGE_TIME=2000</c> (milliseconds the super-capacitor holds the radio up).
/// Dead meters keep their socket but never answer. Anything else gets 4.04 (or a RST for a NON/garbage).
/// </summary>
public sealed class MeterFleet : IAsyncDisposable
{
    private readonly List<(SimulatedMeter Meter, Socket Socket)> _sockets = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    public IReadOnlyList<SimulatedMeter> Meters => [.. _sockets.Select(s => s.Meter)];

    public static MeterFleet Start(int count, double dead, double misconfigured, int port, int seed)
    {
        var rng = new Random(seed);
        var fleet = new MeterFleet();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var address = new IPAddress([127, 77, (byte)(i / 250), (byte)((i % 250) + 1)]);
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                socket.Bind(new IPEndPoint(address, port));
                bool isDead = rng.NextDouble() < dead;
                bool isBad = !isDead && rng.NextDouble() < misconfigured;
                var meter = new SimulatedMeter($"SIM-{i + 1:D4}", (IPEndPoint)socket.LocalEndPoint!, isDead, isBad);
                fleet._sockets.Add((meter, socket));
                fleet._loops.Add(Task.Run(() => fleet.Serve(meter, socket)));
            }
        }
        catch (SocketException ex)
        {
            _ = fleet.DisposeAsync().AsTask();
            throw new UsageException($"meters: cannot bind a meter endpoint ({ex.Message}): try another --meter-port");
        }

        return fleet;
    }

    /// <summary>
    /// Protected meters (wire-format.md §6) on 127.77.x.y:<paramref name="port"/>, one per identity: a ping gets RST,
    /// an authenticated <c>GET /ami/status</c> gets <c>GUID;UPTIME;VOLTAGE</c> and <c>GET /ami/cfg</c> the
    /// configuration, protected with the meter's keys and its own counter; a request that fails authentication or
    /// replays a head-end counter gets 4.01.
    /// </summary>
    public static MeterFleet StartProtected(IReadOnlyList<MeterIdentity> identities, int port, TimeProvider? time = null, int firstAddress = 0)
    {
        ArgumentNullException.ThrowIfNull(identities);
        var fleet = new MeterFleet();
        try
        {
            for (int n = 0; n < identities.Count; n++)
            {
                int i = firstAddress + n;
                var address = new IPAddress([127, 77, (byte)(i / 250), (byte)((i % 250) + 1)]);
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                socket.Bind(new IPEndPoint(address, port));
                var meter = new SimulatedMeter(identities[n].Id, (IPEndPoint)socket.LocalEndPoint!, false, false)
                {
                    Behaviour = new MeterBehaviour(identities[n], time ?? TimeProvider.System),
                };
                fleet._sockets.Add((meter, socket));
                fleet._loops.Add(Task.Run(() => fleet.Serve(meter, socket)));
            }
        }
        catch (SocketException ex)
        {
            _ = fleet.DisposeAsync().AsTask();
            throw new UsageException($"meters: cannot bind a meter endpoint ({ex.Message}): try another --meter-port");
        }

        return fleet;
    }

    private async Task Serve(SimulatedMeter meter, Socket socket)
    {
        var buffer = new byte[1500];
        var answer = new byte[256];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            if (meter.Dead || meter.Behaviour is { Silent: true } || meter.Behaviour?.TakeDatagram() == false)
            {
                continue;
            }

            // A retransmitted CON (same Message ID from the same source) gets the answer already given (RFC 7252 §4.5),
            // not a new one: its protected payload is the same, so processing it again would be a replay.
            int n;
            if (meter.Behaviour is { } seen && r.ReceivedBytes >= 4 && seen.TryGetAnswered(r.RemoteEndPoint, (ushort)((buffer[2] << 8) | buffer[3]), out var previous))
            {
                previous.CopyTo(answer, 0);
                n = previous.Length;
            }
            else
            {
                n = Respond(meter, buffer.AsSpan(0, r.ReceivedBytes), answer);
                if (n > 0 && meter.Behaviour is { } b)
                {
                    b.Answered(r.RemoteEndPoint, (ushort)((buffer[2] << 8) | buffer[3]), answer.AsSpan(0, n).ToArray());
                }
            }

            if (n > 0 && meter.Behaviour?.Hold is { } hold && answer[1] != CoapCode.Empty)
            {
                await hold(meter.Behaviour);
            }

            if (n > 0)
            {
                try
                {
                    await socket.SendToAsync(answer.AsMemory(0, n), SocketFlags.None, r.RemoteEndPoint, _stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    // stopping, or the asker went away
                }
            }
        }
    }

    /// <summary>The answer of a live meter to one datagram (0 bytes = no answer).</summary>
    public static int Respond(SimulatedMeter meter, ReadOnlySpan<byte> request, Span<byte> answer)
    {
        if (CoapMessage.TryParse(request, out var view) != CoapParseStatus.Ok)
        {
            return 0;
        }

        int written;
        if (view.IsEmpty && view.Type == CoapType.Confirmable)
        {
            return CoapMessage.TryWriteReset(answer, view.MessageId, out written) ? written : 0;
        }

        if (view.Type != CoapType.Confirmable)
        {
            return 0;
        }

        var path = new StringBuilder();
        foreach (CoapOption option in view.GetOptions(CoapOptionNumber.UriPath))
        {
            path.Append('/').Append(Encoding.UTF8.GetString(option.Value));
        }

        var writer = new CoapWriter(answer);
        if (meter.Behaviour is { } b && view.Code == CoapCode.Get && path.ToString() is "/ami/status" or "/ami/cfg")
        {
            return RespondProtected(b, view, path.ToString(), answer);
        }

        if (view.Code == CoapCode.Get && path.ToString() == "/ami/cfg")
        {
            var text = $"EVENT_PRIORITY_OUTAGE={(meter.Misconfigured ? 0 : 1)}\nMIN_DISCHARGE_TIME=2000\n";
            bool ok = writer.TryWriteHeader(CoapType.Acknowledgement, CoapCode.Content, view.MessageId, view.Token)
                && writer.TryWriteUInt32Option(CoapOptionNumber.ContentFormat, 0)
                && writer.TryWritePayload(Encoding.ASCII.GetBytes(text));
            return ok ? writer.Written : 0;
        }

        return writer.TryWriteHeader(CoapType.Acknowledgement, CoapCode.NotFound, view.MessageId, view.Token) ? writer.Written : 0;
    }

    private static int RespondProtected(MeterBehaviour b, CoapMessageView view, string path, Span<byte> answer)
    {
        var writer = new CoapWriter(answer);
        var id = b.Identity;
        if (!ProtectedText.TryUnprotect(view.Payload, id.Keys, out ulong title, out uint ic, out _) || title == id.SystemTitle || !b.TryAdvanceHeadEndCounter(ic))
        {
            return writer.TryWriteHeader(CoapType.Acknowledgement, CoapCode.Unauthorized, view.MessageId, view.Token) ? writer.Written : 0;
        }

        var now = b.Time.GetUtcNow();
        KeyValuePair<string, string>[] pairs = path == "/ami/status"
            ?
            [
                new("GUID", id.Guid.ToString()),
                new("UPTIME", ((long)Math.Max(0, (now - b.PoweredUpAt).TotalSeconds)).ToString(CultureInfo.InvariantCulture)),
                new("VOLTAGE", b.VoltageMv.ToString(CultureInfo.InvariantCulture)),
            ]
            : [new("EVENT_PRIORITY_OUTAGE", "1"), new("MIN_DISCHARGE_TIME", "2000"), new("FIRMWARE", "sim-1.0")];
        byte[] payload = ProtectedText.Protect(id.SystemTitle, b.NextCounter(), b.AnswerKeys ?? id.Keys, pairs);
        bool ok = writer.TryWriteHeader(CoapType.Acknowledgement, CoapCode.Content, view.MessageId, view.Token)
            && writer.TryWriteUInt32Option(CoapOptionNumber.ContentFormat, 42)
            && writer.TryWritePayload(payload);
        return ok ? writer.Written : 0;
    }

    /// <summary>Sends <paramref name="datagram"/> from <paramref name="meter"/>'s own endpoint (e.g. a notification to the head-end, which then knows where the meter is).</summary>
    public async Task SendFromAsync(SimulatedMeter meter, byte[] datagram, IPEndPoint to, CancellationToken ct = default)
    {
        var socket = _sockets.First(s => ReferenceEquals(s.Meter, meter)).Socket;
        await socket.SendToAsync(datagram, SocketFlags.None, to, ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var (_, socket) in _sockets)
        {
            socket.Dispose();
        }

        await Task.WhenAll(_loops);
        _stop.Dispose();
    }
}
