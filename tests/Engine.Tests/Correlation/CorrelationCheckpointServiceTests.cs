using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Protocols.Dlms;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Storage.LiteDb;
using OpsConsole.Engine.Tests.Coap;
using OpsConsole.Engine.Tests.Storage;
using OpsConsole.Engine.Topology;

namespace OpsConsole.Engine.Tests.Correlation;

/// <summary>
/// The hosted loop with checkpoints: a start resumes from the checkpoint and replays only the journal after it, and ends
/// with the outages a full replay builds, same ids; an unusable checkpoint falls back to a full replay with a warning;
/// journal segments the checkpoint covers are deleted and a start still recovers everything.
/// </summary>
public sealed class CorrelationCheckpointServiceTests : TempFolder
{
    private readonly ManualTimeProvider _time = new();
    private uint _eventId = 1;

    /// <summary>One process lifetime over a folder, with the checkpoint and outage stores.</summary>
    private sealed class Instance : IAsyncDisposable
    {
        private readonly LiteStore _lite;
        private readonly EventJournal _journal;
        private bool _stopped;

        private Instance(string folder, TimeProvider time, CorrelationOptions options, long segmentBytes, ILogger<CorrelationService> logger)
        {
            _lite = new LiteStore(folder);
            _journal = new EventJournal(EventJournal.FolderUnder(folder), segmentBytes);
            Store = new EventStore(new LiteEventStore(_lite), _journal);
            Store.Recover();
            Checkpoints = new LiteDbCheckpointStore(_lite);
            Outages = new LiteDbOutageStore(_lite);
            var topology = new TopologyState();
            topology.Replace(CorrelationNetwork.Build());
            Service = new CorrelationService(Store, new LiteOperatorActionStore(_lite), topology, Options.Create(options), time, logger, Checkpoints, Outages);
        }

        public EventStore Store { get; }

        public EventJournal Journal => _journal;

        public LiteDbCheckpointStore Checkpoints { get; }

        public LiteDbOutageStore Outages { get; }

        public CorrelationService Service { get; }

        public static async Task<Instance> StartAsync(string folder, TimeProvider time, CorrelationOptions? options = null, long segmentBytes = EventJournal.DefaultSegmentBytes,
            ILogger<CorrelationService>? logger = null)
        {
            var i = new Instance(folder, time, options ?? Quiet(), segmentBytes, logger ?? new ListLogger());
            await i.Service.StartAsync(CancellationToken.None);
            return i;
        }

        /// <summary>As the ingest does: durable first, then handed over.</summary>
        public void Accept(params RecordedEvent[] events)
        {
            Store.StoreBatch(events);
            Service.Accept(events);
        }

        /// <summary>A clean stop: the last checkpoint is taken.</summary>
        public async Task StopAsync()
        {
            await Service.StopAsync(CancellationToken.None);
            _stopped = true;
        }

        /// <summary>Without <see cref="StopAsync"/>: as a crash, no last checkpoint (what was handed to the writer before is written).</summary>
        public async ValueTask DisposeAsync()
        {
            if (!_stopped)
            {
                await Service.DisposeAsync();
            }
            else
            {
                await Service.DisposeAsync();
            }

            _journal.Dispose();
            _lite.Dispose();
        }
    }

    /// <summary>No periodic checkpoint: the tests take them when they mean to.</summary>
    private static CorrelationOptions Quiet() => new() { CheckpointSeconds = 0, WarmupMs = 0 };

    private sealed class ListLogger : ILogger<CorrelationService>
    {
        private readonly List<(LogLevel Level, string Message)> _lines = [];

