using System.Collections.Concurrent;
using System.Diagnostics;
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
using OpsConsole.Engine.Storage.Events;

using OpsConsole.Engine.Storage.LiteDb;

namespace OpsConsole.Server.Tests;

/// <summary>
/// The real server process, real UDP: a backup taken by the <c>backup</c> command while a storm of last gasps goes on,
/// restored into another folder, started there: the same outages (ids, levels, states, meters), the same counters, every
/// event acknowledged before the backup began, the operator's remap, the spent invocation counters.
/// </summary>
public sealed partial class BackupStormTests(Xunit.Abstractions.ITestOutputHelper log) : IDisposable
{
    private const string AdminKey = "storm-backup-admin-key-0123";
    private static readonly Guid M1 = Guid.Parse("00000000-0000-4000-8000-000000000001");
    private static readonly Guid M2 = Guid.Parse("00000000-0000-4000-8000-000000000002");
    private static readonly Guid M9 = Guid.Parse("00000000-0000-4000-8000-000000000009");
    private const ulong M1Title = 0x4F50530000000001UL;
    private const ulong M2Title = 0x4F50530000000002UL;
    private const ulong M9Title = 0x4F50530000000009UL;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string SourceData => Path.Combine(_folder.Path, "source", "db");

    private string RestoredRoot => Path.Combine(_folder.Path, "restored");

    private string RestoredData => Path.Combine(RestoredRoot, "db");

