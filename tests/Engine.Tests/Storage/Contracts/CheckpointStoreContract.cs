using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Engine.Tests.Storage.Contracts;

/// <summary>What every <see cref="ICheckpointStore"/> must do; each implementation's test class derives from this.</summary>
public abstract class CheckpointStoreContract : IDisposable
{
    /// <summary>A store over empty storage.</summary>
    protected abstract ICheckpointStore Store { get; }

    /// <summary>The same storage opened again, as after a restart.</summary>
    protected abstract ICheckpointStore Reopen();

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    protected static CorrelationCheckpoint Make(int size, byte seed) => new(
        new DateTimeOffset(2026, 11, 24, 18, 0, seed % 60, TimeSpan.Zero),
        [.. Enumerable.Range(0, size).Select(i => (byte)(i * 31 + seed))],
        [.. Enumerable.Range(0, 22).Select(i => (byte)(i + seed))],
        LastActionId: 7 + seed,
        EventsTaken: 10_000_000_000L + seed);

    [Fact]
    public void Load_WithNoneSaved_IsNull() => Assert.Null(Store.Load());

    [Fact]
    public void Save_ThenLoad_GivesItBack_AfterAReopenToo()
    {
        var checkpoint = Make(5_000_000, 3); // larger than any one LiteDB document
        Store.Save(checkpoint);

        AssertSame(checkpoint, Store.Load());
        AssertSame(checkpoint, Reopen().Load());
    }

    [Fact]
    public void Save_ReplacesThePreviousOne_EvenALargerOne()
    {
        Store.Save(Make(3_000_000, 1));
        var smaller = Make(1000, 2);
        Store.Save(smaller);

        AssertSame(smaller, Store.Load());
    }

    [Fact]
    public void Delete_LeavesNone()
    {
        Store.Save(Make(10, 1));
        Store.Delete();
        Assert.Null(Store.Load());
    }

    [Fact]
    public void Save_AnEmptyStateAndNoPosition_LoadsAsSuch()
    {
        var empty = new CorrelationCheckpoint(DateTimeOffset.UnixEpoch, [], [], 0, 0);
        Store.Save(empty);
        AssertSame(empty, Store.Load());
    }

    private static void AssertSame(CorrelationCheckpoint expected, CorrelationCheckpoint? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal((expected.TakenAt, expected.LastActionId, expected.EventsTaken), (actual.TakenAt, actual.LastActionId, actual.EventsTaken));
        Assert.Equal(expected.LastTaken, actual.LastTaken);
        Assert.True(expected.State.AsSpan().SequenceEqual(actual.State), "the state differs");
    }
}