        public IReadOnlyList<(LogLevel Level, string Message)> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add((logLevel, formatter(state, exception)));
            }
        }
    }

    private RecordedEvent Gasp(int meter, double msAgo = 0) =>
        Feed.Event(CorrelationNetwork.GuidOf(meter), MeterEventCode.PowerDown, _time.GetUtcNow().AddMilliseconds(-msAgo), _eventId++);

    private RecordedEvent Up(int meter) =>
        Feed.Event(CorrelationNetwork.GuidOf(meter), MeterEventCode.PowerUp, _time.GetUtcNow(), _eventId++);

    private static Task Settle(Instance i) => i.Service.QueryAsync(_ => 0);

    private static string Describe(CorrelationService service) =>
        service.QueryAsync(c => string.Join("\n", Enumerable.Range(1, 1000).Select(n => c.Find("O-" + n)).TakeWhile(o => o is not null).Select(o =>
            $"{o!.Id} {o.Level} {o.DeviceId} {o.State} {o.ReportingMeters}/{o.Meters} down {o.MetersDown} → {c.Resolve(o.Id)} [{string.Join(",", o.ReportingMeterIds)}] " +
            string.Join(" | ", o.History.Select(h => $"{h.From}->{h.State} {h.At:O} {h.Actor} {h.Note}"))))).GetAwaiter().GetResult();

    private static string Describe(IOutageStore store) => Describe(store.All());

    private static string Describe(IEnumerable<StoredOutage> outages) =>
        string.Join("\n", outages.Select(s =>
            $"{s.Id} {s.Outage.Level} {s.Outage.DeviceId} {s.Outage.State} {s.Outage.ReportingMeters}/{s.Outage.Meters} → {s.MergedIntoId} " +
            $"[{string.Join(",", s.Outage.ReportingMeterIds)}] " + string.Join(" | ", s.Outage.History.Select(h => $"{h.From}->{h.State} {h.At:O} {h.Actor} {h.Note}"))));

    private static string DescribeForStore(CorrelationService service) =>
        Describe(service.QueryAsync(c => c.SnapshotEveryOutage()).GetAwaiter().GetResult().Select(c => new StoredOutage(c.Outage, c.MergedIntoId)));

    private static void CopyFolder(string from, string to)
    {
        foreach (string dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }

        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }

    [Fact]
    public async Task Restart_AfterACleanStop_ResumesFromTheCheckpoint_ReplayingNothing_SameOutagesAndIds()
    {
        string before;
        RecordedEvent first;
        await using (var i = await Instance.StartAsync(Folder, _time))
        {
            i.Accept(first = Gasp(1), Gasp(2), Gasp(12));
            _time.Advance(TimeSpan.FromSeconds(3));
            await Settle(i);
            Assert.True((await i.Service.ApplyAsync(new OperatorAction { Kind = OperatorAction.RemapKind, Meter = "M12", Transformer = "T1", Actor = "admin" })).Succeeded);
            before = Describe(i.Service);
            await i.StopAsync();
        }

        var log = new ListLogger();
        await using (var again = await Instance.StartAsync(Folder, _time, logger: log))
        {
            Assert.Equal(before, Describe(again.Service));
            Assert.Equal(0, again.Service.EventsProcessed); // nothing replayed: the stop's checkpoint covers everything
            Assert.Contains(log.Lines, l => l.Message.Contains("resumed from the checkpoint", StringComparison.Ordinal));

            again.Accept(first); // a live duplicate of an event the checkpoint covers
            await Settle(again);
            Assert.Equal(before, Describe(again.Service));
        }
    }

    /// <summary>
    /// A checkpoint taken while T2's window is open (M5 down, no decision yet), then more events and an action after it,
    /// then a crash: the start from the checkpoint and the tail ends where a full replay of the same folder ends.
    /// </summary>
    [Fact]
    public async Task Crash_AfterACheckpointTakenBetweenAWindowOpeningAndItsDecision_ResumeEqualsAFullReplay()
    {
        await using (var i = await Instance.StartAsync(Folder, _time))
        {
            i.Accept(Gasp(1), Gasp(2), Gasp(3));
            _time.Advance(TimeSpan.FromSeconds(3));
            await Settle(i);
            Assert.Equal("O-1", Assert.Single(i.Service.Current.Active).Id);

            i.Accept(Gasp(5)); // opens T2's window
            _time.Advance(TimeSpan.FromMilliseconds(500));
            await Settle(i);
            await i.Service.CheckpointAsync();
            Assert.Single(i.Service.Current.All); // the window is still open: M5 is in no outage yet
            Assert.Equal("M5", Assert.Single(await i.Service.QueryAsync(c => c.MetersOf("O-1").Concat([c.MeterStatusOf("M5")!]).Where(m => m.IsDown && m.OutageId is null))).MeterId);

            // After the checkpoint: the tail.
            i.Accept(Gasp(6), Gasp(14));
            _time.Advance(TimeSpan.FromMilliseconds(300));
            await Settle(i);
            Assert.True((await i.Service.ApplyAsync(new OperatorAction { Kind = OperatorAction.RemapKind, Meter = "M12", Transformer = "T11", Actor = "admin" })).Succeeded);
            i.Accept(Gasp(12), Up(1));
            await Settle(i);
        } // crash: no stop, no last checkpoint

        string reference = Folder + "-full";
        CopyFolder(Folder, reference);
        try
        {
            using (var lite = new LiteStore(reference))
            {
                new LiteDbCheckpointStore(lite).Delete(); // the reference replays everything
            }

            _time.Advance(TimeSpan.FromSeconds(5)); // every window decided, in both
            string resumed, full;
            var log = new ListLogger();
            await using (var a = await Instance.StartAsync(Folder, _time, logger: log))
            {
                Assert.Contains(log.Lines, l => l.Message.Contains("resumed from the checkpoint", StringComparison.Ordinal) && l.Message.Contains("4 taken after it", StringComparison.Ordinal));
                resumed = Describe(a.Service);
                await a.Service.FlushAsync();
                Assert.Equal(DescribeForStore(a.Service), Describe(a.Outages)); // stored as they changed, the tail's changes too
            }

            await using (var b = await Instance.StartAsync(reference, _time))
            {
                full = Describe(b.Service);
            }

            Assert.Equal(full, resumed);
            Assert.Matches(@"\[[^\]]*\bM5\b[^\]]*\]", resumed); // the window open at the checkpoint was decided after the restart
        }
        finally
        {
            Directory.Delete(reference, recursive: true);
        }
    }

    public static TheoryData<string> Damage() => ["damaged", "format", "options"];

    [Theory]
    [MemberData(nameof(Damage))]
    public async Task Checkpoint_ThatCannotBeUsed_FallsBackToAFullReplay_WithAWarningNamingIt(string damage)
    {
        string before;
        await using (var i = await Instance.StartAsync(Folder, _time))
        {
            i.Accept(Gasp(1), Gasp(2), Gasp(9), Gasp(10));
            _time.Advance(TimeSpan.FromSeconds(3));
            await Settle(i);
            before = Describe(i.Service);
            await i.StopAsync();
        }

        using (var lite = new LiteStore(Folder))
        {
            var collection = lite.Database.GetCollection(LiteDbCheckpointStore.CollectionName);
            var doc = collection.FindById(damage == "damaged" ? 1 : 0);
            if (damage == "damaged")
            {
                var data = doc["data"].AsBinary;
                data[data.Length / 2] ^= 0x10;
                doc["data"] = data;
            }
            else if (damage == "format")
            {
                doc["format"] = LiteDbCheckpointStore.Format + 1;
            }

            collection.Update(doc);
        }

        var log = new ListLogger();
        var options = Quiet();
        if (damage == "options")
        {
            options.QualifyMs = 20_000;
        }

        await using (var again = await Instance.StartAsync(Folder, _time, options, logger: log))
        {
            var warning = Assert.Single(log.Lines, l => l.Level == LogLevel.Warning);
            Assert.Contains($"{LiteStore.FileName}, collection {LiteDbCheckpointStore.CollectionName}", warning.Message, StringComparison.Ordinal);
            Assert.Contains(damage switch { "damaged" => "CRC", "format" => "format", _ => "Correlation options" }, warning.Message, StringComparison.Ordinal);
            Assert.Contains("replaying every stored event", warning.Message, StringComparison.Ordinal);
            Assert.Equal(4, again.Service.EventsProcessed); // the full replay
            Assert.Equal(before, Describe(again.Service));
        }
    }

    [Fact]
    public async Task JournalSegments_TheCheckpointCovers_AreDeleted_AndAStartAfterwardsRecoversEverything()
    {
        const long SegmentBytes = 4096; // a few dozen events a segment
        int stored;
        string before;
        int segmentsBefore;
        await using (var i = await Instance.StartAsync(Folder, _time, segmentBytes: SegmentBytes))
        {
            for (int round = 0; round < 30; round++)
            {
                i.Accept(Gasp(1), Gasp(2), Gasp(5), Gasp(6), Gasp(14), Gasp(15), Gasp(20));
                _time.Advance(TimeSpan.FromSeconds(3));
                await Settle(i);
                i.Accept(Up(1), Up(2), Up(5), Up(6), Up(14), Up(15), Up(20));
                _time.Advance(TimeSpan.FromSeconds(1));
                await Settle(i);
            }

            segmentsBefore = i.Journal.SegmentPaths().Count;
            Assert.True(segmentsBefore > 5, $"{segmentsBefore} segments");
            await i.Service.CheckpointAsync();
            var left = i.Journal.SegmentPaths();
            Assert.Single(left); // the segment taking appends was closed (rolled) and, covered like the others, deleted
            Assert.EndsWith($"{segmentsBefore + 1:D6}{EventJournal.SegmentExtension}", left[0], StringComparison.Ordinal);
            Assert.Equal(0, new FileInfo(left[0]).Length);

            i.Accept(Gasp(9), Gasp(10)); // after the checkpoint: in the journal's tail only
            _time.Advance(TimeSpan.FromSeconds(3));
            await Settle(i);
            stored = (int)i.Store.Count();
            before = Describe(i.Service);
        } // crash

        _time.Advance(TimeSpan.FromSeconds(1));
        await using (var again = await Instance.StartAsync(Folder, _time, segmentBytes: SegmentBytes))
        {
            var recovery = again.Store.Recover();
            Assert.Equal(stored, recovery.SeenKeys.Count);
            Assert.True(recovery.Journal.IsClean);
            Assert.Equal(before, Describe(again.Service));
            Assert.Contains(again.Service.Current.Active, o => o.DeviceId == "T4" && o.ReportingMeters == 2);
        }
    }

    [Fact]
    public async Task Checkpoint_IsTakenEveryCheckpointSeconds_WhileSomethingChanged_AndNotWhenIdle()
    {
        var options = Quiet();
        options.CheckpointSeconds = 60;
        await using var i = await Instance.StartAsync(Folder, _time, options);
        await i.Service.FlushAsync();
        var atStart = i.Checkpoints.Load()!.TakenAt; // taken after the (full) replay at start
        i.Accept(Gasp(1));
        await Settle(i);
        _time.Advance(TimeSpan.FromSeconds(59));
        await Settle(i);
        await i.Service.FlushAsync();
        Assert.Equal(atStart, i.Checkpoints.Load()!.TakenAt); // not due yet

        _time.Advance(TimeSpan.FromSeconds(2)); // due: the timer fires
        await Settle(i);
        await i.Service.FlushAsync();
        var periodic = i.Checkpoints.Load()!;
        Assert.Equal(atStart.AddSeconds(61), periodic.TakenAt);
        var state = OutageCorrelator.RestoreCheckpoint(CorrelationNetwork.Build(), options, periodic.State);
        Assert.True(state.MeterStatusOf("M1")!.IsDown);

        _time.Advance(TimeSpan.FromSeconds(120)); // nothing changed since: no new checkpoint
        await Settle(i);
        await i.Service.FlushAsync();
        Assert.Equal(periodic.TakenAt, i.Checkpoints.Load()!.TakenAt);
    }
}
