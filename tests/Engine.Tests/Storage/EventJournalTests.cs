using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Tests.Storage;

public sealed class EventJournalTests : TempFolder
{
    private string JournalFolder => Path.Combine(Folder, "journal");

    [Fact]
    public void AppendBatch_ThenReadAll_RoundTripsEveryFieldExactly()
    {
        var batch = StorageTestEvents.Batch(0, 50, meter: 7);
        batch.Add(StorageTestEvents.Make(999, meter: 8, systemTitle: ulong.MaxValue, ic: uint.MaxValue) with { Flags = EventFlags.TimeSync | EventFlags.CapacitorLow | EventFlags.SignalLow });
        using (var journal = new EventJournal(JournalFolder))
        {
            journal.AppendBatch(batch);
            Assert.Equal(1, journal.Flushes);
        }

        using var reopened = new EventJournal(JournalFolder);
        var result = reopened.ReadAll();

        Assert.True(result.IsClean);
        Assert.Equal(batch, result.Records);
        for (int i = 0; i < batch.Count; i++)
        {
            // Record equality compares instants; the offsets are UTC as well.
            Assert.Equal(batch[i].ReceivedAt.Offset, result.Records[i].ReceivedAt.Offset);
            Assert.Equal(batch[i].Event.EventTime.UtcTicks, result.Records[i].Event.EventTime.UtcTicks);
        }
    }

    [Fact]
    public void ReadAll_TornTail_ReturnsIntactRecordsCutsTheTailAndAppendsContinue()
    {
        using (var journal = new EventJournal(JournalFolder))
        {
            journal.AppendBatch(StorageTestEvents.Batch(0, 3));
            journal.AppendBatch(StorageTestEvents.Batch(3, 3));
            journal.AppendBatch(StorageTestEvents.Batch(6, 3));
        }

        string segment = Assert.Single(Directory.GetFiles(JournalFolder));
        long fullLength = new FileInfo(segment).Length;
        using (var stream = new FileStream(segment, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(fullLength - 5); // the last record loses its CRC and a byte of payload
        }

        using (var journal = new EventJournal(JournalFolder))
        {
            var result = journal.ReadAll();
            Assert.Equal(StorageTestEvents.Batch(0, 8), result.Records);
            Assert.True(result.TornTailBytes > 0);
            Assert.Empty(result.Corruptions);
            Assert.Equal(fullLength - 5 - result.TornTailBytes, new FileInfo(segment).Length);

            journal.AppendBatch(StorageTestEvents.Batch(8, 4));
            var again = journal.ReadAll();
            Assert.True(again.IsClean);
            Assert.Equal(StorageTestEvents.Batch(0, 12), again.Records);
        }
    }

    [Fact]
    public void AppendBatch_AfterGarbageAtTheTailWithoutReading_CutsTheGarbageFirst()
    {
        using (var journal = new EventJournal(JournalFolder))
        {
            journal.AppendBatch(StorageTestEvents.Batch(0, 3));
        }

        string segment = Assert.Single(Directory.GetFiles(JournalFolder));
        using (var stream = new FileStream(segment, FileMode.Append, FileAccess.Write))
        {
            stream.Write([0x55, 0x00, 0x00, 0x00, 0xDE, 0xAD, 0xBE, 0xEF, 0x01]);
        }

        using (var journal = new EventJournal(JournalFolder))
        {
            journal.AppendBatch(StorageTestEvents.Batch(3, 2));
        }

        using var reopened = new EventJournal(JournalFolder);
        var result = reopened.ReadAll();
        Assert.True(result.IsClean);
        Assert.Equal(StorageTestEvents.Batch(0, 5), result.Records);
    }

    [Fact]
    public void ReadAll_CrcMismatchInTheMiddle_IsReportedAndTheRestIsRead()
    {
        using (var journal = new EventJournal(JournalFolder))
        {
            journal.AppendBatch(StorageTestEvents.Batch(0, 5));
        }

        string segment = Assert.Single(Directory.GetFiles(JournalFolder));
        byte[] bytes = File.ReadAllBytes(segment);
        int recordLength = BitConverter.ToInt32(bytes, 0) + 8;
        long secondRecord = recordLength;
        bytes[secondRecord + 30] ^= 0xFF; // a payload byte of record 2
        File.WriteAllBytes(segment, bytes);

        using var reopened = new EventJournal(JournalFolder);
        var result = reopened.ReadAll();

        var corruption = Assert.Single(result.Corruptions);
        Assert.Equal("CRC mismatch", corruption.Reason);
        Assert.Equal(secondRecord, corruption.Offset);
        Assert.Equal(Path.GetFileName(segment), corruption.Segment);
        Assert.Equal(0, result.TornTailBytes);
        var expected = StorageTestEvents.Batch(0, 5);
        expected.RemoveAt(1);
        Assert.Equal(expected, result.Records);
        Assert.Equal(bytes.Length, new FileInfo(segment).Length); // damage is reported, not cut away
    }

    [Fact]
    public void AppendBatch_PastTheSegmentSize_RollsToANewSegmentAndReadsInOrder()
    {
        using (var journal = new EventJournal(JournalFolder, segmentBytes: 4096))
        {
            for (int b = 0; b < 10; b++)
            {
                journal.AppendBatch(StorageTestEvents.Batch(b * 10, 10));
            }
        }

        using var reopened = new EventJournal(JournalFolder, segmentBytes: 4096);
        var segments = reopened.SegmentPaths();
        Assert.True(segments.Count > 1);
        Assert.EndsWith("segment-000001.evj", segments[0], StringComparison.Ordinal);
        Assert.All(segments.SkipLast(1), s => Assert.True(new FileInfo(s).Length <= 4096));

        var result = reopened.ReadAll();
        Assert.True(result.IsClean);
        Assert.Equal(segments.Count, result.SegmentCount);
        Assert.Equal(StorageTestEvents.Batch(0, 100), result.Records);
    }

    [Fact]
    public void Journal_Files_AreOwnerOnly()
    {
        using var journal = new EventJournal(JournalFolder);
        journal.AppendBatch(StorageTestEvents.Batch(0, 1));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(JournalFolder));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Assert.Single(journal.SegmentPaths())));
    }

    [Fact]
    public void EventKey_Bytes_RoundTripInNetworkOrder()
    {
        var key = new EventKey(Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"), 0x0102, 0x03040506);
        byte[] bytes = key.ToBytes();

        Assert.Equal(Convert.FromHexString("00112233445566778899AABBCCDDEEFF010203040506"), bytes);
        Assert.Equal(key, EventKey.FromBytes(bytes));
    }
}
