using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace OpsConsole.Tools.TopologyBench;

/// <summary>
/// <c>server</c>: the console as users start it, on a network file, measured from outside. One fresh data
/// folder: a first start (import included), then <c>--restarts</c> restarts on the stored network, each
/// stopped with SIGTERM as a service manager does. For every start: seconds to <c>/healthz</c> 200, the
/// network load the server logs, resident memory (VmRSS of the server process) and GC heap (<c>/metrics</c>)
/// after <c>--settle-s</c> idle seconds; the store's size on disk; and the bytes on the wire (compressed as a
/// browser asks) of each map URL of <c>--views</c>, fetched with a throwaway API key.
/// Nothing of the server is loaded in this process.
/// </summary>
internal sealed partial class ServerCommand
{
    private readonly string _file;
    private readonly int _restarts;
    private readonly int _settleSeconds;
    private readonly string _serverDll;
    private readonly string[] _views;
    private readonly string? _keep;

    private ServerCommand(BenchOptions options)
    {
        _file = Path.GetFullPath(options.String("file") ?? throw new UsageException("server: --file <geojson> is required"));
        _restarts = options.Int("restarts", 5);
        _settleSeconds = options.Int("settle-s", 20, min: 0);
        _serverDll = options.String("server-dll") ?? DefaultServerDll();
        _views = (options.String("views") ?? DefaultViews).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        _keep = options.String("data");
        options.RejectUnknown();
        if (!File.Exists(_file))
        {
            throw new UsageException($"--file {_file}: no such file");
        }

        if (!File.Exists(_serverDll))
        {
            throw new UsageException($"--server-dll {_serverDll}: no such file (build it first: dotnet build -c Release Console.Server)");
        }
    }

    /// <summary>
    /// By default (<c>auto</c>) a map view is what a 1920×1080 map page fetches: <c>/console/network/summary.json</c>,
    /// then every 256-px tile it shows, centred on the network, at the zoom that fits the whole network and at zooms
    /// 12, 14, 17 and 19. Otherwise a comma-separated list of URLs, each fetched once.
    /// </summary>
    private const string DefaultViews = "auto";

    private static readonly int[] ViewZooms = [12, 14, 17, 19];

    public static async Task<int> RunAsync(BenchOptions options) => await new ServerCommand(options).RunAsync();

    private async Task<int> RunAsync()
    {
        string folder = _keep ?? Path.Combine(Path.GetTempPath(), $"topologybench-server-{Environment.ProcessId}");
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
        {
            throw new UsageException($"--data {folder}: the folder must be empty (a first start is measured)");
        }

        Directory.CreateDirectory(folder);
        Console.WriteLine($"machine  {Environment.ProcessorCount} cores, .NET {Environment.Version}, load {LoadAverage()}");
        Console.WriteLine($"network  {_file} ({new FileInfo(_file).Length / 1048576.0:N1} MiB)");
        Console.WriteLine($"server   dotnet {_serverDll}");
        var starts = new List<StartFigures>();
        try
        {
            for (int i = 0; i <= _restarts; i++)
            {
                var s = await StartOnceAsync(folder, first: i == 0);
                starts.Add(s);
                Console.WriteLine(s.Line(i == 0 ? "first start" : $"restart {i}"));
                if (!s.Healthy)
                {
                    return 1;
                }
            }
        }
        finally
        {
            if (_keep is null)
            {
                TryDelete(folder);
            }
        }

        Print(starts);
        return 0;
    }

