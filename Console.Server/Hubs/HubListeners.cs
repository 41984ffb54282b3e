namespace OpsConsole.Console.Server.Hubs;

/// <summary>
/// How many clients are connected to <see cref="OutageHub"/> right now, so the stats push runs only while
/// someone listens. <see cref="Generation"/> moves on every new connection, so the publisher sends the
/// current stats to a newcomer even when they did not change since the last push.
/// </summary>
public sealed class HubListeners
{
    private int _count;
    private long _generation;

    /// <summary>Connected clients.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Connections made since start.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public void Connected()
    {
        Interlocked.Increment(ref _count);
        Interlocked.Increment(ref _generation);
    }

    public void Disconnected() => Interlocked.Decrement(ref _count);
}
