using System.Net;
using System.Net.Sockets;
using System.Text;
using OpsConsole.Engine.Protocols.Coap;

namespace OpsConsole.Tools.AmiTestUtility;

/// <summary>One simulated meter's radio endpoint.</summary>
public sealed record SimulatedMeter(string Id, IPEndPoint EndPoint, bool Dead, bool Misconfigured);

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

            if (meter.Dead)
            {
                continue;
            }

            int n = Respond(meter, buffer.AsSpan(0, r.ReceivedBytes), answer);
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
