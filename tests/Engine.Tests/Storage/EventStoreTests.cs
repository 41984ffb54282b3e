using System.Diagnostics;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Storage.LiteDb;
using Xunit.Abstractions;

namespace OpsConsole.Engine.Tests.Storage;

public sealed class EventStoreTests(ITestOutputHelper output) : TempFolder
{
    /// <summary>One process lifetime: the shared LiteDB file and the journal under one Storage:Path.</summary>
    private sealed class Instance : IDisposable
    {
        public Instance(string folder)
        {
            Lite = new LiteStore(folder);
            Journal = new EventJournal(EventJournal.FolderUnder(folder));
            Store = new EventStore(new LiteEventStore(Lite), Journal);
        }

        public LiteStore Lite { get; }

        public EventJournal Journal { get; }

        public EventStore Store { get; }

        public void Dispose()
        {
            Journal.Dispose();
            Lite.Dispose();
        }
    }

    [Fact]
    public void Recover_AfterRestart_ReturnsHighestInvocationCounterPerMeterAndTheKeys()
    {
        var first = StorageTestEvents.Batch(0, 10, meter: 1);
        var second = StorageTestEvents.Batch(0, 4, meter: 2);
        second.Add(StorageTestEvents.Make(50, meter: 2, ic: 5)); // counters need not arrive in order across batches
        using (var run = new Instance(Folder))
        {
            Assert.Equal(10, run.Store.StoreBatch(first));
            Assert.Equal(5, run.Store.StoreBatch(second));
        }

        using var restarted = new Instance(Folder);
        var recovery = restarted.Store.Recover();

        Assert.Equal(0, recovery.Reinserted);
        Assert.True(recovery.Journal.IsClean);
        Assert.Equal(2, recovery.HighestInvocationCounters.Count);
        Assert.Equal(19u, recovery.HighestInvocationCounters[first[0].SystemTitle]);
        Assert.Equal(13u, recovery.HighestInvocationCounters[second[0].SystemTitle]);
        Assert.Equal(first.Concat(second).Select(e => e.Key).ToHashSet(), recovery.SeenKeys.Keys.ToHashSet());
        Assert.Equal(15, restarted.Store.Count());
    }

    [Fact]
    public void Recover_LiteDbFileLost_ReinsertsEveryJournalRecord()
    {
        var events = StorageTestEvents.Batch(0, 25, meter: 3);
        using (var run = new Instance(Folder))
        {
            run.Store.StoreBatch(events);
        }

        File.Delete(Path.Combine(Folder, LiteStore.FileName));

        using var restarted = new Instance(Folder);
        Assert.Equal(0, restarted.Store.Count());
        var recovery = restarted.Store.Recover();

        Assert.Equal(25, recovery.Reinserted);
        Assert.Equal(25, restarted.Store.Count());
        Assert.Equal(events.OrderByDescending(e => e.ReceivedAt), restarted.Store.ByMeter(StorageTestEvents.MeterId(3)));
        Assert.Equal(0, restarted.Store.Recover().Reinserted); // idempotent
    }

    [Fact]
    public void Recover_LiteDbMissedTheLastBatch_ReinsertsOnlyThatBatch()
    {
        using (var run = new Instance(Folder))
        {
            run.Store.StoreBatch(StorageTestEvents.Batch(0, 10, meter: 4));
            run.Journal.AppendBatch(StorageTestEvents.Batch(10, 3, meter: 4)); // journaled, crash before LiteDB
        }

        using var restarted = new Instance(Folder);
        var recovery = restarted.Store.Recover();

        Assert.Equal(3, recovery.Reinserted);
        Assert.Equal(13, restarted.Store.Count());
        Assert.Equal(StorageTestEvents.Make(12, meter: 4), restarted.Store.Find(StorageTestEvents.Make(12, meter: 4).Key));
        Assert.Equal(StorageTestEvents.Batch(10, 3, meter: 4).AsEnumerable().Reverse(), restarted.Store.Recent(3));
    }

