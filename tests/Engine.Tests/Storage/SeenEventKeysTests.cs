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
        var keys = new SeenEventKeys();
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
}
