using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OpsConsole.Tools.StormBench;

/// <summary>What one send pass did.</summary>
internal readonly record struct SendResult(long FirstTicks, long LastTicks, long Sent, long Errors)
{
    public double Seconds => (LastTicks - FirstTicks) / (double)Stopwatch.Frequency;
}

/// <summary>
/// The storm's datagrams and their routing: a NON goes out on one of several connected sockets (each
/// source port carries at most 65,536 messages, so Message IDs stay unique per endpoint, RFC 7252 §4.5);
/// a CON probe goes out on the probe socket whose ACKs are timed.
/// </summary>
internal sealed class Storm
{
    public const int MessagesPerSocket = 65_536;

    public Storm(byte[][] frames, int[] route, int sockets, int probes)
    {
        Frames = frames;
        Route = route;
        Sockets = sockets;
        Probes = probes;
    }

    public byte[][] Frames { get; }

    /// <summary>≥ 0: index of the NON socket; &lt; 0: CON probe with Message ID −(value + 1).</summary>
    public int[] Route { get; }

    public int Sockets { get; }

    public int Probes { get; }

    public long Bytes => Frames.Sum(f => (long)f.Length);

    public static Socket Connect(IPEndPoint target)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.SendBufferSize = 4 * 1024 * 1024;
        s.Connect(target);
        return s;
    }

    /// <summary>
    /// Sends every frame to <paramref name="target"/> from <paramref name="threads"/> threads, paced at <paramref name="rate"/> per
    /// second when &gt; 0; the NONs of each due burst in <c>sendmmsg</c> batches per socket (<see cref="MultiSend"/>) unless
    /// <paramref name="eachAlone"/> or the platform has none. CON probes always go alone, timed.
    /// </summary>
    public SendResult Send(Socket[] sockets, Socket probe, long[]? probeSendTicks, double rate, int threads, bool eachAlone = false)
    {
        bool batched = !eachAlone && MultiSend.Supported;
        long first = long.MaxValue, last = 0, sent = 0, errors = 0;
        var workers = new Thread[threads];
        using var go = new Barrier(threads);
        for (int t = 0; t < threads; t++)
        {
            int me = t;
            workers[t] = new Thread(() =>
            {
                using var batch = batched ? new MultiSend(sockets) : null;
                batch?.Pin(Frames);
                go.SignalAndWait();
                long start = Stopwatch.GetTimestamp();
                double ticksPerDatagram = rate > 0 ? Stopwatch.Frequency * threads / rate : 0;
                long mySent = 0, myErrors = 0, n = 0;
                for (int i = me; i < Frames.Length; i += threads, n++)
                {
                    if (ticksPerDatagram > 0)
                    {
                        // Paced in bursts: sleep until this datagram is due, whole milliseconds at a time. A
                        // spinning pacer burns the core the receiver needs (perf: a quarter of all samples),
                        // where real senders are meters on other machines. Bursts of rate/1000 datagrams a
                        // millisecond are what a storm looks like anyway.
                        long due = start + (long)(n * ticksPerDatagram);
                        long wait = due - Stopwatch.GetTimestamp();
                        if (wait > Stopwatch.Frequency / 1000)
                        {
                            batch?.FlushAll(); // what is due goes out before the pause
                            Thread.Sleep((int)(wait * 1000 / Stopwatch.Frequency));
                        }
                    }

                    int r = Route[i];
                    try
                    {
                        if (r >= 0 && batch is not null)
                        {
                            batch.Add(r, Frames[i]);
                            continue; // counted when sent
                        }
                        else if (r >= 0)
                        {
                            sockets[r].Send(Frames[i]);
                        }
                        else
                        {
                            batch?.FlushAll(); // the probe's time is its own, not the queue's
                            if (probeSendTicks is not null)
                            {
                                probeSendTicks[-(r + 1)] = Stopwatch.GetTimestamp();
                            }

                            probe.Send(Frames[i]);
                        }

                        mySent++;
                    }
                    catch (SocketException)
                    {
                        myErrors++;
                    }
                }

                if (batch is not null)
                {
                    batch.FlushAll();
                    mySent += batch.Sent;
                    myErrors += batch.Errors;
                }

                long end = Stopwatch.GetTimestamp();
                lock (workers)
                {
                    first = Math.Min(first, start);
                    last = Math.Max(last, end);
                    sent += mySent;
                    errors += myErrors;
                }
            })
            { IsBackground = true, Name = $"storm-sender-{t}", Priority = ThreadPriority.AboveNormal };
            workers[t].Start();
        }

        foreach (var w in workers)
        {
            w.Join();
        }

        return new SendResult(first, last, sent, errors);
    }
}

