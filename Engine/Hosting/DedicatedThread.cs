using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace OpsConsole.Engine.Hosting;

/// <summary>Names the dedicated threads of the engine, so per-thread CPU (top -H, /proc/PID/task, StormBench) says which stage is which.</summary>
public static partial class DedicatedThread
{
    private const int PrioProcess = 0; // Linux PRIO_PROCESS: with a thread id, that thread alone

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

    /// <summary>
    /// Gives the calling thread (a thread of its own, never the pool's) the Linux nice value <paramref name="niceness"/>,
    /// so work that may wait (indexing for queries) yields the cores to work that may not (receiving). Lowering needs no
    /// privilege. .NET's <see cref="Thread.Priority"/> does nothing on Linux, hence setpriority(2) on the thread id.
    /// Elsewhere, or when refused, the thread keeps its priority (logged at Debug).
    /// </summary>
    /// <returns>True when the thread now runs at <paramref name="niceness"/>.</returns>
    public static bool LowerPriority(int niceness, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (!OperatingSystem.IsLinux() || Thread.CurrentThread.IsThreadPoolThread)
        {
            return false;
        }

        int tid = GetTid();
        if (SetPriority(PrioProcess, tid, niceness) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            LogNotLowered(logger, tid, niceness, errno);
            return false;
        }

        return true;
    }

    /// <summary>The calling thread's Linux nice value (tests, diagnostics); null elsewhere.</summary>
    public static int? CurrentNiceness()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        Marshal.SetLastPInvokeError(0);
        int value = GetPriority(PrioProcess, GetTid());
        return value == -1 && Marshal.GetLastPInvokeError() != 0 ? null : value;
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int prio);

    [LibraryImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    private static partial int GetPriority(int which, int who);

    [LoggerMessage(EventId = 2030, Level = LogLevel.Debug, Message = "Thread {ThreadId} keeps its priority: setpriority({Niceness}) failed with errno {Errno}")]
    private static partial void LogNotLowered(ILogger logger, int threadId, int niceness, int errno);
}
