using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Console.Server.Hosting;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Tools.StormBench;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

string topology = ResolveTopology(options.Topology);
var meters = FrameFactory.ReadMeters(topology);
if (meters.Count == 0)
{
    Console.Error.WriteLine($"{topology}: no meter features with guid and systemTitle");
    return 2;
}

Console.WriteLine($"StormBench: {meters.Count} meters from {topology}; {Environment.ProcessorCount} cores; server GC = {System.Runtime.GCSettings.IsServerGC}");
Console.WriteLine($"net.core.rmem_max = {Proc.RmemMax()} bytes; load average at start: {Proc.LoadAverage()}");
Console.WriteLine($"Host started with --Validation:TransitAllowanceMs={options.TransitAllowanceMs} (frames are pre-built and pre-stamped; see README.md)");

if (options.Server)
{
    return await ServerBench.RunAsync(options, topology, meters, (f, n, con) => BuildStorm(f, n, con, DateTimeOffset.UtcNow, counterBase: 0));
}

if (options.Profile)
{
    return await Profile.RunAsync(options, topology, meters, (f, n, b) => BuildStorm(f, n, 0, DateTimeOffset.UtcNow, b));
}

if (options.DurationSeconds > 0)
{
    return await Soak.RunAsync(options, topology, meters);
}

string loadStart = Proc.LoadAverage();
var reps = new List<RepResult>();
for (int rep = 1; rep <= options.Repetitions; rep++)
{
    var r = await RunRepetitionAsync(options, topology, meters, rep);
    reps.Add(r);
    Console.WriteLine(r.Line());
}

string loadEnd = Proc.LoadAverage();
Report.Print(options, meters.Count, reps, loadStart, loadEnd);
return 0;

static string ResolveTopology(string path)
{
    if (File.Exists(path))
    {
        return Path.GetFullPath(path);
    }

    var beside = Path.Combine(AppContext.BaseDirectory, path);
    return File.Exists(beside) ? beside : throw new FileNotFoundException($"topology not found: {path}");
}