    private async Task<StartFigures> StartOnceAsync(string folder, bool first)
    {
        int http = FreePort();
        int udp = FreeUdpPort();
        string apiKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            _serverDll,
            $"--urls=http://127.0.0.1:{http}",
            $"--Hes:Port={udp}",
            $"--Storage:Path={Path.Combine(folder, "db")}",
            $"--Security:MasterKeyFile={Path.Combine(folder, "keys", "master.key")}",
            $"--Topology:File={_file}",
        })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["Api__Keys__0__Key"] = apiKey;
        psi.Environment["Api__Keys__0__Role"] = "dispatcher";
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        string load = LoadAverage();
        var clock = Stopwatch.StartNew();
        using var server = Process.Start(psi) ?? throw new InvalidOperationException("cannot start dotnet");
        server.OutputDataReceived += (_, e) => { if (e.Data is { } l) { output.Enqueue(l); } };
        server.ErrorDataReceived += (_, e) => { if (e.Data is { } l) { output.Enqueue(l); } };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        using var client = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{http}"),
            Timeout = TimeSpan.FromMinutes(2),
        };
        client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        try
        {
            double healthy = await WaitHealthyAsync(client, server, clock, TimeSpan.FromMinutes(first ? 20 : 5));
            if (double.IsNaN(healthy))
            {
                Console.WriteLine("the server did not become healthy; its last output:");
                foreach (var l in output.TakeLast(30))
                {
                    Console.WriteLine("  " + l);
                }

                return new StartFigures { Healthy = false };
            }

            long peak = StatusBytes(server.Id, "VmHWM:");
            await Task.Delay(TimeSpan.FromSeconds(_settleSeconds));
            var figures = new StartFigures
            {
                Healthy = true,
                HealthySeconds = healthy,
                NetworkLoadMs = NetworkLoadMs(output),
                PeakRss = peak,
                IdleRss = StatusBytes(server.Id, "VmRSS:"),
                GcHeap = await GcHeapAsync(client),
                StoreBytes = FolderBytes(Path.Combine(folder, "db")),
                Load = load,
            };
            if (_views is ["auto"])
            {
                foreach (var view in await MapViewsAsync(client))
                {
                    figures.Views.Add(view);
                }
            }
            else
            {
                foreach (var view in _views)
                {
                    figures.Views.Add((view, await WireBytesAsync(client, view)));
                }
            }

            return figures;
        }
        finally
        {
            await StopAsync(server);
        }
    }

    /// <summary>SIGTERM, as systemd stops a service; killed when it has not exited after a minute.</summary>
    private static async Task StopAsync(Process server)
    {
        if (server.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", server.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await server.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("the server did not stop within a minute of SIGTERM: killed");
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    private static async Task<double> WaitHealthyAsync(HttpClient client, Process server, Stopwatch clock, TimeSpan max)
    {
        while (clock.Elapsed < max && !server.HasExited)
        {
            try
            {
                using var r = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    return clock.Elapsed.TotalSeconds;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        return double.NaN;
    }

    /// <summary>The bytes a browser receives for one URL (gzip or brotli as the server chooses); -1 when refused.</summary>
    private static async Task<long> WireBytesAsync(HttpClient client, string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, UriKind.Relative));
        request.Headers.AcceptEncoding.ParseAdd("gzip, br");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode)
        {
            Console.WriteLine($"  GET {url}: {(int)response.StatusCode}");
            return -1;
        }

        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[81920];
        long total = 0;
        int n;
        while ((n = await body.ReadAsync(buffer)) > 0)
        {
            total += n;
        }

        return total;
    }

    /// <summary>The map views of <see cref="DefaultViews"/>: (description, bytes on the wire) per view, the summary included in each.</summary>
    private static async Task<List<(string Url, long Bytes)>> MapViewsAsync(HttpClient client)
    {
        const string summaryUrl = "/console/network/summary.json";
        long summaryBytes = await WireBytesAsync(client, summaryUrl);
        using var summary = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync(new Uri(summaryUrl, UriKind.Relative)));
        var b = summary.RootElement.GetProperty("bounds").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double lon = (b[0] + b[2]) / 2, lat = (b[1] + b[3]) / 2;
        const double width = 1920, height = 1080;
        int fit = 0;
        while (fit < 22 && (MercatorX(b[2], fit + 1) - MercatorX(b[0], fit + 1)) <= width && (MercatorY(b[1], fit + 1) - MercatorY(b[3], fit + 1)) <= height)
        {
            fit++;
        }

        var views = new List<(string, long)>();
        foreach (int z in new[] { fit }.Concat(ViewZooms.Where(z => z > fit)))
        {
            double cx = MercatorX(lon, z), cy = MercatorY(lat, z);
            int x0 = (int)Math.Floor((cx - (width / 2)) / 256), x1 = (int)Math.Floor((cx + (width / 2)) / 256);
            int y0 = (int)Math.Floor((cy - (height / 2)) / 256), y1 = (int)Math.Floor((cy + (height / 2)) / 256);
            long bytes = summaryBytes;
            int tiles = 0;
            for (int x = x0; x <= x1; x++)
            {
                for (int y = y0; y <= y1; y++)
                {
                    if (x >= 0 && y >= 0 && x < (1 << z) && y < (1 << z))
                    {
                        bytes += await WireBytesAsync(client, $"/console/network/tiles/{z}/{x}/{y}.json");
                        tiles++;
                    }
                }
            }

            views.Add((string.Create(CultureInfo.InvariantCulture, $"map view z{z} ({tiles} tiles{(z == fit ? ", whole network" : "")})"), bytes));
        }

        return views;
    }

    private static double MercatorX(double lon, int z) => (lon + 180) / 360 * 256 * Math.Pow(2, z);

    private static double MercatorY(double lat, int z)
    {
        double r = lat * Math.PI / 180;
        return (1 - (Math.Log(Math.Tan(r) + (1 / Math.Cos(r))) / Math.PI)) / 2 * 256 * Math.Pow(2, z);
    }

    /// <summary>The GC heap size the runtime's own meter reports (System.Runtime, scraped from /metrics).</summary>
    private static async Task<long> GcHeapAsync(HttpClient client)
    {
        try
        {
            string text = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            long total = 0;
            bool found = false;
            foreach (Match m in HeapLine().Matches(text))
            {
                total += (long)double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                found = true;
            }

            return found ? total : -1;
        }
        catch (HttpRequestException)
        {
            return -1;
        }
    }

    // dotnet_gc_last_collection_heap_size_bytes{gc_heap_generation="gen0",...} 1234
    [GeneratedRegex(@"^dotnet_gc_last_collection_heap_size_bytes\{[^}]*\}\s+([0-9.eE+]+)", RegexOptions.Multiline)]
    private static partial Regex HeapLine();

    [GeneratedRegex(@"Network loaded from .* in (\d+) ms")]
    private static partial Regex LoadedLine();

    private static double NetworkLoadMs(IEnumerable<string> output)
    {
        foreach (var line in output)
        {
            var m = LoadedLine().Match(line);
            if (m.Success)
            {
                return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            }
        }

        return double.NaN;
    }

    private void Print(List<StartFigures> starts)
    {
        var restarts = starts.Skip(1).ToList();
        Console.WriteLine();
        Console.WriteLine($"SERVER  {Path.GetFileName(_file)}: first start, then {restarts.Count} restarts; load {LoadAverage()} at the end");
        var t = new ReportTable();
        string net = Path.GetFileNameWithoutExtension(_file);
        var f = starts[0];
        t.AddValue(net, "first start to healthy", f.HealthySeconds, "s");
        t.AddValue(net, "  network import (logged)", f.NetworkLoadMs / 1000, "s");
        t.AddValue(net, "  RSS peak", f.PeakRss / 1e9, "GB");
        t.AddValue(net, "  RSS idle after first start", f.IdleRss / 1e9, "GB");
        t.AddValue(net, "  GC heap idle", f.GcHeap / 1e9, "GB");
        if (restarts.Count > 0)
        {
            t.Add(net, "restart to healthy", new Sample(restarts.Select(r => r.HealthySeconds)), "s");
            t.Add(net, "  network load (logged)", new Sample(restarts.Select(r => r.NetworkLoadMs / 1000)), "s");
            t.Add(net, "  RSS peak", new Sample(restarts.Select(r => r.PeakRss / 1e9)), "GB");
            t.Add(net, "  RSS idle after restart", new Sample(restarts.Select(r => r.IdleRss / 1e9)), "GB");
            t.Add(net, "  GC heap idle", new Sample(restarts.Select(r => r.GcHeap / 1e9)), "GB");
        }

        t.AddValue(net, "store on disk", starts[^1].StoreBytes / 1e6, "MB");
        for (int v = 0; v < f.Views.Count; v++)
        {
            t.Add(net, f.Views[v].Url.StartsWith('/') ? "GET " + f.Views[v].Url : f.Views[v].Url, new Sample(starts.Select(s => s.Views[v].Bytes / 1e6)), "MB on the wire");
        }

        Console.WriteLine(t.ToString());
    }

    private sealed class StartFigures
    {
        public bool Healthy { get; init; }

        public double HealthySeconds { get; init; }

        public double NetworkLoadMs { get; init; }

        public long PeakRss { get; init; }

        public long IdleRss { get; init; }

        public long GcHeap { get; init; }

        public long StoreBytes { get; init; }

        public string Load { get; init; } = "";

        public List<(string Url, long Bytes)> Views { get; } = [];

        public string Line(string what) => !Healthy
            ? $"{what}: not healthy"
            : string.Create(CultureInfo.InvariantCulture,
                $"{what,-12} healthy {HealthySeconds,6:F1} s, network {NetworkLoadMs / 1000,6:F1} s, RSS peak {PeakRss / 1e9:F2} GB, idle {IdleRss / 1e9:F2} GB, GC heap {GcHeap / 1e9:F2} GB, store {StoreBytes / 1e6:F0} MB, load {Load}")
              + string.Concat(Views.Select(v => string.Create(CultureInfo.InvariantCulture, $", {v.Url} {v.Bytes / 1e6:F2} MB")));
    }

    private static long StatusBytes(int pid, string key)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    var kb = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return -1;
    }

    private static long FolderBytes(string folder) =>
        Directory.Exists(folder) ? new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    private static int FreeUdpPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>The Release build of Console.Server in the repository this is run from.</summary>
    private static string DefaultServerDll()
    {
        string? dir = Directory.GetCurrentDirectory();
        while (dir is not null && !File.Exists(Path.Combine(dir, "OpsConsole.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir is null
            ? throw new UsageException("server: run from the repository (OpsConsole.sln not found above the current folder) or give --server-dll")
            : Path.Combine(dir, "Console.Server", "bin", "Release", "net10.0", "OpsConsole.Console.Server.dll");
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException ex)
        {
            Console.WriteLine($"could not delete {folder}: {ex.Message}");
        }
    }
}
