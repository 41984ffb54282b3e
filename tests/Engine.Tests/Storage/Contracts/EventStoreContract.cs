using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Tests.Storage.Contracts;

/// <summary>What every <see cref="IEventStore"/> must honour (see its documentation); a backend subclasses this with its factory.</summary>
public abstract class EventStoreContract : StoreContract<IEventStore>
{
    private static readonly DateTimeOffset Day0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Event <paramref name="n"/> of <paramref name="meter"/>, received <paramref name="at"/>.</summary>
    private static RecordedEvent At(int n, int meter, DateTimeOffset at) => StorageTestEvents.Make(n, meter) with { ReceivedAt = at };

    [Fact]
    public void Add_TheSameEventsTwice_AddsThemOnceAndTheFirstOfEqualKeysWins()
    {
        var store = Open();
        var batch = StorageTestEvents.Batch(0, 5, meter: 1);
        var twin = batch[2] with { Source = "10.9.9.9:1" }; // same key, other content

        Assert.Equal(5, store.Add([.. batch, twin]));
        Assert.Equal(0, store.Add(batch));
        Assert.Equal(0, store.Add([twin]));

        Assert.Equal(5, store.Count());
        Assert.Equal(batch[2].Source, store.ByMeter(StorageTestEvents.MeterId(1)).Single(e => e.Key == twin.Key).Source);
        Assert.True(store.Contains(batch[4].Key));
        Assert.False(store.Contains(StorageTestEvents.Make(99, meter: 1).Key));
    }

    [Fact]
    public void EveryField_ComesBackAsStored_AfterARestart()
    {
        var batch = StorageTestEvents.Batch(0, 12, meter: 3);
        Open().Add(batch);

        var reopened = Reopen();

        var all = new List<RecordedEvent>();
        reopened.ForEach(all.Add);
        Assert.Equal(batch, all);
        Assert.Equal(12, reopened.Count());
        Assert.Equal(0, reopened.Add(batch)); // still idempotent after a restart
    }

    [Fact]
    public void ForEach_YieldsEventsInTheOrderAdded_CallByCall()
    {
        var store = Open();
        var late = At(1, 1, Day0.AddHours(5));
        var early = At(2, 2, Day0.AddHours(1)); // received earlier, added later
        var third = At(3, 1, Day0.AddHours(3));
        store.Add([late]);
        store.Add([early, third]);

        var all = new List<RecordedEvent>();
        store.ForEach(all.Add);

        Assert.Equal([late, early, third], all);
    }

    [Fact]
    public void ByMeter_NewestReceivedFirst_OnlyThatMeter_HonoursTheLimit()
    {
        var store = Open();
        for (int i = 0; i < 10; i++)
        {
            store.Add([At(i, 1, Day0.AddMinutes(i)), At(100 + i, 2, Day0.AddMinutes(i))]); // one call per minute
        }

        var meter1 = store.ByMeter(StorageTestEvents.MeterId(1));
        Assert.Equal(10, meter1.Count);
        Assert.All(meter1, e => Assert.Equal(StorageTestEvents.MeterId(1), e.Event.MeterId));
        Assert.Equal(meter1.OrderByDescending(e => e.ReceivedAt), meter1);
        Assert.Equal([9, 8, 7], store.ByMeter(StorageTestEvents.MeterId(1), limit: 3).Select(e => (int)e.Event.EventId - 1000));
        Assert.Empty(store.ByMeter(StorageTestEvents.MeterId(7)));
    }

    [Fact]
    public void ByMeter_FindsAtLeastTheNewestMeterHistoryEvents_HoweverManyCallsTheyCameIn()
    {
        var store = Open();
        int calls = IEventStore.MeterHistory * 3;
        for (int i = 0; i < calls; i++)
        {
            store.Add([At(i, 1, Day0.AddMinutes(i)), At(1000 + i, 2, Day0.AddMinutes(i))]);
        }

        var newest = store.ByMeter(StorageTestEvents.MeterId(1), IEventStore.MeterHistory);

        Assert.Equal(Enumerable.Range(calls - IEventStore.MeterHistory, IEventStore.MeterHistory).Reverse(), newest.Select(e => (int)e.Event.EventId - 1000));
    }

    [Fact]
    public void LastByMeters_TheNewestOfEachMeterThatHasAny()
    {
        var store = Open();
        store.Add([At(1, 1, Day0), At(2, 2, Day0.AddMinutes(1))]);
        store.Add([At(3, 1, Day0.AddMinutes(2))]);

        var last = store.LastByMeters([StorageTestEvents.MeterId(1), StorageTestEvents.MeterId(2), StorageTestEvents.MeterId(9)]);

        Assert.Equal(2, last.Count);
        Assert.Equal(1003u, last[StorageTestEvents.MeterId(1)].Event.EventId);
        Assert.Equal(1002u, last[StorageTestEvents.MeterId(2)].Event.EventId);
    }