static async Task<RepResult> RunRepetitionAsync(BenchOptions o, string topology, List<(Guid Guid, ulong Title)> meters, int rep)
{
    using var folder = new TempFolder();
    await using var host = await Host.StartAsync(folder.Path, topology, o.TransitAllowanceMs, !o.NoWarmup);
    var master = await File.ReadAllBytesAsync(host.KeyFile);

    // Pre-build: meter = i mod M, so one meter's successive events (counter and event id +1) are M datagrams apart.
    var build = Stopwatch.StartNew();
    Storm storm;
    using (var factory = new FrameFactory(meters, master))
    {
        storm = BuildStorm(factory, o.Events, o.ConEvery, DateTimeOffset.UtcNow, counterBase: 0);
    }

    build.Stop();
    GC.Collect();
    Thread.Sleep(1500); // let the host's start-up work (topology import, indexing) settle

    // 1) the reference: bare socket, same bytes, same sender code
    double bareRate;
    long bareLoss, bareDrops;
    int bareBuffer;
    using (var bare = new BareReceiver())
    {
        var socks = Enumerable.Range(0, storm.Sockets).Select(_ => Storm.Connect(bare.EndPoint)).ToArray();
        using var probe = Storm.Connect(bare.EndPoint);
        var sent = storm.Send(socks, probe, null, o.Rate, o.Senders, o.SendEach);
        WaitQuiet(() => bare.Count, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));
        long received = bare.Count;
        double seconds = (Math.Max(bare.LastTicks, sent.LastTicks) - sent.FirstTicks) / (double)Stopwatch.Frequency;
        bareRate = received / seconds;
        bareLoss = sent.Sent - received;
        bareDrops = (KernelDrops.Read(bare.EndPoint.Port) ?? -1);
        bareBuffer = bare.EffectiveBuffer;
        foreach (var s in socks)
        {
            s.Dispose();
        }
    }

    Thread.Sleep(500);

    // 2) the product
    Proc.ResetPeakRss();
    long rcvbufBefore = Proc.RcvbufErrors();
    var before = host.Stats.Snapshot();
    using var listener = new ProbeListener(host.Target, storm.Probes);
    var nonSockets = Enumerable.Range(0, storm.Sockets).Select(_ => Storm.Connect(host.Target)).ToArray();
    SendResult result = default;
    var sender = Task.Factory.StartNew(() => result = storm.Send(nonSockets, listener.Socket, listener.SendTicks, o.Rate, o.Senders, o.SendEach), TaskCreationOptions.LongRunning);

    long lastAccepted = -1, lastProcessed = -1;
    long lastAcceptedGrowth = Stopwatch.GetTimestamp(), lastActivity = lastAcceptedGrowth;
    long peakGc = 0;
    while (true)
    {
        Thread.Sleep(5);
        var s = host.Stats.Snapshot();
        long now = Stopwatch.GetTimestamp();
        if (s.Accepted != lastAccepted)
        {
            lastAccepted = s.Accepted;
            lastAcceptedGrowth = now;
            lastActivity = now;
        }

        if (s.Received != lastProcessed)
        {
            lastProcessed = s.Received;
            lastActivity = now; // datagrams still being processed
        }

        peakGc = Math.Max(peakGc, GC.GetTotalMemory(false));
        // Done when nothing moved for 1.5 s and every received datagram has an outcome (none still queued
        // for the journal); give up after 15 s without progress (then the queue is reported as stuck).
        bool settled = s.Received <= s.Accepted + s.Duplicates + s.RejectedTotal + s.Control;
        if (sender.IsCompleted && (now - lastActivity) > Stopwatch.Frequency * (settled ? 1.5 : 15))
        {
            break;
        }
    }

    await sender;
    int indexBacklog = host.IndexQueue;
    int journalQueue = host.JournalQueue;
    string health = host.LoopHealth();
    if (health.Length > 0 || journalQueue > 0)
    {
        Console.WriteLine($"rep {rep}: PRODUCT LOOPS: [{health}]; journal queue still holds {journalQueue:N0} events after 15 s without progress");
    }
    var after = host.Stats.Snapshot();
    long accepted = after.Accepted - before.Accepted;
    long duplicates = after.Duplicates - before.Duplicates;
    long rejected = after.RejectedTotal - before.RejectedTotal;
    long control = after.Control - before.Control;
    long receivedByServer = after.Received - before.Received;

    // From the first send to the last growth of Accepted (5 ms polling).
    double productSeconds = (lastAcceptedGrowth - result.FirstTicks) / (double)Stopwatch.Frequency;
    var (rtt, missing) = listener.RoundTrips(storm.Probes);
    var reasons = string.Join(", ", after.Rejected.Where(kv => kv.Value > (before.Rejected.TryGetValue(kv.Key, out var b) ? b : 0))
        .Select(kv => $"{kv.Key}={kv.Value - (before.Rejected.TryGetValue(kv.Key, out var b2) ? b2 : 0)}"));
    var r = new RepResult(rep)
    {
        BuildSeconds = build.Elapsed.TotalSeconds,
        Sent = result.Sent,
        SendErrors = result.Errors,
        SendRate = result.Sent / result.Seconds,
        BareRate = bareRate,
        BareLoss = bareLoss,
        BareSocketDrops = bareDrops,
        BareBuffer = bareBuffer,
        ServerReceived = receivedByServer,
        Accepted = accepted,
        Duplicates = duplicates,
        Rejected = rejected,
        Control = control,
        RejectReasons = reasons,
        Loss = result.Sent - (accepted + duplicates + rejected),
        AcceptedRate = accepted / productSeconds,
        ProductSocketDrops = (KernelDrops.Read(host.Target.Port) ?? -1),
        RcvbufErrorsDelta = Proc.RcvbufErrors() - rcvbufBefore,
        ProductBuffer = host.EffectiveReceiveBuffer,
        Probes = storm.Probes,
        ProbesMissing = missing,
        ProbeNotChanged = Interlocked.Read(ref listener.NotChanged),
        P50 = Report.Percentile(rtt, 0.50),
        P99 = Report.Percentile(rtt, 0.99),
        Max = rtt.Length > 0 ? rtt[^1] : double.NaN,
        VmHwmMb = Proc.StatusKb("VmHWM") / 1024.0,
        GcPeakMb = peakGc / 1048576.0,
        FramesMb = storm.Bytes / 1048576.0,
        IndexBacklogBatches = indexBacklog,
    };
    foreach (var s in nonSockets)
    {
        s.Dispose();
    }

    return r;
}

static void WaitQuiet(Func<long> counter, TimeSpan quiet, TimeSpan max)
{
    var total = Stopwatch.StartNew();
    long last = counter();
    var still = Stopwatch.StartNew();
    while (total.Elapsed < max)
    {
        Thread.Sleep(5);
        long now = counter();
        if (now != last)
        {
            last = now;
            still.Restart();
        }
        else if (still.Elapsed > quiet)
        {
            return;
        }
    }
}

