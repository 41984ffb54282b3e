namespace OpsConsole.Engine.Hosting;

/// <summary>Names the dedicated threads of the engine, so per-thread CPU (top -H, /proc/PID/task, StormBench) says which stage is which.</summary>
public static class DedicatedThread
{
    /// <summary>
    /// Names the calling thread when it is a thread of its own (not the pool's) without a name of ours yet: a
    /// LongRunning task's thread is called ".NET Long Running Task" by the runtime. Linux shows the first 15 characters.
    /// </summary>
    public static void Name(string name)
    {
        var thread = Thread.CurrentThread;
        if (!thread.IsThreadPoolThread && (thread.Name is null || thread.Name.StartsWith(".NET Long Running", StringComparison.Ordinal)))
        {
            thread.Name = name;
        }
    }
}
