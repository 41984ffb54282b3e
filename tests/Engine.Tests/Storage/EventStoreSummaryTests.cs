using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Tests.Storage;

/// <summary>The saved look-ups let a start decode only the batches after them, and give what decoding everything gives.</summary>
public sealed class EventStoreSummaryTests : TempFolder
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
            var store = new EventStore(lite, journal);
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
            var collection = lite.Database.GetCollection(EventStore.CollectionName);
            var doc = collection.FindById(3);
            var intact = doc["events"].AsBinary;
            doc["events"] = new byte[] { 1, 2, 3 };
            collection.Update(doc);

            var store = new EventStore(lite, journal);
            Assert.Equal(400, store.Count());
            Assert.NotNull(collection.FindById(3)); // not decoded, so not found damaged

            doc["events"] = intact; // put right for the full load below
            collection.Update(doc);
        }

        using (var lite = new LiteStore(Folder))
        using (var journal = new EventJournal(EventJournal.FolderUnder(Folder)))
        {
            lite.Database.GetCollection(EventStore.SummaryCollectionName).DeleteAll(); // the full load: every batch decoded
            var full = new EventStore(lite, journal);
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
            var store = new EventStore(lite, journal);
            for (int b = 0; b < 10; b++)
            {
                store.StoreBatch(StorageTestEvents.Batch(b * 10, 10, meter: b % 3));
            }

            store.SaveSummary();
            expected = Describe(store);
            var chunk = lite.Database.GetCollection(EventStore.SummaryCollectionName).FindById(1);
            var data = chunk["data"].AsBinary;
            data[7] ^= 0xFF;
            chunk["data"] = data;
            lite.Database.GetCollection(EventStore.SummaryCollectionName).Update(chunk);
        }

        using (var lite = new LiteStore(Folder))
        using (var journal = new EventJournal(EventJournal.FolderUnder(Folder)))
        {
            Assert.Equal(expected, Describe(new EventStore(lite, journal)));
        }
    }
}