static Storm BuildStorm(FrameFactory factory, int events, int conEvery, DateTimeOffset now, uint counterBase)
{
    // Each meter sends through one gateway (socket), as in the field: its frames arrive in order on one
    // endpoint. Probe meters (every conEvery-th meter) send all their frames as CONs through the probe
    // socket, whose ACKs are timed; the others send NONs through one of the gateway sockets, enough of
    // them that no socket carries more than 65,536 Message IDs (RFC 7252 §4.5).
    bool IsProbe(int meter) => conEvery > 0 && meter % conEvery == conEvery - 1;
    int sockets = 8;
    while (true)
    {
        var perSocket = new int[sockets];
        for (int i = 0; i < events; i++)
        {
            int m = i % factory.Count;
            if (!IsProbe(m))
            {
                perSocket[m % sockets]++;
            }
        }

        if (perSocket.Max() <= Storm.MessagesPerSocket)
        {
            break;
        }

        sockets *= 2;
    }

    var frames = new byte[events][];
    var route = new int[events];
    var nextMid = new int[sockets];
    int probeIndex = 0;
    for (int i = 0; i < events; i++)
    {
        int meter = i % factory.Count;
        uint round = (uint)(i / factory.Count) + 1 + counterBase;
        bool con = IsProbe(meter) && probeIndex < Storm.MessagesPerSocket;
        ushort mid;
        if (con)
        {
            mid = (ushort)probeIndex;
            route[i] = -(probeIndex + 1);
            probeIndex++;
        }
        else
        {
            int socket = meter % sockets;
            mid = (ushort)nextMid[socket]++;
            route[i] = socket;
        }

        frames[i] = factory.LastGasp(meter, counter: round, eventId: round, con ? CoapType.Confirmable : CoapType.NonConfirmable, mid, now);
    }

    return new Storm(frames, route, sockets, probeIndex);
}

/// <summary>The real head-end, in-process, on a temp folder with a fresh journal.</summary>
internal sealed class Host : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IngestGauges _gauges;

    private Host(WebApplication app, string keyFile)
    {
        _app = app;
        KeyFile = keyFile;
        Service = app.Services.GetRequiredService<UdpIngestService>();
        _gauges = new IngestGauges(app.Services.GetRequiredService<IngestTelemetry>().Meter);
        Stats = Service.Context.Stats;
        Target = new IPEndPoint(IPAddress.Loopback, Service.LocalEndPoint!.Port);
    }

    public string KeyFile { get; }

    public IServiceProvider Services => _app.Services;

    public UdpIngestService Service { get; }

    public IngestStats Stats { get; }

    public IPEndPoint Target { get; }

    /// <summary>SO_RCVBUF of the product's socket as Linux reports it (twice the usable bytes).</summary>
    public int EffectiveReceiveBuffer => Service.ReceiveBufferSize;

    public static async Task<Host> StartAsync(string folder, string topology, int transitMs, bool warmup = true)
    {
        string keyFile = Path.Combine(folder, "keys", "master.key");
        var app = ConsoleHost.Build([
            "--urls=http://127.0.0.1:0",
            "--Hes:Port=0",
            $"--Storage:Path={Path.Combine(folder, "db")}",
            $"--Security:MasterKeyFile={keyFile}",
            $"--Topology:File={topology}",
            $"--Validation:TransitAllowanceMs={transitMs}",
            "--Logging:LogLevel:Default=Warning",
            .. warmup ? Array.Empty<string>() : ["--Hes:WarmupMs=0", "--Correlation:WarmupMs=0"],
        ]);
        await app.StartAsync();
        return new Host(app, keyFile);
    }

    /// <summary>Accepted events waiting for the journal: the product's <c>opsconsole.ingest.journal.queue.depth</c> gauge.</summary>
    public int JournalQueue => (int)_gauges.Read(IngestTelemetry.JournalQueue);

    /// <summary>Journaled batches waiting to be indexed: the product's <c>opsconsole.ingest.index.queue.depth</c> gauge.</summary>
    public int IndexQueue => (int)_gauges.Read(IngestTelemetry.IndexQueue);

    /// <summary>Faulted or completed loops of the listener: "" when all run.</summary>
    public string LoopHealth() => string.Join("; ", Service.StoppedLoops());

    public async ValueTask DisposeAsync()
    {
        var stop = Stopwatch.StartNew();
        int backlog = IndexQueue;
        try
        {
            await _app.StopAsync();
        }
        catch (OperationCanceledException)
        {
            System.Console.WriteLine($"NOTE: host stop timed out after {stop.Elapsed.TotalSeconds:F0} s (index backlog at stop: {backlog:N0} batches); the product's StopAsync waits for the LiteDB indexer to drain");
        }

        await _app.DisposeAsync();
        _gauges.Dispose();
    }
}

internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("stormbench-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