    [Fact]
    public async Task BackupDuringAStorm_RestoredElsewhere_StartsWithTheSameOutagesAndCounters_AndEveryEventAcknowledgedBeforeIt()
    {
        var topology = SmallNetwork.WriteTo(_folder.Path);
        string backup = Path.Combine(_folder.Path, "backups", "storm");
        Directory.CreateDirectory(Path.GetDirectoryName(SourceData)!);
        string[] outagesBefore, outagesAfter;
        string statsBefore;
        HashSet<ushort> ackedBeforeBackup;
        int backupAcks;
        byte[] master;
        Func<int, uint> counterOf = i => (uint)(i / 2) + 2; // frame i of the storm: meter M1 or M2 (i % 2), its counter

        using (var source = new ConsoleProcess(Path.GetDirectoryName(SourceData)!, SourceData, topology))
        {
            int port = await source.Port;
            using var http = source.Http(AdminKey);
            master = await File.ReadAllBytesAsync(Path.Combine(SourceData, "keys", "master.key")); // the default place: under Storage:Path
            Assert.Contains(source.Output, l => l.Contains($"Master key file {Path.Combine(SourceData, "keys", "master.key")}: ", StringComparison.Ordinal));
            using var udp = new UdpClient(AddressFamily.InterNetwork);
            udp.Client.ReceiveBufferSize = 4 * 1024 * 1024;
            udp.Connect(IPAddress.Loopback, port);

            // Before: M1 and M2 under T1 go down, unmapped M9 too; the operator maps M9 under T2 (an action stored in LiteDB).
            Assert.Equal(CoapCode.Changed, await ExchangeAsync(udp, Frame(master, M1, M1Title, 1, 1, 1)));
            Assert.Equal(CoapCode.Changed, await ExchangeAsync(udp, Frame(master, M2, M2Title, 1, 1, 2)));
            Assert.Equal(CoapCode.Changed, await ExchangeAsync(udp, Frame(master, M9, M9Title, 1, 1, 3)));
            await WaitForAsync(http, o => o.Count == 2 && o.All(x => x.GetProperty("state").GetString() == "Confirmed"));
            using (var remap = await http.PutAsJsonAsync("/api/meters/M9/parent", new { transformer = "T2" }))
            {
                Assert.Equal(HttpStatusCode.OK, remap.StatusCode);
            }

            await WaitForAsync(http, o => o.All(x => x.GetProperty("state").GetString() == "Confirmed" && x.GetProperty("level").GetString() != "Unknown"));
            outagesBefore = Describe(await OutagesAsync(http));
            statsBefore = (await http.GetFromJsonAsync<JsonElement>("/api/stats")).GetProperty("outages").GetRawText();

            // The storm: M1 and M2 keep sending last gasps (new events, new counters), at most 256 unanswered at a time.
            var acked = new ConcurrentDictionary<ushort, bool>();
            var otherAnswers = new ConcurrentQueue<string>();
            var window = new SemaphoreSlim(256);
            using var stopStorm = new CancellationTokenSource();
            var receiver = Task.Run(async () =>
            {
                while (!stopStorm.IsCancellationRequested)
                {
                    var answer = (await udp.ReceiveAsync(stopStorm.Token)).Buffer;
                    if (CoapMessage.TryParse(answer, out var view) == CoapParseStatus.Ok && view.Code == CoapCode.Changed && acked.TryAdd(view.MessageId, true))
                    {
                        window.Release();
                    }
                    else
                    {
                        otherAnswers.Enqueue($"MID {view.MessageId}: {CoapCode.Format(view.Code)}");
                    }
                }
            });
            int sent = 0;
            async Task<bool> WindowAsync() // false after 20 s without a free slot; true once the storm is stopped (the receiver no longer frees any)
            {
                try
                {
                    return await window.WaitAsync(TimeSpan.FromSeconds(20), stopStorm.Token);
                }
                catch (OperationCanceledException)
                {
                    return true;
                }
            }

            var sender = Task.Run(async () =>
            {
                for (int i = 0; i < 40_000 && !stopStorm.IsCancellationRequested; i++)
                {
                    Assert.True(await WindowAsync(), $"no acknowledgement for 20 s ({acked.Count} of {i}); other answers: {otherAnswers.Count} ({string.Join(", ", otherAnswers.Take(10))}); receiver: {receiver.Status} {receiver.Exception?.GetBaseException().Message}");
                    if (stopStorm.IsCancellationRequested)
                    {
                        break;
                    }

                    var (meter, title) = i % 2 == 0 ? (M1, M1Title) : (M2, M2Title);
                    await udp.SendAsync(Frame(master, meter, title, (uint)(1000 + i), counterOf(i), MidOf(i)));
                    sent = i + 1;
                }
            });

            await WaitUntilAsync(() => acked.Count >= 300, "300 acknowledgements of the storm");
            ackedBeforeBackup = [.. acked.Keys];
            var backed = await RunAsync(Path.GetDirectoryName(SourceData)!, SourceData, "backup", backup);
            backupAcks = acked.Count - ackedBeforeBackup.Count;
            int atEnd = acked.Count;
            await WaitUntilAsync(() => acked.Count >= atEnd + 200, "200 more acknowledgements after the backup");
            await stopStorm.CancelAsync();
            await sender;
            Assert.True(backed.Code == 0, backed.Error);
            Assert.Contains("taken by the running server", backed.Output, StringComparison.Ordinal);
            log.WriteLine($"{backed.Output.Trim()} Storm: {ackedBeforeBackup.Count} acknowledged before the command, {backupAcks} while it ran, {acked.Count} of {sent} in all.");
            try
            {
                await receiver;
            }
            catch (OperationCanceledException)
            {
            }

            // The storm changed no outage: what the source had before is what it had at the backup's moment.
            outagesAfter = Describe(await OutagesAsync(http));
            Assert.Equal(outagesBefore, outagesAfter);

            // A restore never writes into a running server's folder.
            var intoRunning = await RunAsync(_folder.Path, SourceData, "restore", backup);
            Assert.Equal(2, intoRunning.Code);
            Assert.Contains("running server", intoRunning.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", intoRunning.Error, StringComparison.Ordinal);

            await source.StopGracefullyAsync();
        }

        Assert.True(backupAcks > 0, "no event was acknowledged while the backup command ran: it did not run during the storm");

        // Restore into another folder (the server stopped there: none ever ran).
        Directory.CreateDirectory(RestoredRoot);
        var restored = await RunAsync(RestoredRoot, RestoredData, "restore", backup);
        Assert.True(restored.Code == 0, restored.Error);

        // Every event acknowledged before the backup began is in it (in its journal or its event store: a checkpoint deletes
        // the journal segments it covers), once; the backup holds only events the source stored, and not all of them.
        static List<RecordedEvent> Stored(string data, out bool journalClean)
        {
            using var lite = new LiteStore(data);
            using var journal = new EventJournal(EventJournal.FolderUnder(data));
            journalClean = journal.ReadAll().IsClean;
            var store = new EventStore(new LiteEventStore(lite), journal);
            store.Recover();
            var all = new List<RecordedEvent>();
            store.ForEach(all.Add);
            return all;
        }

        var sourceKeys = Stored(SourceData, out _).Select(e => e.Key).ToHashSet();
        {
            var restoredEvents = Stored(RestoredData, out bool clean);
            Assert.True(clean, "the restored journal is damaged");
            var keys = restoredEvents.Select(e => e.Key).ToList();
            Assert.Equal(keys.Count, keys.Distinct().Count());
            Assert.All(keys, k => Assert.Contains(k, sourceKeys));
            var ids = restoredEvents.Select(e => e.Event.EventId).ToHashSet();
            var missing = ackedBeforeBackup.Select(mid => (uint)(1000 + mid - MidOf(0))).Where(id => !ids.Contains(id)).ToList();
            Assert.True(missing.Count == 0, $"acknowledged before the backup but not in it: {string.Join(",", missing.Take(20))}");
            Assert.True(keys.Count < sourceKeys.Count, "the backup holds every event of the source: it was not taken during the storm");
            log.WriteLine($"Events: {keys.Count} restored, {sourceKeys.Count} in the source at its end, {ackedBeforeBackup.Count} acknowledged before the backup began.");
        }

        using (var server = new ConsoleProcess(RestoredRoot, RestoredData, topology))
        {
            int port = await server.Port;
            using var http = server.Http(AdminKey);
            Assert.Contains(server.Output, l => l.Contains($"Master key file {Path.Combine(RestoredData, "keys", "master.key")}: Security:MasterKeyFile is not set", StringComparison.Ordinal));

            // The same outages as the source had at the backup's moment, and the same counts by level.
            await WaitForAsync(http, o => o.Count == outagesBefore.Length);
            Assert.Equal(outagesBefore, Describe(await OutagesAsync(http)));
            Assert.Equal(statsBefore, (await http.GetFromJsonAsync<JsonElement>("/api/stats")).GetProperty("outages").GetRawText());
            var m9 = await http.GetFromJsonAsync<JsonElement>("/api/meters/M9");
            Assert.Equal("T2", m9.GetProperty("mapping").GetProperty("transformer").GetString());
            Assert.True(m9.GetProperty("mapping").GetProperty("remapped").GetBoolean());

            // The invocation counters spent before the backup stay spent: a new event under one is a replay.
            using var udp = new UdpClient(AddressFamily.InterNetwork);
            udp.Connect(IPAddress.Loopback, port);
            uint spent = ackedBeforeBackup.Select(mid => mid - MidOf(0)).Where(i => i % 2 == 0).Max(i => counterOf(i));
            Assert.Equal(CoapCode.Format(CoapCode.Unauthorized), CoapCode.Format(await ExchangeAsync(udp, Frame(master, M1, M1Title, 900_001, spent, 60_001))));
            Assert.Equal(CoapCode.Format(CoapCode.Changed), CoapCode.Format(await ExchangeAsync(udp, Frame(master, M1, M1Title, 900_002, 1_000_000, 60_002))));
            await server.StopGracefullyAsync();
        }
    }

    [Fact]
    public async Task MasterKeyUnset_AnEarlierInstallsKeyAtTheFormerDefault_StaysInUse_AndTheLogSaysWhy()
    {
        var topology = SmallNetwork.WriteTo(_folder.Path);
        string former = Path.Combine(_folder.Path, "data", "keys", "master.key");
        var key = MasterKeyFile.LoadOrCreate(former);
        string storage = Path.Combine(_folder.Path, "elsewhere");

        using var server = new ConsoleProcess(_folder.Path, storage, topology);
        int port = await server.Port;
        using var udp = new UdpClient(AddressFamily.InterNetwork);
        udp.Connect(IPAddress.Loopback, port);

        // The meters' keys derive from the former file's key: the server accepts their frames.
        Assert.Equal(CoapCode.Format(CoapCode.Changed), CoapCode.Format(await ExchangeAsync(udp, Frame(key, M1, M1Title, 1, 1, 1))));
        Assert.Contains(server.Output, l => l.Contains($"Master key file {former}: ", StringComparison.Ordinal) && l.Contains("former default", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(storage, "keys", "master.key")), "a second key was made under Storage:Path");
        Assert.DoesNotContain(server.Output, l => l.Contains(Convert.ToHexString(key), StringComparison.OrdinalIgnoreCase));
        await server.StopGracefullyAsync();
    }

    private static ushort MidOf(int i) => (ushort)(100 + i);

    private static byte[] Frame(byte[] master, Guid meter, ulong title, uint eventId, uint counter, ushort mid)
    {
        var now = DateTimeOffset.UtcNow;
        var e = new MeterEvent(meter, MeterEventCode.PowerDown, eventId, 1, now, now, 4200, -70, 0);
        return MeterFrameWriter.Post(CoapType.Confirmable, mid, [0x01], MeterFrameWriter.Apdu(e, title, counter, MeterKeys.Derive(master, meter)));
    }

    private static async Task<byte> ExchangeAsync(UdpClient udp, byte[] frame)
    {
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(frame, out var sent));
        ushort mid = sent.MessageId;
        await udp.SendAsync(frame);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var answer = (await udp.ReceiveAsync(timeout.Token)).Buffer;
            if (CoapMessage.TryParse(answer, out var view) == CoapParseStatus.Ok && view.MessageId == mid)
            {
                return view.Code;
            }
        }
    }

    private static async Task<List<JsonElement>> OutagesAsync(HttpClient http) =>
        [.. (await http.GetFromJsonAsync<JsonElement>("/api/outages?state=all")).EnumerateArray()];

    /// <summary>An outage as the comparison sees it: everything but the priority, which grows with age.</summary>
    private static string[] Describe(List<JsonElement> outages) => [.. outages
        .Select(o => string.Join(" ", new[] { "id", "level", "deviceId", "state", "meters", "reportingMeters", "criticalMeters", "startedAt", "confirmedAt", "restoredAt" }
            .Select(p => $"{p}={o.GetProperty(p)}")))
        .Order(StringComparer.Ordinal)];

    /// <summary>Polls the server's own answer until it meets <paramref name="condition"/> (an observable state, not a guessed delay).</summary>
    private static async Task WaitForAsync(HttpClient http, Func<List<JsonElement>, bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        List<JsonElement> last = [];
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            last = await OutagesAsync(http);
            if (condition(last))
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("the outages never met the condition; last: " + string.Join(" | ", Describe(last)));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), "timed out waiting for " + what);
            await Task.Delay(5);
        }
    }

    /// <summary>Runs a command of the server's executable (backup, restore) to its end.</summary>
    private static async Task<(int Code, string Output, string Error)> RunAsync(string workingDirectory, string storage, string command, string folder)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "OpsConsole.Console.Server.dll"), command, folder])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["Storage__Path"] = storage;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        return (process.ExitCode, await output, await error);
    }

    [GeneratedRegex(@"CoAP listener on UDP port (\d+)")]
    private static partial Regex ListenerLine();

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex HttpLine();

    /// <summary>The server's executable on a folder of its own, with an admin API key; its output kept.</summary>
    private sealed class ConsoleProcess : IDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<Uri> _http = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentQueue<string> _output = new();

        public ConsoleProcess(string workingDirectory, string storage, string topology)
        {
            var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "OpsConsole.Console.Server.dll"), "--urls", "http://127.0.0.1:0"])
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.Environment["Hes__Port"] = "0";
            start.Environment["Storage__Path"] = storage;
            start.Environment["Topology__File"] = topology;
            start.Environment["Correlation__WindowMs"] = "200";
            start.Environment["Correlation__QualifyMs"] = "500";
            start.Environment["Api__Keys__0__Key"] = AdminKey;
            start.Environment["Api__Keys__0__Role"] = "admin";
            _process = Process.Start(start)!;
            _process.OutputDataReceived += (_, e) => Line(e.Data);
            _process.ErrorDataReceived += (_, e) => Line(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            _process.EnableRaisingEvents = true;
            _process.Exited += (_, _) =>
            {
                var exited = new InvalidOperationException("the server exited: " + string.Join(Environment.NewLine, _output));
                _port.TrySetException(exited);
                _http.TrySetException(exited);
            };
        }

        public IReadOnlyCollection<string> Output => [.. _output];

        /// <summary>The UDP port, once the listener and the web server both take requests.</summary>
        public Task<int> Port => ReadyAsync();

        private async Task<int> ReadyAsync()
        {
            int port = await _port.Task.WaitAsync(TimeSpan.FromSeconds(90));
            await _http.Task.WaitAsync(TimeSpan.FromSeconds(90));
            return port;
        }

        public HttpClient Http(string key)
        {
            var http = new HttpClient { BaseAddress = _http.Task.Result };
            http.DefaultRequestHeaders.Add("X-Api-Key", key);
            return http;
        }

        private void Line(string? line)
        {
            if (line is null)
            {
                return;
            }

            _output.Enqueue(line);
            if (ListenerLine().Match(line) is { Success: true } m)
            {
                _port.TrySetResult(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            }

            if (HttpLine().Match(line) is { Success: true } h)
            {
                _http.TrySetResult(new Uri(h.Groups[1].Value));
            }
        }

        public async Task StopGracefullyAsync()
        {
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }
    }
}
