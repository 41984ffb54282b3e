using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Tests.Storage;

public sealed class SeenEventKeysTests
{
    private static readonly Guid Meter = Guid.Parse("6f1c2a3b-4d5e-4f60-8a7b-000000000001");

    private static EventKey Key(uint id, ushort epoch = 1) => new(Meter, epoch, id);

    [Fact]
    public void TryAdd_SequentialIds_OneRangeAndEveryKeyFound()
    {
        var keys = new SeenEventKeys();
        for (uint id = 1; id <= 100_000; id++)
        {
            Assert.True(keys.TryAdd(Key(id)));
        }

        Assert.Equal(1, keys.RangeCount);
        Assert.Equal(100_000, keys.Count);
        Assert.True(keys.Contains(Key(1)) && keys.Contains(Key(50_000)) && keys.Contains(Key(100_000)));
        Assert.False(keys.Contains(Key(0)) || keys.Contains(Key(100_001)) || keys.Contains(Key(5, epoch: 2)));
        Assert.False(keys.TryAdd(Key(77)));
    }

    [Fact]
    public void TryAdd_OutOfOrderAndGaps_MatchesASetExactly()
    {
        var keys = new SeenEventKeys(int.MaxValue); // unbounded: exact whatever the gaps
        var set = new HashSet<EventKey>();
        var random = new Random(7);
        for (int i = 0; i < 20_000; i++)
        {
            var k = Key((uint)random.Next(0, 3000), (ushort)random.Next(0, 3));
            Assert.Equal(set.Add(k), keys.TryAdd(k));
            if (i % 5 == 0)
            {
                var r = Key((uint)random.Next(0, 3000), (ushort)random.Next(0, 3));
                Assert.Equal(set.Remove(r), keys.Remove(r));
            }
        }

        Assert.Equal(set, keys.Keys.ToHashSet());
        Assert.Equal(set.Count, keys.Count);
        Assert.Equal(set, keys.Clone().Keys.ToHashSet());
    }

    [Fact]
    public void Remove_InsideARange_SplitsItAndTheKeyCanReturn()
    {
        var keys = new SeenEventKeys();
        for (uint id = 1; id <= 10; id++)
        {
            keys.TryAdd(Key(id));
        }

        Assert.True(keys.Remove(Key(5)));
        Assert.False(keys.Remove(Key(5)));

        Assert.Equal(2, keys.RangeCount);
        Assert.False(keys.Contains(Key(5)));
        Assert.True(keys.TryAdd(Key(5)));
        Assert.Equal(1, keys.RangeCount);
    }

    [Fact]
    public void TryAdd_MoreGapsThanTheBound_RangesStayBoundedAndNoKeySeenIsAcceptedAgain()
    {
        var keys = new SeenEventKeys();
        for (uint id = 1; id <= 4001; id += 2) // every other event lost: a gap after each
        {
            Assert.True(keys.TryAdd(Key(id)));
            Assert.True(keys.RangeCount <= SeenEventKeys.MaxRangesPerMeter);
        }

        Assert.Equal(SeenEventKeys.MaxRangesPerMeter, keys.MaxRangesOfAnyMeter);
        for (uint id = 1; id <= 4001; id += 2)
        {
            Assert.False(keys.TryAdd(Key(id))); // the bound never forgets a key: a replay stays a duplicate
        }

        // The newest gaps are still exact (a late event there is recorded); the oldest were filled.
        Assert.False(keys.Contains(Key(4000)));
        Assert.True(keys.TryAdd(Key(4000)));
        Assert.True(keys.Contains(Key(2)));
    }

    [Fact]
    public void AddThrough_CountsEveryKeyUpToItAsSeenAndJoinsTheRangesItReaches()
    {
        var keys = new SeenEventKeys();
        keys.TryAdd(Key(5));
        keys.TryAdd(Key(20));
        keys.TryAdd(Key(40));

        keys.AddThrough(Meter, ((ulong)1 << 32) | 19); // epoch 1, event 19: joins the range of 20

        Assert.True(keys.Contains(Key(0)) && keys.Contains(Key(7, epoch: 0)) && keys.Contains(Key(12)) && keys.Contains(Key(20)));
        Assert.False(keys.Contains(Key(21)));
        Assert.Equal(2, keys.RangeCount); // [0, (1,20)] and [(1,40)]
        Assert.True(keys.TryAdd(Key(21)));
    }
}
