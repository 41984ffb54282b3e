using System.Threading.Channels;

namespace OpsConsole.Engine.Hosting;

/// <summary>
/// Blocks a dedicated thread until a channel has something to read, without spinning first.
/// </summary>
/// <remarks>
/// <c>reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()</c> on an empty channel goes through
/// <c>Task.SpinThenBlockingWait</c>: it spins (yielding) before it blocks, and a consumer that empties its
/// queue thousands of times a second spins every time. In a storm the journal writer and the correlation loop
/// did exactly that, and their spinning took CPU from the receive threads on a two-core server (dotnet-trace:
/// 89 % of the correlation thread's samples in <c>Task.SpinWait</c>). Here the thread registers a continuation
/// and sleeps on an event that never spins (<c>spinCount: 0</c>). One waiter per consumer thread; not
/// thread-safe; no allocation per wait.
/// </remarks>
public sealed class ChannelWaiter : IDisposable
{
    private readonly ManualResetEventSlim _signal = new(initialState: false, spinCount: 0);
    private readonly Action _set;

    public ChannelWaiter() => _set = _signal.Set;

    /// <summary>As <see cref="ChannelReader{T}.WaitToReadAsync"/>, blocking: true when an item is available, false when the channel is completed and empty.</summary>
    public bool WaitToRead<T>(ChannelReader<T> reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return Block(reader.WaitToReadAsync());
    }

    /// <summary>Consumes <paramref name="pending"/> once, as an await does: OnCompleted when it is not complete yet, then GetResult.</summary>
    private bool Block(ValueTask<bool> pending)
    {
        var awaiter = pending.GetAwaiter();
        if (!awaiter.IsCompleted)
        {
            _signal.Reset();
            awaiter.UnsafeOnCompleted(_set);
            _signal.Wait();
        }

        return awaiter.GetResult();
    }

    public void Dispose() => _signal.Dispose();
}
