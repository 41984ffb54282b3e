using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.LiteDb;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Server.Tests;

/// <summary>
/// kill -9 in the middle of a storm against the real server process: no acknowledged event is
/// lost, and the meters' retries after the restart create no duplicate.
/// </summary>
public sealed partial class KillNineDurabilityTests : IDisposable
{
    private static readonly Guid[] Meters = [.. Enumerable.Range(1, 4).Select(i => Guid.Parse($"00000000-0000-4000-8000-00000000000{i}"))];
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [GeneratedRegex(@"CoAP listener on UDP port (\d+)")]
    private static partial Regex ListenerLine();

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex HttpLine();

    private sealed class ServerProcess : IDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentQueue<string> _output = new();
        private readonly TaskCompletionSource<Uri> _http = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiting = [];

        public ServerProcess(string folder, string topology, IReadOnlyDictionary<string, string>? environment = null)
        {
            var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "OpsConsole.Console.Server.dll"), "--urls", "http://127.0.0.1:0"])
            {
                WorkingDirectory = folder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.Environment["Hes__Port"] = "0";
            start.Environment["Storage__Path"] = Path.Combine(folder, "db");
            start.Environment["Security__MasterKeyFile"] = Path.Combine(folder, "keys", "master.key");
            start.Environment["Topology__File"] = topology;
            foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            {
                start.Environment[key] = value;
            }

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

        private void Line(string? line)
        {
            if (line is null)
            {
                return;
            }

            _output.Enqueue(line);
            if (ListenerLine().Match(line) is { Success: true } m)
            {
                _port.TrySetResult(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }

            if (HttpLine().Match(line) is { Success: true } h)
            {
                _http.TrySetResult(new Uri(h.Groups[1].Value));
            }

            lock (_waiting)
            {
                foreach (var (match, found) in _waiting.Where(w => w.Match(line)).ToList())
                {
                    found.TrySetResult(line);
                }
            }
        }

        public Task<int> Port => _port.Task.WaitAsync(TimeSpan.FromSeconds(60));

        /// <summary>The HTTP address Kestrel listens on (from its "Now listening on" line).</summary>
        public Task<Uri> HttpAddress => _http.Task.WaitAsync(TimeSpan.FromSeconds(60));

        /// <summary>Every line the server wrote so far (stdout and stderr).</summary>
        public IReadOnlyList<string> Output => [.. _output];

        /// <summary>The first line, already written or still to come, that <paramref name="match"/> accepts.</summary>
        public Task<string> LineAsync(Func<string, bool> match, TimeSpan timeout)
        {
            var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_waiting)
            {
                _waiting.Add((match, found));
            }

            if (_output.FirstOrDefault(match) is { } already)
            {
                found.TrySetResult(already);
            }

            return found.Task.WaitAsync(timeout);
        }

        /// <summary>SIGKILL (no shutdown code runs), returning once the process is gone: until then it still holds the data folder's lock.</summary>
        public void KillNine()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        /// <summary>
        /// SIGSTOP, returning once every thread of the server has stopped: wherever it was (mid-batch,
        /// mid-write), it acknowledges nothing more, so what is sent from then on is never acknowledged.
        /// </summary>
        public async Task FreezeAsync()
        {
            string pid = _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            using (var stop = Process.Start("kill", ["-STOP", pid]))
            {
                await stop.WaitForExitAsync();
            }

            static bool Stopped(string stat) => stat[(stat.LastIndexOf(')') + 2)..].StartsWith('T'); // "tid (comm) T …"
            while (!Directory.EnumerateDirectories($"/proc/{pid}/task").All(t => Stopped(File.ReadAllText(Path.Combine(t, "stat")))))
            {
                await Task.Delay(1); // polls the kernel's own state; no assumption about how long stopping takes
            }
        }

        public async Task StopGracefully()
        {
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
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

    [Fact]
    public async Task KillNineMidStorm_LosesNoAcknowledgedEvent_AndRetriesCreateNoDuplicate()
    {
        var topology = SmallNetwork.WriteTo(_folder.Path);
        const int Events = 2_000;
        const int HeldBack = 200; // sent after the server froze, so the kill certainly interrupts traffic
        var frames = new byte[Events][];
        IReadOnlyCollection<ushort> acknowledged = [];

        using (var server = new ServerProcess(_folder.Path, topology))
        {
            int port = await server.Port;
            var master = await File.ReadAllBytesAsync(Path.Combine(_folder.Path, "keys", "master.key"));
            var now = DateTimeOffset.UtcNow;
            for (int i = 0; i < Events; i++)
            {
                int m = i % Meters.Length;
                var e = new MeterEvent(Meters[m], MeterEventCode.PowerDown, (uint)i + 1, 1, now, now, 4200, -70, 0);
                var apdu = MeterFrameWriter.Apdu(e, 0x4F50530000000001UL + (ulong)m, (uint)(i / Meters.Length) + 1, MeterKeys.Derive(master, Meters[m]));
                frames[i] = MeterFrameWriter.Post(CoapType.Confirmable, (ushort)(i + 1), [0x01], apdu);
            }

            acknowledged = await SendAndKillNineMidTrafficAsync(server, port, frames, HeldBack);
        }

        var ackedBeforeKill = acknowledged.ToHashSet();
        Assert.True(ackedBeforeKill.Count >= 200);
        Assert.True(ackedBeforeKill.Count < Events, $"all {Events} events were acknowledged before the kill: it interrupted nothing");

        // Straight after the kill, before any restart: every acknowledged event is in the journal.
        using (var afterKill = new EventJournal(EventJournal.FolderUnder(Path.Combine(_folder.Path, "db"))))
        {
            var read = afterKill.ReadAll();
            var journaled = read.Records.Select(r => r.Event.EventId).ToHashSet();
            var missing = ackedBeforeKill.Where(mid => !journaled.Contains(mid)).Order().ToList();
            Assert.True(missing.Count == 0,
                $"acknowledged but not journaled: {string.Join(",", missing.Take(20))} of {ackedBeforeKill.Count}; journal {read.RecordCount} records, torn {read.TornTailBytes} bytes, {read.Corruptions.Count} corruptions");
        }

        // Restart on the same storage; every meter retries everything it sent.
        using (var server = new ServerProcess(_folder.Path, topology))
        {
            int port = await server.Port;
            using var udp = new UdpClient(AddressFamily.InterNetwork);
            udp.Connect(IPAddress.Loopback, port);
            var unexpected = new List<string>();
            foreach (var mid in ackedBeforeKill.Order())
            {
                await udp.SendAsync(frames[mid - 1]);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                while (true)
                {
                    var answer = (await udp.ReceiveAsync(timeout.Token)).Buffer;
                    Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(answer, out var view));
                    if (view.MessageId != mid)
                    {
                        unexpected.Add($"sent {mid}, got {view.MessageId} {CoapCode.Format(view.Code)}");
                        continue;
                    }

                    Assert.True(view.Code == CoapCode.Changed, $"MID {mid}: {CoapCode.Format(view.Code)}; log: " +
                        string.Join(" | ", File.ReadLines(Path.Combine(_folder.Path, "db", "logs", "event_processor.log")).TakeLast(3))); // recognised as already recorded
                    break;
                }
            }

            Assert.True(unexpected.Count == 0, string.Join("; ", unexpected.Take(20)));

            await server.StopGracefully();
        }

        // Every acknowledged event is in the store, exactly once (the journal segments the last checkpoint covers are gone:
        // what is left of the journal holds no duplicate either).
        using var journal = new EventJournal(EventJournal.FolderUnder(Path.Combine(_folder.Path, "db")));
        var keys = journal.ReadAll().Records.Select(r => r.Key).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        using var store = new LiteStore(Path.Combine(_folder.Path, "db"));
        var events = new EventStore(new LiteEventStore(store), journal);
        var recovery = events.Recover();
        var stored = new List<RecordedEvent>();
        events.ForEach(stored.Add);
        Assert.Equal(stored.Count, stored.Select(e => e.Key).Distinct().Count());
        var eventIds = stored.Select(e => e.Event.EventId).ToHashSet();
        Assert.All(ackedBeforeKill, mid => Assert.Contains((uint)mid, eventIds)); // MID i+1 carried event id i+1
        // ... and known to the duplicate check. These 4 meters number their events 4 apart (450 gaps each), past the
        // per-meter bound of SeenEventKeys, which then counts the oldest gaps as seen too: more keys, never fewer.
        Assert.All(stored, e => Assert.True(recovery.SeenKeys.Contains(e.Key), $"{e.Key} not seen"));
    }
}