    [Fact]
    public void Recent_AndBetween_OrderAndBoundsByReceivedTime()
    {
        var store = Open();
        var events = Enumerable.Range(0, 30).Select(i => At(i, i % 4, Day0.AddHours(i))).ToList();
        store.Add([.. events.Where((_, i) => i % 2 == 1)]); // the odd hours first
        store.Add([.. events.Where((_, i) => i % 2 == 0)]);

        Assert.Equal(events.AsEnumerable().Reverse().Take(5), store.Recent(5));
        var window = store.Between(Day0.AddHours(10), Day0.AddHours(20), limit: 100);
        Assert.Equal(events.Skip(10).Take(10), window); // [from, to): hour 20 is out
        Assert.Equal(events.Skip(10).Take(3), store.Between(Day0.AddHours(10), Day0.AddHours(20), limit: 3));
        Assert.Empty(store.Between(Day0.AddDays(5), Day0.AddDays(6), limit: 10));
    }

    [Fact]
    public void DeleteReceivedBefore_RemovesExactlyTheOlderEvents_EvenInsideACall()
    {
        var store = Open();
        store.Add([At(1, 1, Day0), At(2, 2, Day0.AddDays(1))]);
        store.Add([At(3, 1, Day0.AddDays(2)), At(4, 2, Day0.AddDays(3)), At(5, 1, Day0.AddDays(4))]); // straddles the horizon
        store.Add([At(6, 2, Day0.AddDays(5))]);

        long deleted = store.DeleteReceivedBefore(Day0.AddDays(3));

        Assert.Equal(3, deleted);
        Assert.Equal(3, store.Count());
        var left = new List<RecordedEvent>();
        store.ForEach(left.Add);
        Assert.Equal([1004u, 1005u, 1006u], left.Select(e => e.Event.EventId));
        Assert.All(store.Recent(100), e => Assert.True(e.ReceivedAt >= Day0.AddDays(3)));
        Assert.All(store.ByMeter(StorageTestEvents.MeterId(1)), e => Assert.True(e.ReceivedAt >= Day0.AddDays(3)));
        Assert.Empty(store.Between(Day0, Day0.AddDays(3), 100));
        Assert.True(store.Horizon >= Day0.AddDays(3));
        Assert.Equal(0, store.DeleteReceivedBefore(Day0.AddDays(3))); // twice is harmless
    }

    [Fact]
    public void AfterADeletion_TheDeletedDoNotComeBack_AndTheirReplayProtectionStays_AcrossARestart()
    {
        var store = Open();
        var old = At(1, 1, Day0) with { InvocationCounter = 900 };
        var kept = At(2, 2, Day0.AddDays(10)) with { InvocationCounter = 5 };
        store.Add([old, kept]);
        store.DeleteReceivedBefore(Day0.AddDays(1));

        var reopened = Reopen();

        Assert.Equal(0, reopened.Add([old])); // a journal replay of a deleted event adds nothing
        Assert.Equal(1, reopened.Count());
        Assert.True(reopened.Contains(old.Key)); // its key stays known
        var state = reopened.RecoveryState();
        Assert.True(state.SeenKeys.Contains(old.Key));
        Assert.Equal(900u, state.HighestInvocationCounters[old.SystemTitle]);
        Assert.Equal(5u, state.HighestInvocationCounters[kept.SystemTitle]);
        Assert.True(reopened.Horizon >= Day0.AddDays(1));
        Assert.Equal(1, reopened.Add([At(3, 1, Day0.AddDays(11))])); // newer events of the same meter still go in
    }

    [Fact]
    public void RecoveryState_HighestCounterPerSystemTitleAndEveryKey()
    {
        var store = Open();
        store.Add([StorageTestEvents.Make(0, meter: 1, ic: 40), StorageTestEvents.Make(1, meter: 1, ic: 7), StorageTestEvents.Make(2, meter: 2, ic: 3)]);

        var state = store.RecoveryState();

        Assert.Equal(40u, state.HighestInvocationCounters[StorageTestEvents.Make(0, meter: 1).SystemTitle]);
        Assert.Equal(3u, state.HighestInvocationCounters[StorageTestEvents.Make(0, meter: 2).SystemTitle]);
        Assert.Equal(3, state.SeenKeys.Count);
    }

    [Fact]
    public async Task ReadersWhileOneWriterAdds_SeeWholeCallsAndACountThatNeverGoesBack()
    {
        var store = Open();
        const int Calls = 200, PerCall = 10;
        using var done = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 3).Select(r => Task.Run(() =>
        {
            long last = 0;
            int reads = 0;
            while (!done.IsCancellationRequested || reads == 0)
            {
                long count = store.Count();
                Assert.True(count >= last, $"count went back from {last} to {count}");
                Assert.Equal(0, count % PerCall); // a call is seen whole or not at all
                last = count;
                var recent = store.Recent(PerCall);
                Assert.True(recent.Count is 0 or PerCall);
                _ = store.ByMeter(StorageTestEvents.MeterId(r));
                reads++;
            }

            return reads;
        })).ToList();

        for (int c = 0; c < Calls; c++)
        {
            Assert.Equal(PerCall, store.Add([.. Enumerable.Range(c * PerCall, PerCall).Select(n => At(n, n % 3, Day0.AddSeconds(n)))]));
        }

        await done.CancelAsync();
        int[] reads = await Task.WhenAll(readers);
        Assert.All(reads, n => Assert.True(n > 0));
        Assert.Equal(Calls * PerCall, store.Count());
    }
}