/// <summary>The reference: a bare synchronous receive loop, no processing.</summary>
internal sealed class BareReceiver : IDisposable
{
    private readonly Socket _socket;
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _count;
    private long _lastTicks;

    public BareReceiver()
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.ReceiveBufferSize = 8 * 1024 * 1024; // what the product asks for
        _socket.ReceiveTimeout = 100;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _thread = new Thread(Loop) { IsBackground = true, Name = "bare-receiver" };
        _thread.Start();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public int EffectiveBuffer => _socket.ReceiveBufferSize;

    public long Count => Interlocked.Read(ref _count);

    public long LastTicks => Interlocked.Read(ref _lastTicks);

    private void Loop()
    {
        var buffer = new byte[65_536];
        while (!_stop)
        {
            try
            {
                _socket.Receive(buffer);
                Interlocked.Increment(ref _count);
                Volatile.Write(ref _lastTicks, Stopwatch.GetTimestamp());
            }
            catch (SocketException)
            {
                // timeout: look at _stop
            }
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        _socket.Dispose();
    }
}

/// <summary>Receives the ACKs of the CON probes and timestamps them by Message ID.</summary>
internal sealed class ProbeListener : IDisposable
{
    private readonly Socket _socket;
    private readonly Thread _thread;
    private readonly long[] _ackTicks;
    private volatile bool _stop;

    public ProbeListener(IPEndPoint target, int probes)
    {
        _socket = Storm.Connect(target);
        _socket.ReceiveTimeout = 100;
        _ackTicks = new long[Math.Max(probes, 1)];
        SendTicks = new long[Math.Max(probes, 1)];
        _thread = new Thread(Loop) { IsBackground = true, Name = "probe-acks" };
        _thread.Start();
    }

    public Socket Socket => _socket;

    public long[] SendTicks { get; }

    public long NotChanged;

    private void Loop()
    {
        var buffer = new byte[2048];
        while (!_stop)
        {
            int n;
            try
            {
                n = _socket.Receive(buffer);
            }
            catch (SocketException)
            {
                continue;
            }

            long now = Stopwatch.GetTimestamp();
            if (n < 4)
            {
                continue;
            }

            int mid = (buffer[2] << 8) | buffer[3];
            if (buffer[1] != 0x44)
            {
                Interlocked.Increment(ref NotChanged); // not 2.04 Changed
                continue;
            }

            if (mid < _ackTicks.Length && _ackTicks[mid] == 0)
            {
                _ackTicks[mid] = now;
            }
        }
    }

    /// <summary>send→ACK round trips in milliseconds of the probes answered, and how many were not.</summary>
    public (double[] Millis, int Missing) RoundTrips(int probes)
    {
        var list = new List<double>(probes);
        int missing = 0;
        for (int i = 0; i < probes; i++)
        {
            if (_ackTicks[i] != 0 && SendTicks[i] != 0)
            {
                list.Add((_ackTicks[i] - SendTicks[i]) * 1000.0 / Stopwatch.Frequency);
            }
            else
            {
                missing++;
            }
        }

        list.Sort();
        return (list.ToArray(), missing);
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        _socket.Dispose();
    }
}