    [Fact]
    public void Recover_JournalDamagedInTheMiddle_ReportsItAndKeepsTheIndexedCopy()
    {
        var events = StorageTestEvents.Batch(0, 4, meter: 10);
        using (var run = new Instance(Folder))
        {
            run.Store.StoreBatch(events);
        }

        string segment = Assert.Single(Directory.GetFiles(EventJournal.FolderUnder(Folder)));
        byte[] bytes = File.ReadAllBytes(segment);
        bytes[10] ^= 0x01; // inside the first record's payload
        File.WriteAllBytes(segment, bytes);

        using var restarted = new Instance(Folder);
        var recovery = restarted.Store.Recover();

        Assert.Single(recovery.Journal.Corruptions);
        Assert.Equal(3, recovery.Journal.RecordCount);
        Assert.Equal(0, recovery.Reinserted);
        Assert.Equal(4, restarted.Store.Count());
        Assert.Equal(events[0], restarted.Store.Find(events[0].Key));
    }

    [Fact]
    public void IndexBatch_AfterJournalAppend_MakesTheEventsQueryable()
    {
        using var run = new Instance(Folder);
        var events = StorageTestEvents.Batch(0, 3, meter: 11);
        run.Journal.AppendBatch(events);

        Assert.Equal(3, run.Store.IndexBatch(events));
        Assert.Equal(0, run.Store.IndexBatch(events));
        Assert.Equal(0, run.Store.Recover().Reinserted);
        Assert.Equal(3, run.Store.Count());
    }

    [Fact]
    public void StoreBatch_SameEventTwice_LeavesOneDocument()
    {
        using var run = new Instance(Folder);
        var e = StorageTestEvents.Make(1, meter: 5);

        Assert.Equal(1, run.Store.StoreBatch([e]));
        Assert.Equal(0, run.Store.StoreBatch([e with { ReceivedAt = e.ReceivedAt.AddSeconds(3) }]));
        Assert.Equal(1, run.Store.StoreBatch([e, StorageTestEvents.Make(2, meter: 5), StorageTestEvents.Make(2, meter: 5)]));

        Assert.Equal(2, run.Store.Count());
        Assert.Equal(e, run.Store.Find(e.Key)); // the first arrival is kept
        Assert.Equal(2, run.Store.Recover().SeenKeys.Count);
    }

    [Fact]
    public void StoreBatch_ThenQueries_ReturnEveryFieldExactly()
    {
        using var run = new Instance(Folder);
        var a = StorageTestEvents.Batch(0, 6, meter: 6);
        var b = StorageTestEvents.Batch(100, 2, meter: 9);
        run.Store.StoreBatch([.. a, .. b]);

        Assert.Equal(a.OrderByDescending(e => e.ReceivedAt).Take(4), run.Store.ByMeter(StorageTestEvents.MeterId(6), limit: 4));
        Assert.Equal(b.OrderByDescending(e => e.ReceivedAt), run.Store.ByMeter(StorageTestEvents.MeterId(9)));
        Assert.Equal(a.Concat(b).OrderByDescending(e => e.ReceivedAt).Take(5), run.Store.Recent(5));
    }

    [Fact]
    public void StoreBatch_ManyEvents_OneLiteDbDocumentPerBatch()
    {
        using var run = new Instance(Folder);
        run.Store.StoreBatch(StorageTestEvents.Batch(0, 500, meter: 12));
        run.Store.StoreBatch(StorageTestEvents.Batch(500, 300, meter: 13));

        Assert.Equal(2, run.Lite.Database.GetCollection(LiteEventStore.CollectionName).Count());
        Assert.Equal(800, run.Store.Count());
    }

