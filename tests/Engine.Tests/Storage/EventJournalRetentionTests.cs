using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Tests.Storage;

/// <summary>Closing the segment taking appends, deleting closed segments, reading what is left.</summary>
public sealed class EventJournalRetentionTests : TempFolder
{
    [Fact]
    public void Roll_ThenDelete_LeavesTheNewSegment_AndReadingGivesWhatWasAppendedAfter()
    {
        using var journal = new EventJournal(Folder);
        journal.AppendBatch(StorageTestEvents.Batch(0, 5));
        journal.Roll();
        journal.Roll(); // nothing appended since: no empty segment after an empty one
        journal.AppendBatch(StorageTestEvents.Batch(5, 3));

        var closed = journal.ClosedSegmentPaths();
        Assert.Single(closed);
        Assert.Equal(2, journal.SegmentPaths().Count);
        Assert.Equal(5, journal.ReadSegment(closed[0], _ => { }));

        Assert.Equal(1, journal.DeleteSegments(closed));
        var left = new List<uint>();
        var read = journal.ReadSnapshot(e => left.Add(e.Event.EventId));
        Assert.Equal([1005u, 1006u, 1007u], left);
        Assert.True(read.IsClean);
        Assert.Equal(3, journal.ReadAll().RecordCount); // a full read (as at start) works without the old segment

        journal.AppendBatch(StorageTestEvents.Batch(8, 1));
        Assert.Equal(4, journal.ReadAll().RecordCount);
    }

    [Fact]
    public void DeleteSegments_RefusesTheSegmentTakingAppends()
    {
        using var journal = new EventJournal(Folder);
        journal.AppendBatch(StorageTestEvents.Batch(0, 2));
        var last = journal.SegmentPaths()[^1];

        Assert.Throws<InvalidOperationException>(() => journal.DeleteSegments([last]));
        Assert.True(File.Exists(last));
    }
}
