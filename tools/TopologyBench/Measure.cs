using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace OpsConsole.Tools.TopologyBench;

/// <summary>Stopwatch timing with warm-up and repeats; every figure is reported as median, min and max.</summary>
internal static class Measure
{
    /// <summary>Defeats dead-code elimination: every workload's checksum ends up here.</summary>
    public static long Sink { get; private set; }

    /// <summary>Minimum warm-up per look-up workload.</summary>
    private static readonly TimeSpan WarmUpTime = TimeSpan.FromSeconds(1);

    /// <summary>Wall time in milliseconds of each of <paramref name="runs"/> calls, after <paramref name="warmups"/> untimed ones.</summary>
    public static Sample Milliseconds(int warmups, int runs, Action action)
    {
        for (int i = 0; i < warmups; i++)
        {
            action();
        }

        var values = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            values[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        return new Sample(values);
    }

    /// <summary>
    /// Nanoseconds per operation of a batch workload <c>body(n)</c> that performs n operations and
    /// returns a checksum. The batch size is calibrated so one run lasts about <paramref name="runTime"/>.
    /// </summary>
    public static Sample NanosecondsPerOp(Func<int, long> body, int runs, TimeSpan runTime, int maxBatch = 1 << 26)
    {
        // Calibration: double the batch until it is long enough to time.
        int batch = 64;
        double elapsedMs;
        while (true)
        {
            elapsedMs = TimeBatch(body, batch);
            if (elapsedMs >= runTime.TotalMilliseconds / 8 || batch >= maxBatch)
            {
                break;
            }

            batch *= 2;
        }

        double scale = runTime.TotalMilliseconds / Math.Max(elapsedMs, 0.001);
        batch = (int)Math.Clamp(batch * scale, 1, maxBatch);

        // Tiered compilation promotes hot methods (the look-up and the dictionary code under it) on a
        // background thread some 100 ms after they get hot: call the workload often, for a while, and
        // leave that thread room on a 2-core machine before timing anything.
        int warmBatch = Math.Max(1, batch / 10);
        long warmStart = Stopwatch.GetTimestamp();
        for (int call = 0; call < 40 || Stopwatch.GetElapsedTime(warmStart) < WarmUpTime; call++)
        {
            TimeBatch(body, warmBatch);
            Thread.Sleep(5);
        }

        // Re-calibrate on the optimised code, then one full-size run untimed.
        elapsedMs = TimeBatch(body, batch);
        batch = (int)Math.Clamp(batch * runTime.TotalMilliseconds / Math.Max(elapsedMs, 0.001), 1, maxBatch);
        TimeBatch(body, batch);

        var values = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            values[i] = TimeBatch(body, batch) * 1e6 / batch;
        }

        return new Sample(values);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double TimeBatch(Func<int, long> body, int batch)
    {
        long start = Stopwatch.GetTimestamp();
        long checksum = body(batch);
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        Sink += checksum;
        return ms;
    }

    /// <summary>A full, compacting collection so that the next measurement starts from a clean heap.</summary>
    public static void CollectEverything()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }
}
