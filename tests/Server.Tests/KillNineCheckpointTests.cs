using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Protocols.Dlms;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.LiteDb;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Server.Tests;

/// <summary>
/// kill -9 in the middle of a ckt24 storm, after a checkpoint taken while the storm's windows were open and before
/// they were decided: the restart resumes from the checkpoint, replays the journal after it, decides the windows and
/// ends with the outages a full replay of the same data builds, with the same ids.
/// </summary>
public sealed partial class KillNineDurabilityTests
{
    private const string ReaderKey = "checkpoint-test-key-0123456789";

    [GeneratedRegex(@"Correlation checkpoint saved \(\d+ bytes, (\d+) events taken in all\)")]
    private static partial Regex CheckpointLine();

    [GeneratedRegex(@"(\d+) taken after it")]
    private static partial Regex TailLine();

    [Fact]
    public async Task KillNineBetweenAWindowOpeningAndItsDecision_Restart_BuildsTheOutagesOfAFullReplay_SameIds()
    {
        string topologyFile = Path.Combine(RepoRoot(), "networks", "ckt24.geojson");
        var topology = NetworkTopology.Build((await TopologyGeoJsonReader.ReadFileAsync(topologyFile)).Features);
        var environment = new Dictionary<string, string>
        {
            ["Correlation__WindowMs"] = "30000",      // the kill certainly falls inside the windows
            ["Correlation__QualifyMs"] = "0",         // confirmed when decided: the state does not depend on when a server looked
            ["Correlation__CheckpointSeconds"] = "5",
            ["Correlation__WarmupMs"] = "0",
            ["Hes__WarmupMs"] = "0",
            ["Api__Keys__0__Key"] = ReaderKey,
            ["Api__Keys__0__Role"] = "dispatcher",
        };

        // The storm: every meter below five transformers and two fuses of ckt24; a few of them (stragglers) only in the second wave.
        var elements = Enumerable.Range(0, topology.ElementCount)
            .Where(e => topology.KindOf(e) is ElementKind.Transformer or ElementKind.Device && topology.MeterCountBelow(e) is >= 3 and <= 60)
            .Where((_, i) => i % 7 == 0).Take(7).ToList();
        var meters = elements.SelectMany(e => topology.MetersBelow(e).ToArray()).Distinct().ToList();
        var stragglers = meters.Where((_, i) => i % 9 == 4).ToHashSet();
        var firstWave = meters.Where(m => !stragglers.Contains(m) && elements.IndexOf(elements.First(e => IsBelow(topology, m, e))) < 5).ToList();
        var secondWave = meters.Except(firstWave).ToList();
        Assert.True(firstWave.Count > 20 && secondWave.Count > 10, $"{firstWave.Count} + {secondWave.Count} meters");

        int tail;
        using (var server = new ServerProcess(_folder.Path, topologyFile, environment))
        {
            int port = await server.Port;
            var master = await File.ReadAllBytesAsync(Path.Combine(_folder.Path, "keys", "master.key"));
            using var http = Client(await server.HttpAddress);
            using var udp = new UdpClient(AddressFamily.InterNetwork);
            udp.Connect(IPAddress.Loopback, port);
            ushort mid = 0;

            await SendAcknowledgedAsync(udp, [.. firstWave.Select(m => Gasp(master, topology[m], ++mid))]);

            // A checkpoint that took the first wave in, while its windows are open: no outage yet.
            await server.LineAsync(l => CheckpointLine().Match(l) is { Success: true } c && long.Parse(c.Groups[1].Value, CultureInfo.InvariantCulture) >= firstWave.Count,
                TimeSpan.FromSeconds(20));
            Assert.Empty(await OutagesAsync(http));

            await SendAcknowledgedAsync(udp, [.. secondWave.Select(m => Gasp(master, topology[m], ++mid))]); // durable, maybe not checkpointed
            server.KillNine(); // before the windows end (30 s after the first wave)
        }

        // The reference: the same data replayed in full (its checkpoint removed).
        string reference = _folder.Path + "-full";
        CopyFolder(_folder.Path, reference);
        try
        {
            using (var lite = new LiteStore(Path.Combine(reference, "db")))
            {
                new LiteDbCheckpointStore(lite).Delete();
            }

            using (var resumed = new ServerProcess(_folder.Path, topologyFile, environment))
            using (var full = new ServerProcess(reference, topologyFile, environment))
            {
                var resumedLine = await resumed.LineAsync(l => l.Contains("Correlation resumed from the checkpoint", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
                tail = int.Parse(TailLine().Match(resumedLine).Groups[1].Value, CultureInfo.InvariantCulture);
                await full.LineAsync(l => l.Contains("Correlation rebuilt from", StringComparison.Ordinal), TimeSpan.FromSeconds(60));

                // Both decide the windows (at the same event times) and hold every meter of the storm in an outage.
                using var a = Client(await resumed.HttpAddress);
                using var b = Client(await full.HttpAddress);
                await UntilEveryMeterIsInAnOutageAsync(a, meters.Count);
                await UntilEveryMeterIsInAnOutageAsync(b, meters.Count);

                await resumed.StopGracefully();
                await full.StopGracefully();
            }

            string expected = DescribeStoredOutages(reference);
            string actual = DescribeStoredOutages(_folder.Path);
            Assert.Equal(expected, actual);
            Assert.Contains("O-1 ", actual, StringComparison.Ordinal);
            Assert.True(tail > 0, "the second wave came after the checkpoint: the restart replayed it from the journal");
        }
        finally
        {
            try
            {
                Directory.Delete(reference, recursive: true);
            }
            catch (IOException)
            {
                // A file still held by a process being torn down: the OS temp cleaner gets it.
            }
        }
    }

    private static bool IsBelow(NetworkTopology topology, int meter, int element)
    {
        foreach (int a in topology.Upstream(meter))
        {
            if (a == element)
            {
                return true;
            }
        }

        return false;
    }

    private static byte[] Gasp(byte[] master, TopologyFeature meter, ushort mid)
    {
        var now = DateTimeOffset.UtcNow;
        var e = new MeterEvent(meter.Guid, MeterEventCode.PowerDown, 1, 1, now, now, 4200, -70, 0);
        var apdu = MeterFrameWriter.Apdu(e, meter.SystemTitle, 1, MeterKeys.Derive(master, meter.Guid));
        return MeterFrameWriter.Post(CoapType.Confirmable, mid, [0x01], apdu);
    }

    /// <summary>Sends CONs and returns once each is acknowledged 2.04 (durable in the journal).</summary>
    private static async Task SendAcknowledgedAsync(UdpClient udp, byte[][] frames)
    {
        var pending = new HashSet<ushort>();
        foreach (var frame in frames)
        {
            Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(frame, out var view));
            pending.Add(view.MessageId);
            await udp.SendAsync(frame);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (pending.Count > 0)
        {
            var answer = (await udp.ReceiveAsync(timeout.Token)).Buffer;
            if (CoapMessage.TryParse(answer, out var view) == CoapParseStatus.Ok)
            {
                Assert.True(view.Code == CoapCode.Changed, $"MID {view.MessageId}: {CoapCode.Format(view.Code)}");
                pending.Remove(view.MessageId);
            }
        }
    }

    private static HttpClient Client(Uri address)
    {
        var http = new HttpClient { BaseAddress = address };
        http.DefaultRequestHeaders.Add("X-Api-Key", ReaderKey);
        return http;
    }

    private static async Task<List<JsonElement>> OutagesAsync(HttpClient http) =>
        await http.GetFromJsonAsync<List<JsonElement>>("/api/outages?state=all") ?? [];

    /// <summary>Polls the API (an observable condition, not a guess at a duration) until the outages hold every meter of the storm.</summary>
    private static async Task UntilEveryMeterIsInAnOutageAsync(HttpClient http, int meters)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while ((await OutagesAsync(http)).Sum(o => o.GetProperty("reportingMeters").GetInt32()) < meters)
        {
            await Task.Delay(200, timeout.Token);
        }
    }

    /// <summary>Every stored outage with its id, level, element, state, reporting meters in order and full history.</summary>
    private static string DescribeStoredOutages(string folder)
    {
        using var lite = new LiteStore(Path.Combine(folder, "db"));
        IOutageStore store = new LiteDbOutageStore(lite);
        return string.Join("\n", store.All().Select(s =>
            $"{s.Id} {s.Outage.Level} {s.Outage.DeviceId} {s.Outage.State} {s.Outage.ReportingMeters}/{s.Outage.Meters} → {s.MergedIntoId} " +
            $"started {s.Outage.StartedAt:O} [{string.Join(",", s.Outage.ReportingMeterIds)}] " +
            string.Join(" | ", s.Outage.History.Select(h => $"{h.From}->{h.State} {h.At:O} {h.Actor} {h.Note}"))));
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }

        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            // The admin socket a killed server leaves in its folder is not data (the next start replaces it); a socket cannot be copied.
            if (Path.GetFileName(file) != "admin.sock")
            {
                File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
            }
        }
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OpsConsole.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("OpsConsole.sln not found above " + AppContext.BaseDirectory);
    }
}
