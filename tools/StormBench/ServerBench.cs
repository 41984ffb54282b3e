using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace OpsConsole.Tools.StormBench;

/// <summary>
/// Out-of-process mode (<c>--server</c>): every repetition starts the console as a user starts it
/// (<c>dotnet run -c Release --project Console.Server</c> by default, or <c>--server-cmd</c>), on a fresh
/// data folder and free ports, waits for <c>/healthz</c>, sends the storm from this process and reads
/// the outcome from <c>GET /api/stats</c> only. Nothing of the server is loaded in this process.
/// </summary>
internal static partial class ServerBench
{
    public static async Task<int> RunAsync(BenchOptions o, string topology, List<(Guid Guid, ulong Title)> meters,
        Func<FrameFactory, int, int, Storm> buildStorm)
    {
        string loadStart = Proc.LoadAverage();
        var reps = new List<ServerRep>();
        for (int rep = 1; rep <= o.Repetitions; rep++)
        {
            var r = await RunRepetitionAsync(o, topology, meters, buildStorm, rep);
            reps.Add(r);
            System.Console.WriteLine(r.Line());
        }

        Print(o, reps, loadStart, Proc.LoadAverage());
        return reps.All(r => r.Healthy) ? 0 : 1;
    }

    private static async Task<ServerRep> RunRepetitionAsync(BenchOptions o, string topology, List<(Guid Guid, ulong Title)> meters,
        Func<FrameFactory, int, int, Storm> buildStorm, int rep)
    {
        using var folder = new TempFolder();
        int udp = FreePort(SocketType.Dgram, ProtocolType.Udp);
        int http = FreePort(SocketType.Stream, ProtocolType.Tcp);
        string apiKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        string keyFile = Path.Combine(folder.Path, "keys", "master.key");
        var (file, cmdArgs) = Command(o.ServerCommand);
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in cmdArgs)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var a in new[]
        {
            $"--urls=http://127.0.0.1:{http}",
            $"--Hes:Port={udp}",
            $"--Storage:Path={Path.Combine(folder.Path, "db")}",
            $"--Security:MasterKeyFile={keyFile}",
            $"--Topology:File={topology}",
            $"--Validation:TransitAllowanceMs={o.TransitAllowanceMs}",
        })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["Api__Keys__0__Key"] = apiKey;
        psi.Environment["Api__Keys__0__Role"] = "dispatcher";
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var started = Stopwatch.StartNew();
        using var server = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        server.OutputDataReceived += (_, e) => { if (e.Data is { } l) { output.Enqueue(l); } };
        server.ErrorDataReceived += (_, e) => { if (e.Data is { } l) { output.Enqueue(l); } };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}"), Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        try
        {
            double healthySeconds = await WaitHealthyAsync(client, server, started, TimeSpan.FromSeconds(120));
            if (double.IsNaN(healthySeconds))
            {
                System.Console.WriteLine($"rep {rep}: the server did not become healthy; its last output:");
                foreach (var l in output.TakeLast(30))
                {
                    System.Console.WriteLine("  " + l);
                }

                return new ServerRep(rep) { Healthy = false };
            }

            var master = await File.ReadAllBytesAsync(keyFile);
            Storm storm;
            using (var factory = new FrameFactory(meters, master))
            {
                storm = buildStorm(factory, o.Events, o.ConEvery);
            }

            GC.Collect();
            Thread.Sleep(o.SettleMs); // "started seconds before": the storm meets a server that has just come up
            var (serverPid, receiveBuffer) = SocketOwner(udp);
            string load = Proc.LoadAverage();
            var before = await StatsAsync(client);
            var cpuBefore = serverPid > 0 ? ThreadCpu.Snapshot(serverPid) : [];
            var target = new IPEndPoint(IPAddress.Loopback, udp);
            using var listener = new ProbeListener(target, storm.Probes);
            var sockets = Enumerable.Range(0, storm.Sockets).Select(_ => Storm.Connect(target)).ToArray();
            SendResult sent = default;
            var sender = Task.Factory.StartNew(() => sent = storm.Send(sockets, listener.Socket, listener.SendTicks, o.Rate, o.Senders, o.SendEach),
                TaskCreationOptions.LongRunning);

            // Poll the server's own counters; done when every datagram it received has an outcome and
            // nothing moved for 1.5 s after the sender finished (15 s when something is still queued).
            var last = before;
            long lastAcceptedGrowth = Stopwatch.GetTimestamp(), lastActivity = lastAcceptedGrowth;
            Stats now;
            while (true)
            {
                Thread.Sleep(50);
                now = await StatsAsync(client);
                long t = Stopwatch.GetTimestamp();
                if (now.Accepted != last.Accepted)
                {
                    lastAcceptedGrowth = t;
                    lastActivity = t;
                }

                if (now.Received != last.Received)
                {
                    lastActivity = t;
                }

                last = now;
                bool settled = now.Received <= now.Accepted + now.Duplicates + now.Rejected + now.Control;
                if (sender.IsCompleted && (t - lastActivity) > Stopwatch.Frequency * (settled ? 1.5 : 15))
                {
                    break;
                }
            }

            var cpu = serverPid > 0 ? ThreadCpu.Between(cpuBefore, ThreadCpu.Snapshot(serverPid)) : [];
            await sender;
            foreach (var s in sockets)
            {
                s.Dispose();
            }

            var (rtt, missing) = listener.RoundTrips(storm.Probes);
            long accepted = now.Accepted - before.Accepted;
            long recorded = accepted + (now.Duplicates - before.Duplicates) + (now.Rejected - before.Rejected);
            double seconds = (lastAcceptedGrowth - sent.FirstTicks) / (double)Stopwatch.Frequency;
            return new ServerRep(rep)
            {
                Healthy = true,
                HealthySeconds = healthySeconds,
                Sent = sent.Sent,
                SendRate = sent.Sent / sent.Seconds,
                Accepted = accepted,
                Lost = sent.Sent - recorded,
                KernelDropped = now.KernelDropped - before.KernelDropped,
                Overload = now.Overload - before.Overload,
                RecordedRate = accepted / seconds,
                ReceiveBuffer = receiveBuffer,
                ServerRssMb = serverPid > 0 ? Proc.StatusKb("VmHWM", serverPid.ToString(CultureInfo.InvariantCulture)) / 1024.0 : double.NaN,
                Load = load,
                P50 = Report.Percentile(rtt, 0.50),
                P99 = Report.Percentile(rtt, 0.99),
                ProbesMissing = missing,
                CpuSeconds = cpu,
            };
        }
        finally
        {
            try
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
        }
    }

    private static async Task<double> WaitHealthyAsync(HttpClient client, Process server, Stopwatch started, TimeSpan max)
    {
        while (started.Elapsed < max && !server.HasExited)
        {
            try
            {
                using var r = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    return started.Elapsed.TotalSeconds;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
            }

            Thread.Sleep(100);
        }

        return double.NaN;
    }

    private readonly record struct Stats(long Received, long Accepted, long Duplicates, long Rejected, long Control, long KernelDropped, long Overload);

    private static async Task<Stats> StatsAsync(HttpClient client)
    {
        using var doc = await client.GetFromJsonAsync<JsonDocument>(new Uri("/api/stats", UriKind.Relative))
            ?? throw new InvalidOperationException("GET /api/stats: empty answer");
        var d = doc.RootElement.GetProperty("datagrams");
        long overload = 0;
        if (doc.RootElement.TryGetProperty("rejected", out var rejected) && rejected.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in rejected.EnumerateObject())
            {
                if (p.Name.Contains("OVERLOAD", StringComparison.OrdinalIgnoreCase) && p.Value.TryGetInt64(out long n))
                {
                    overload += n;
                }
            }
        }

        return new Stats(d.GetProperty("received").GetInt64(), d.GetProperty("accepted").GetInt64(), d.GetProperty("duplicates").GetInt64(),
            d.GetProperty("rejected").GetInt64(), d.GetProperty("control").GetInt64(), d.GetProperty("kernelDropped").GetInt64(), overload);
    }

    /// <summary>The process that owns the UDP port and its socket's receive buffer (<c>ss</c>'s skmem <c>rb</c>, the bytes the kernel granted).</summary>
    private static (int Pid, long ReceiveBuffer) SocketOwner(int port)
    {
        try
        {
            var psi = new ProcessStartInfo("ss", ["-uamnpH", "sport", "=", $":{port}"]) { RedirectStandardOutput = true, UseShellExecute = false };
            using var ss = Process.Start(psi)!;
            string text = ss.StandardOutput.ReadToEnd();
            ss.WaitForExit();
            var pid = PidPattern().Match(text);
            var rb = BufferPattern().Match(text);
            return (pid.Success ? int.Parse(pid.Groups[1].Value, CultureInfo.InvariantCulture) : -1,
                rb.Success ? long.Parse(rb.Groups[1].Value, CultureInfo.InvariantCulture) : -1);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (-1, -1); // no ss
        }
    }

    [GeneratedRegex(@"pid=(\d+)")]
    private static partial Regex PidPattern();

    [GeneratedRegex(@"\brb(\d+)")]
    private static partial Regex BufferPattern();

    private static int FreePort(SocketType type, ProtocolType protocol)
    {
        using var s = new Socket(AddressFamily.InterNetwork, type, protocol);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>The server command: the given one, or <c>dotnet run -c Release --project &lt;repo&gt;/Console.Server --</c>.</summary>
    private static (string File, string[] Args) Command(string? command)
    {
        if (!string.IsNullOrWhiteSpace(command))
        {
            var parts = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return (parts[0], parts[1..]);
        }

        string? dir = Directory.GetCurrentDirectory();
        while (dir is not null && !File.Exists(Path.Combine(dir, "OpsConsole.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        if (dir is null)
        {
            throw new ArgumentException("--server: run from the repository (OpsConsole.sln not found above the current folder) or give --server-cmd");
        }

        return ("dotnet", ["run", "-c", "Release", "--no-launch-profile", "--project", Path.Combine(dir, "Console.Server"), "--"]);
    }

    private static void Print(BenchOptions o, List<ServerRep> reps, string loadStart, string loadEnd)
    {
        var ok = reps.Where(r => r.Healthy).ToList();
        System.Console.WriteLine();
        System.Console.WriteLine($"OUT OF PROCESS: {ok.Count} of {reps.Count} servers healthy; offered {(o.Rate > 0 ? o.Rate.ToString("N0", CultureInfo.InvariantCulture) + "/s" : "unpaced")}, {o.Events:N0} per repetition; load average {loadStart} -> {loadEnd}");
        if (ok.Count == 0)
        {
            return;
        }

        System.Console.WriteLine($"  sent/s            median {Report.Median(ok.Select(r => r.SendRate)):N0}, worst {ok.Min(r => r.SendRate):N0}");
        System.Console.WriteLine($"  recorded/s        median {Report.Median(ok.Select(r => r.RecordedRate)):N0}, worst {ok.Min(r => r.RecordedRate):N0}");
        System.Console.WriteLine($"  lost              median {Report.Median(ok.Select(r => (double)r.Lost)):N0}, worst {ok.Max(r => r.Lost):N0} (kernelDropped total {ok.Sum(r => r.KernelDropped):N0}, overload total {ok.Sum(r => r.Overload):N0})");
        System.Console.WriteLine($"  lossless          {ok.Count(r => r.Lost == 0)} of {ok.Count}");
        System.Console.WriteLine($"  healthy after     median {Report.Median(ok.Select(r => r.HealthySeconds)):F1} s, worst {ok.Max(r => r.HealthySeconds):F1} s");
        System.Console.WriteLine($"  receive buffer    {string.Join(", ", ok.Select(r => r.ReceiveBuffer).Distinct())} bytes granted (ss skmem rb); net.core.rmem_max {Proc.RmemMax()}");
        System.Console.WriteLine($"  server peak RSS   median {Report.Median(ok.Select(r => r.ServerRssMb)):N0} MB");
        var withCpu = ok.Where(r => r.CpuSeconds.Count > 0).ToList();
        if (withCpu.Count > 0)
        {
            // Server CPU from the storm's first datagram until the counters settled (1.5 s idle included), per datagram sent.
            System.Console.WriteLine($"  server CPU        median {Report.Median(withCpu.Select(r => r.CpuMicrosPerDatagram(null))):F2} µs per datagram sent, worst {withCpu.Max(r => r.CpuMicrosPerDatagram(null)):F2} (all threads, storm until settled)");
            foreach (var group in withCpu.SelectMany(r => r.CpuSeconds.Keys).Distinct()
                .Select(g => (Group: g, Median: Report.Median(withCpu.Select(r => r.CpuMicrosPerDatagram(g)))))
                .Where(g => g.Median >= 0.05).OrderByDescending(g => g.Median))
            {
                System.Console.WriteLine($"    {group.Median,6:F2} µs  {group.Group}");
            }
        }
    }
}

internal sealed record ServerRep(int Rep)
{
    public bool Healthy { get; init; }
    public double HealthySeconds { get; init; }
    public long Sent { get; init; }
    public double SendRate { get; init; }
    public long Accepted { get; init; }
    public long Lost { get; init; }
    public long KernelDropped { get; init; }
    public long Overload { get; init; }
    public double RecordedRate { get; init; }
    public long ReceiveBuffer { get; init; }
    public double ServerRssMb { get; init; }
    public string Load { get; init; } = "?";
    public double P50 { get; init; }
    public double P99 { get; init; }
    public int ProbesMissing { get; init; }
    public Dictionary<string, double> CpuSeconds { get; init; } = [];

    /// <summary>Server CPU per datagram sent, of one thread group or (null) of all.</summary>
    public double CpuMicrosPerDatagram(string? group) =>
        Sent == 0 ? double.NaN : (group is null ? CpuSeconds.Values.Sum() : CpuSeconds.GetValueOrDefault(group)) * 1e6 / Sent;

    public string Line()
    {
        if (!Healthy)
        {
            return $"rep {Rep}: server not healthy";
        }

        var i = CultureInfo.InvariantCulture;
        string line = string.Create(i, $"rep {Rep}: healthy after {HealthySeconds:F1} s; sent {Sent:N0} at {SendRate:N0}/s; recorded {Accepted:N0} at {RecordedRate:N0}/s; lost {Lost:N0} (kernelDropped {KernelDropped:N0}, overload {Overload:N0}); rcvbuf {ReceiveBuffer:N0}; server VmHWM {ServerRssMb:N0} MB; load {Load}");
        if (CpuSeconds.Count > 0)
        {
            line += string.Create(i, $"; server CPU {CpuMicrosPerDatagram(null):F2} µs/datagram");
        }

        return P50 > 0 ? line + string.Create(i, $"; CON ACK p50 {P50:F1} ms p99 {P99:F1} ms, {ProbesMissing} unanswered") : line;
    }
}