    [Fact]
    public void Recover_DamagedLiteDbDocument_IsReplacedFromTheJournal()
    {
        var events = StorageTestEvents.Batch(0, 20, meter: 14);
        using (var run = new Instance(Folder))
        {
            run.Store.StoreBatch(events);
            var col = run.Lite.Database.GetCollection(LiteEventStore.CollectionName);
            var doc = col.FindById(1);
            byte[] bytes = doc["events"].AsBinary;
            bytes[2] = 0xEE; // the first record's version byte (after its 2-byte length)
            doc["events"] = bytes;
            col.Update(doc);
        }

        using var restarted = new Instance(Folder);
        var recovery = restarted.Store.Recover();

        Assert.Equal(20, recovery.Reinserted);
        Assert.Equal(events.OrderByDescending(e => e.ReceivedAt), restarted.Store.ByMeter(StorageTestEvents.MeterId(14)));
        Assert.Equal(1, restarted.Lite.Database.GetCollection(LiteEventStore.CollectionName).Count());
    }

    [Fact]
    public void ForEach_AfterRestart_YieldsEveryEventInStoredOrder()
    {
        var a = StorageTestEvents.Batch(0, 5, meter: 15);
        var b = StorageTestEvents.Batch(0, 3, meter: 16);
        using (var run = new Instance(Folder))
        {
            run.Store.StoreBatch(a);
            run.Store.StoreBatch(b);
        }

        using var restarted = new Instance(Folder);
        var seen = new List<RecordedEvent>();
        restarted.Store.ForEach(seen.Add);

        Assert.Equal(a.Concat(b), seen);
    }

    [Fact(Skip = "measurement for the ingest batching, not a check; run by hand")]
    public void StoreBatch_Throughput_Measurement()
    {
        using var run = new Instance(Folder);
        run.Store.Recover();
        int n = 0;
        foreach (int size in new[] { 1, 100, 1000 })
        {
            int runs = size == 1 ? 200 : size == 100 ? 30 : 9;
            var times = new List<double>();
            for (int r = 0; r < runs; r++)
            {
                var batch = StorageTestEvents.Batch(n, size, meter: 100 + (r % 7));
                n += size;
                var sw = Stopwatch.StartNew();
                run.Store.StoreBatch(batch);
                times.Add(sw.Elapsed.TotalMilliseconds);
            }

            times.Sort();
            double median = times[times.Count / 2];
            output.WriteLine($"batch {size}: median {median:F3} ms, {size / median * 1000:F0} events/s, {1000 / median:F0} batches(fsyncs)/s");

            var journalOnly = new List<double>();
            for (int r = 0; r < runs; r++)
            {
                var batch = StorageTestEvents.Batch(n, size, meter: 200);
                n += size;
                var sw = Stopwatch.StartNew();
                run.Journal.AppendBatch(batch);
                journalOnly.Add(sw.Elapsed.TotalMilliseconds);
            }

            journalOnly.Sort();
            output.WriteLine($"  journal only: median {journalOnly[journalOnly.Count / 2]:F3} ms");
        }

        var readWatch = Stopwatch.StartNew();
        var read = run.Journal.Read(_ => { });
        output.WriteLine($"journal read of {read.RecordCount} records: {readWatch.Elapsed.TotalMilliseconds:F0} ms");
        readWatch.Restart();
        long count = run.Store.Count();
        output.WriteLine($"LiteDB count of {count}: {readWatch.Elapsed.TotalMilliseconds:F0} ms");

        var recoverWatch = Stopwatch.StartNew();
        var recovery = run.Store.Recover(); // the journal-only batches are missing from LiteDB
        output.WriteLine($"Recover over {recovery.Journal.RecordCount} records ({recovery.Reinserted} missing): {recoverWatch.Elapsed.TotalMilliseconds:F0} ms");
        recoverWatch.Restart();
        recovery = run.Store.Recover();
        output.WriteLine($"Recover over {recovery.Journal.RecordCount} records ({recovery.Reinserted} missing): {recoverWatch.Elapsed.TotalMilliseconds:F0} ms");
    }
}
