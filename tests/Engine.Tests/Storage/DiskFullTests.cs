using LiteDB;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Storage.LiteDb;

namespace OpsConsole.Engine.Tests.Storage;

/// <summary>
/// Each writer on a real, full file system (a 2 MiB tmpfs filled with a file): it refuses cleanly with the
/// OS's "No space left on device", loses nothing it confirmed, and works again by itself when the file is
/// deleted — no new instance, no restart.
/// </summary>
public sealed class DiskFullTests : TempFolder
{
    private const string NoSpace = "No space left on device";

    private Tmpfs MountFull() => Tmpfs.Mount(Path.Combine(Folder, "mnt"), "2m");

    [TmpfsFact]
    public void Journal_OnAFullDisk_RefusesAppends_ThenTakesThemAgainWhenSpaceReturns()
    {
        using var tmpfs = MountFull();
        string folder = Path.Combine(tmpfs.Path, "journal");
        var durable = new List<RecordedEvent>();
        using (var journal = new EventJournal(folder))
        {
            durable.AddRange(Append(journal, StorageTestEvents.Batch(0, 50)));
            tmpfs.Fill();

            // The last page of the segment may still take a batch or two; then the disk says no.
            IOException? refused = null;
            for (int i = 1; i <= 100 && refused is null; i++)
            {
                var batch = StorageTestEvents.Batch(i * 50, 50);
                try
                {
                    journal.AppendBatch(batch);
                    durable.AddRange(batch);
                }
                catch (IOException ex)
                {
                    refused = ex;
                }
            }

            Assert.NotNull(refused);
            Assert.Contains(NoSpace, refused.Message, StringComparison.Ordinal);
            Assert.Contains(NoSpace, journal.Fault?.Message, StringComparison.Ordinal);
            Assert.False(journal.TryRecover()); // the probe needs room too
            Assert.Throws<IOException>(() => journal.AppendBatch(StorageTestEvents.Batch(9000, 50)));

            tmpfs.Free();

            Assert.True(journal.TryRecover());
            Assert.Null(journal.Fault);
            durable.AddRange(Append(journal, StorageTestEvents.Batch(10_000, 50)));
        }

        // Exactly what AppendBatch confirmed, intact: nothing refused slipped in, nothing confirmed went.
        using var reopened = new EventJournal(folder);
        var read = reopened.ReadAll();
        Assert.True(read.IsClean);
        Assert.Equal(durable, read.Records);
    }

    [TmpfsFact]
    public async Task EventProcessorLog_OnAFullDisk_KeepsItsLines_AndWritesThemWhenSpaceReturns()
    {
        using var tmpfs = MountFull();
        await using var log = new EventProcessorLog(Path.Combine(tmpfs.Path, "logs"), TimeProvider.System);
        log.Rejected(RejectReason.ERR_AUTH_FAILED, null, "before");
        await log.FlushAsync();
        tmpfs.Fill();

        for (int i = 0; i < 300; i++)
        {
            log.Rejected(RejectReason.ERR_REPLAY, null, $"during-{i}", "ic=1 highest=2");
        }

        Assert.False(await log.RetryNowAsync());
        Assert.Contains(NoSpace, log.Fault?.Message, StringComparison.Ordinal);
        Assert.Equal(["before"], Meters(log)); // a failed write leaves no torn line behind

        tmpfs.Free();

        Assert.True(await log.RetryNowAsync());
        await log.FlushAsync();
        Assert.Null(log.Fault);
        Assert.Equal(0, log.Dropped);
        Assert.Equal(["before", .. Enumerable.Range(0, 300).Select(i => $"during-{i}")], Meters(log));
    }

    [TmpfsFact]
    public void LiteStore_OnAFullDisk_FailsWrites_AndReopensItselfWhenSpaceReturns()
    {
        using var tmpfs = MountFull();
        string folder = Path.Combine(tmpfs.Path, "db");
        int committed = 0;
        using (var store = new LiteStore(folder))
        {
            var docs = store.Database.GetCollection("docs");
            for (; committed < 10; committed++)
            {
                docs.Insert(Doc(committed));
            }

            tmpfs.Fill();
            IOException? refused = null;
            for (int i = 0; i < 200 && refused is null; i++)
            {
                try
                {
                    store.Database.GetCollection("docs").Insert(Doc(committed));
                    committed++;
                }
                catch (IOException ex)
                {
                    refused = ex;
                }
            }

            Assert.NotNull(refused);
            Assert.Contains(NoSpace, store.Fault?.Message, StringComparison.Ordinal);

            // LiteDB closed its engine; reads work again after the reopen, on the full disk.
            Assert.Equal(committed, store.Database.GetCollection("docs").Count());

            tmpfs.Free();

            store.Database.GetCollection("docs").Insert(Doc(committed++));
            Assert.Null(store.Fault);
            Assert.True(store.IsHealthy());
        }

        using var reopened = new LiteStore(folder);
        Assert.Equal(Enumerable.Range(0, committed), reopened.Database.GetCollection("docs").FindAll().Select(d => d["_id"].AsInt32).Order());
    }

    private static BsonDocument Doc(int id) => new() { ["_id"] = id, ["payload"] = new byte[8000] };

    private static List<RecordedEvent> Append(EventJournal journal, List<RecordedEvent> batch)
    {
        journal.AppendBatch(batch);
        return batch;
    }

    private static List<string> Meters(EventProcessorLog log) =>
        [.. File.ReadAllLines(log.FilePath).Select(l => l.Split(' ')[3]["meter=".Length..])];
}
