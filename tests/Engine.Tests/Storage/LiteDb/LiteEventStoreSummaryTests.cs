using OpsConsole.Engine.Storage.LiteDb;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Tests.Storage;

/// <summary>The saved look-ups let a start decode only the batches after them, and give what decoding everything gives.</summary>
public sealed class LiteEventStoreSummaryTests : TempFolder
{
    private static string Describe(EventStore store)
    {
        var recovery = store.Recover();
        return $"count {store.Count()} seen {recovery.SeenKeys.Count} " +
            string.Join(",", recovery.HighestInvocationCounters.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key:X}={kv.Value}")) + " | " +
            string.Join(",", Enumerable.Range(0, 6).Select(m => string.Join("/", store.ByMeter(StorageTestEvents.MeterId(m)).Select(e => e.Key.EventId)))) + " | " +
            string.Join(",", store.Recent(50).Select(e => e.Key.EventId));
    }

    [Fact]
    public void Start_WithASummary_DecodesOnlyLaterBatches_AndKnowsWhatAFullLoadKnows()
    {
        string expected;
        using (var lite = new LiteStore(Folder))
        using (var journal = new EventJournal(EventJournal.FolderUnder(Folder)))
        {
            var store = new EventStore(new LiteEventStore(lite), journal);
            for (int b = 0; b < 40; b++)
            {
                store.StoreBatch(StorageTestEvents.Batch(b * 10, 10, meter: b % 6));
                if (b == 25)
                {
                    Assert.Equal(26, store.SaveSummary());
                }
            }

            expected = Describe(store);
        }

        using (var lite = new LiteStore(Folder))
        using (var journal = new EventJournal(EventJournal.FolderUnder(Folder)))
        {
            // Proof that the summarised batches are not decoded: damage one; a full load would drop it (and put its events back from the journal).
            var collection = lite.Database.GetCollection(LiteEventStore.CollectionName);
            var doc = collection.FindById(3);
            var intact = doc["events"].AsBinary;
            doc["events"] = new byte[] { 1, 2, 3 };
            collection.Update(doc);

            var store = new EventStore(new LiteEventStore(lite), journal);
            Assert.Equal(400, store.Count());
            Assert.NotNull(collection.FindById(3)); // not decoded, so not found damaged

            doc["events"] = intact; // put right for the full load below
            collection.Update(doc);
        }

        using (var lite = new LiteStore(Folder))
        using (var journal = new EventJournal(EventJournal.FolderUnder(Folder)))
        {
            lite.Database.GetCollection(LiteEventStore.SummaryCollectionName).DeleteAll(); // the full load: every batch decoded
            var full = new EventStore(new LiteEventStore(lite), journal);
            Assert.Equal(expected, Describe(full));
        }
    }

    [Fact]
    public void Start_WithADamagedSummary_DecodesEveryBatch()
    {
        string expected;
        using (var lite = new LiteStore(Folder))
        using (var journal = new EventJournal(EventJournal.FolderUnder(Folder)))
        {
            var store = new EventStore(new LiteEventStore(lite), journal);
            for (int b = 0; b < 10; b++)
            {
                store.StoreBatch(StorageTestEvents.Batch(b * 10, 10, meter: b % 3));
            }

            store.SaveSummary();
            expected = Describe(store);
            var chunk = lite.Database.GetCollection(LiteEventStore.SummaryCollectionName).FindById(1);
            var data = chunk["data"].AsBinary;
            data[7] ^= 0xFF;
            chunk["data"] = data;
            lite.Database.GetCollection(LiteEventStore.SummaryCollectionName).Update(chunk);
        }

        using (var lite = new LiteStore(Folder))
        using (var journal = new EventJournal(EventJournal.FolderUnder(Folder)))
        {
            Assert.Equal(expected, Describe(new EventStore(new LiteEventStore(lite), journal)));
        }
    }

    private static string WithoutSeenCount(string described) => System.Text.RegularExpressions.Regex.Replace(described, @"seen \d+ ", "");

    [Fact]
    public void Retention_AfterASummary_VoidsIt_SoTheNextStartSeesWhatIsLeft()
    {
        string expected;
        using (var lite = new LiteStore(Folder))
        using (var journal = new EventJournal(EventJournal.FolderUnder(Folder)))
        {
            var store = new EventStore(new LiteEventStore(lite), journal);
            for (int b = 0; b < 20; b++)
            {
                store.StoreBatch(StorageTestEvents.Batch(b * 10, 10, meter: b % 4));
            }

            Assert.Equal(20, store.SaveSummary());
            // Events 0..104 go: batches 0..9 deleted, batch 10 rewritten with 105..109.
            Assert.Equal(105, store.Index.DeleteReceivedBefore(StorageTestEvents.Make(105).ReceivedAt));
            Assert.Equal(0, lite.Database.GetCollection(LiteEventStore.SummaryCollectionName).Count());
            Assert.Equal(95, store.Count());
            expected = Describe(store);
        }

        using (var lite = new LiteStore(Folder))
        using (var journal = new EventJournal(EventJournal.FolderUnder(Folder)))
        {
            var restarted = new EventStore(new LiteEventStore(lite), journal);
            Assert.Equal(95, restarted.Count());
            // The seen keys count differs on purpose: a start marks every key up to each meter's highest deleted one as
            // seen (the replay protection of deleted events), the running store only those it held. The rest is equal.
            Assert.Equal(WithoutSeenCount(expected), WithoutSeenCount(Describe(restarted)));
            var recovery = restarted.Recover();
            Assert.All(Enumerable.Range(0, 200), n => Assert.True(recovery.SeenKeys.Contains(StorageTestEvents.Make(n, meter: n / 10 % 4).Key), $"event {n} not seen"));
        }
    }
}
