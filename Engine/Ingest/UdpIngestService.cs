using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Hosting;
using OpsConsole.Engine.Ingest.Processing;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Ingest;

/// <summary>
/// The head-end's front door: CoAP over UDP on <c>Hes:Port</c>. The socket shell: it binds the sockets and
/// runs the receive loops, one per core, each with its own <see cref="DatagramProcessor"/> (the AES-GCM decoder
/// is not thread-safe), and hands every accepted event to the <see cref="JournalWriter"/>, which appends,
/// acknowledges, hands to correlation and to the <see cref="EventIndexer"/>. It starts and stops both loops
/// and samples the kernel's drop counter once a second.
/// Nothing is dropped silently: every datagram is counted in <see cref="IngestStats"/> under one outcome.
/// </summary>
public sealed partial class UdpIngestService(
    IOptions<HesOptions> hes,
    IngestContextFactory contexts,
    EventStore store,
    JournalWriter journal,
    EventIndexer indexer,
    ILogger<UdpIngestService> logger,
    StartupWarmup? warmup = null) : IHostedService, IAsyncDisposable
{
    /// <summary>Events per journal append at most (<see cref="JournalWriter.MaxBatch"/>).</summary>
    public const int MaxBatch = JournalWriter.MaxBatch;

    /// <summary>
    /// GCM cache slots per receive worker, in 4-way sets: ~11 MiB each when full. A co-op's whole meter set fits (the
    /// 3,890 ckt24 meters fill under half the slots), so a power-up or a repeated last gasp finds its cipher ready; on a
    /// million-meter network a storm misses anyway (one frame per meter), costing ~1.2 µs more per frame
    /// (MeterCipherCache remarks).
    /// </summary>
    public const int CipherSlotsPerWorker = 8192;
    public const int ReceiveBufferBytes = 8 * 1024 * 1024;

    /// <summary>Max-Age of the 5.03 sent to a CON whose event the journal could not write (<see cref="JournalWriter.RetryAfterSeconds"/>).</summary>
    public const uint RetryAfterSeconds = JournalWriter.RetryAfterSeconds;

    private long _dropBaseline;

    private readonly Lock _stopGate = new();
    private Task? _stop;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private const int SolSocket = 1;   // Linux SOL_SOCKET
    private const int SoReusePort = 15; // Linux SO_REUSEPORT

    private List<Socket> _sockets = [];
    private IngestContext? _context;
    private ITimer? _purge;

    /// <summary>The bound endpoint (the real port when <c>Hes:Port</c> is 0); null before start.</summary>
    public IPEndPoint? LocalEndPoint => _sockets.Count > 0 ? _sockets[0].LocalEndPoint as IPEndPoint : null;

    /// <summary>True while the socket is bound and every loop runs.</summary>
    public bool IsListening => _sockets.Count > 0 && _loops.Count > 0 && _loops.TrueForAll(t => !t.IsCompleted);

    public IngestContext Context => _context ?? throw new InvalidOperationException("the listener has not started");

    /// <summary>The receive buffer of the listener's sockets as the OS reports it (Linux: twice the usable bytes); 0 before start.</summary>
    public int ReceiveBufferSize => _sockets.Count > 0 ? _sockets[0].ReceiveBufferSize : 0;

    /// <summary>The loops that have ended (faulted or completed) while the listener should run: empty when all run.</summary>
    public IReadOnlyList<string> StoppedLoops() =>
        [.. _loops.Select((t, i) => (t, i)).Where(x => x.t.IsCompleted)
            .Select(x => $"loop {x.i} {x.t.Status}: {x.t.Exception?.GetBaseException().GetType().Name} {x.t.Exception?.GetBaseException().Message}")];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var recovery = store.Recover();
        if (!recovery.Journal.IsClean)
        {
            LogJournalDamage(logger, recovery.Journal.TornTailBytes, recovery.Journal.Corruptions.Count);
        }

        _context = contexts.Create(recovery);
        int workers = Math.Max(1, Environment.ProcessorCount);
        _sockets = OpenSockets(hes.Value.Port, workers);
        LogListening(logger, LocalEndPoint!.Port, _sockets[0].ReceiveBufferSize, _sockets.Count, recovery.Journal.RecordCount, recovery.Reinserted);
        if (OperatingSystem.IsLinux() && _sockets[0].ReceiveBufferSize < 2 * ReceiveBufferBytes)
        {
            // Linux reports twice the usable size; less than asked means net.core.rmem_max capped it.
            LogBufferCapped(logger, _sockets[0].ReceiveBufferSize / 2, ReceiveBufferBytes);
        }

        // Bound and listening (datagrams wait in the socket buffer), not yet receiving. In the host the warm-up has run
        // beside the network's load (StartupWarmup) and is usually over by now; on its own, here.
        var warm = warmup is not null ? await warmup.Ingest.ConfigureAwait(false)
            : hes.Value.WarmupMs > 0 ? await IngestWarmup.RunAsync(contexts.Validation, TimeSpan.FromMilliseconds(hes.Value.WarmupMs)).ConfigureAwait(false) : null;
        if (warm is { } w)
        {
            LogWarmedUp(logger, w.Rounds * IngestWarmup.PerRound, (long)w.Elapsed.TotalMilliseconds, w.MethodsCompiled);
        }
        // Dedicated threads with blocking waits: async receive loops that always find a datagram
        // waiting never yield their pool thread, starving the journal writer's continuations
        // (StormBench: accepted events stalled at the queue capacity).
        for (int i = 0; i < workers; i++)
        {
            var socket = _sockets[i % _sockets.Count];
            string name = $"hes-receive-{i}";
            _loops.Add(Task.Factory.StartNew(() => ReceiveLoop(socket, name, _stopping.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
        }

        var context = _context;
        _loops.Add(Task.Factory.StartNew(() => journal.Run(context), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
        _loops.Add(Task.Factory.StartNew(() => indexer.Run(context.Time, _stopping.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)); // on stop, pending indexing is left to the next start's recovery
        _dropBaseline = KernelDrops.Read(LocalEndPoint!.Port) ?? 0;
        _purge = _context.Time.CreateTimer(_ =>
        {
            _context.PurgeExpired();
            SampleKernelDrops();
        }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>
    /// One socket per receive worker on the same port (Linux <c>SO_REUSEPORT</c>): the kernel hashes each
    /// sender's address and port to one socket, so a gateway's datagrams stay in order through one worker.
    /// Two workers sharing a socket reorder a meter's frames, and the replay check (strictly increasing
    /// invocation counters, wire-format.md §2) then rejects the later-processed earlier frame as a replay.
    /// The price: one gateway's traffic is handled by one worker. Where <c>SO_REUSEPORT</c> is missing, one
    /// socket and one worker.
    /// </summary>
    /// <remarks>
    /// <c>SO_REUSEPORT</c> would let a second head-end of the same user join the group and silently take
    /// half the traffic; so a fixed port is first bound once without it, which fails when anyone holds it.
    /// </remarks>
    private static List<Socket> OpenSockets(int port, int workers)
    {
        if (port != 0)
        {
            using var probe = NewSocket();
            Bind(probe, port);
        }

        var sockets = new List<Socket>(workers);
        try
        {
            for (int i = 0; i < workers; i++)
            {
                var socket = NewSocket();
                sockets.Add(socket);
                bool grouped = OperatingSystem.IsLinux() && TrySetReusePort(socket);
                Bind(socket, i == 0 ? port : ((IPEndPoint)sockets[0].LocalEndPoint!).Port);
                if (!grouped)
                {
                    break;
                }
            }

            return sockets;
        }
        catch
        {
            sockets.ForEach(s => s.Dispose());
            throw;
        }

        static Socket NewSocket() => new(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true, ReceiveBufferSize = ReceiveBufferBytes };

        static void Bind(Socket socket, int port)
        {
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.IPv6Any, port));
            }
            catch (SocketException ex)
            {
                throw new StartupException($"Hes:Port = {port}: cannot listen on this UDP port ({ex.SocketErrorCode}: {ex.Message})", ex);
            }
        }

        static bool TrySetReusePort(Socket socket)
        {
            try
            {
                socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }
    }

    private void ReceiveLoop(Socket socket, string name, CancellationToken ct)
    {
        DedicatedThread.Name(name);
        var context = _context!;
        using var processor = new DatagramProcessor(context, CipherSlotsPerWorker);
        using var receiver = new BatchReceiver(socket);
        var response = new byte[512];
        while (!ct.IsCancellationRequested)
        {
            ReadOnlySpan<BatchReceiver.Datagram> batch;
            try
            {
                batch = receiver.Receive();
            }
            catch (ObjectDisposedException)
            {
                break; // stopping
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.MessageSize)
            {
                continue; // ICMP port unreachable from an earlier send: not fatal
            }
            catch (SocketException) when (ct.IsCancellationRequested)
            {
                break;
            }

            foreach (ref readonly var datagram in batch)
            {
                Handle(processor, socket, datagram, response);
            }
        }
    }

    private void Handle(DatagramProcessor processor, Socket socket, in BatchReceiver.Datagram datagram, byte[] response)
    {
        var source = datagram.Source;
        DatagramResult result;
        try
        {
            result = datagram.Truncated
                ? processor.RejectOversized(source, datagram.Length, BatchReceiver.SlotBytes)
                : processor.Process(datagram.Payload, source, response);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug, not bad input (the codecs return typed failures): keep listening, say so loudly.
            LogProcessingFault(logger, ex, source.ToString());
            return;
        }

        if (result.SendNow)
        {
            Send(socket, response.AsSpan(0, result.ResponseLength), source, logger);
        }

        if (result.Outcome == DatagramOutcome.Persist && result.Event is { } recorded)
        {
            var ack = result.SendAfterDurable ? response.AsSpan(0, result.ResponseLength).ToArray() : null;
            var pending = new PendingEvent(recorded, source, socket, result.Source, result.MessageId, ack);
            if (!journal.TryEnqueue(pending))
            {
                _context!.RejectOverloaded(recorded, result.Source, result.MessageId, "journal queue full", result.IsConfirmable);
            }
        }
    }

    /// <summary>Counts and logs what the kernel dropped on this port since start (once a second).</summary>
    private void SampleKernelDrops()
    {
        if (LocalEndPoint is not { } local || KernelDrops.Read(local.Port) is not { } drops)
        {
            return;
        }

        long sinceStart = Math.Max(0, drops - _dropBaseline);
        var stats = _context!.Stats;
        long before = stats.KernelDropped;
        if (sinceStart > before)
        {
            stats.SetKernelDropped(sinceStart);
            LogKernelDrops(logger, sinceStart - before, local.Port, sinceStart);
        }
    }

    /// <summary>Sends one datagram; a failure is logged, not thrown (the meter retries a CON).</summary>
    internal static void Send(Socket socket, ReadOnlySpan<byte> datagram, IPEndPoint destination, ILogger logger)
    {
        try
        {
            socket.SendTo(datagram, SocketFlags.None, destination);
        }
        catch (SocketException ex)
        {
            LogSendFault(logger, ex.SocketErrorCode.ToString(), destination.ToString());
        }
        catch (ObjectDisposedException)
        {
            // Stopping.
        }
    }

    /// <summary>Stops the listener; safe to call more than once (each call waits for the one stop).</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stopGate)
        {
            _stop ??= StopOnceAsync();
        }

        return _stop.WaitAsync(cancellationToken);
    }

    private async Task StopOnceAsync()
    {
        if (_sockets.Count == 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false); // receive loops see it within BatchReceiver.IdlePoll
        _purge?.Dispose();
        _sockets.ForEach(s => s.Dispose()); // ACKs still queued are lost; their events are durable
        journal.Complete();
        await Task.WhenAll(_loops).ConfigureAwait(false);
        if (_context is not null)
        {
            await _context.Log.FlushAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_stopGate)
        {
            _stop ??= Task.CompletedTask; // a stop after disposal has nothing left to stop
        }

        _purge?.Dispose();
        _sockets.ForEach(s => s.Dispose());
        _stopping.Dispose();
        await ValueTask.CompletedTask.ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information,
        Message = "CoAP listener on UDP port {Port} (receive buffer {BufferBytes} bytes, {Sockets} sockets); journal holds {Records} events, {Reinserted} re-indexed")]
    private static partial void LogListening(ILogger logger, int port, int bufferBytes, int sockets, long records, long reinserted);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information,
        Message = "Ingest warmed up before taking traffic: {Datagrams} synthetic datagrams in {ElapsedMs} ms, {Methods} methods compiled (Hes:WarmupMs)")]
    private static partial void LogWarmedUp(ILogger logger, int datagrams, long elapsedMs, long methods);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning,
        Message = "The kernel dropped {Count} datagrams on UDP port {Port} in the last second (receive buffer full; {Total} since start): the head-end is not keeping up")]
    private static partial void LogKernelDrops(ILogger logger, long count, int port, long total);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning,
        Message = "UDP receive buffer is {Usable} bytes, not the {Requested} asked for: net.core.rmem_max caps it. A storm burst the listener cannot absorb is dropped by the kernel; raise the cap as root: sysctl -w net.core.rmem_max=16777216, and to keep it after a reboot: echo net.core.rmem_max=16777216 > /etc/sysctl.d/90-opsconsole.conf; then restart the console")]
    private static partial void LogBufferCapped(ILogger logger, int usable, int requested);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Event journal damage found at start: {TornTailBytes} torn bytes cut from the tail, {Corruptions} damaged regions reported")]
    private static partial void LogJournalDamage(ILogger logger, long tornTailBytes, int corruptions);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Processing a datagram from {Source} failed; the listener goes on")]
    private static partial void LogProcessingFault(ILogger logger, Exception ex, string source);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Sending a response to {Destination} failed: {Error}")]
    private static partial void LogSendFault(ILogger logger, string error, string destination);
}
