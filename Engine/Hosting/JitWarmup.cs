using System.Diagnostics;
using System.Runtime;

namespace OpsConsole.Engine.Hosting;

/// <summary>How a warm-up went: rounds run, time taken, methods the JIT compiled meanwhile.</summary>
public readonly record struct WarmupResult(int Rounds, TimeSpan Elapsed, long MethodsCompiled);

/// <summary>
/// Runs a start-up warm-up until the JIT has settled. With tiered compilation a method starts as quick,
/// unoptimised code and is recompiled optimised, on a background thread, after about 30 calls; a head-end
/// started seconds before a storm meets that storm with slow code and with the JIT competing for the same two
/// cores (StormBench lost 10–17 % of the first two seconds). Repeating the hot path on synthetic data gets
/// it compiled before traffic arrives, while later code keeps the benefit of tiering.
/// </summary>
public static class JitWarmup
{
    /// <summary>The JIT counts as settled when it compiled nothing for this long.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Calls <paramref name="round"/> until no method was compiled for <see cref="Quiet"/> (after at least
    /// <paramref name="minimum"/>), or until <paramref name="budget"/> is spent.
    /// </summary>
    public static WarmupResult Run(Action round, TimeSpan minimum, TimeSpan budget)
    {
        ArgumentNullException.ThrowIfNull(round);
        long start = Stopwatch.GetTimestamp();
        long compiledAtStart = JitInfo.GetCompiledMethodCount();
        long lastCount = compiledAtStart;
        long lastChange = start;
        int rounds = 0;
        while (true)
        {
            round();
            rounds++;
            long now = Stopwatch.GetTimestamp();
            long count = JitInfo.GetCompiledMethodCount();
            if (count != lastCount)
            {
                lastCount = count;
                lastChange = now;
            }

            var elapsed = Stopwatch.GetElapsedTime(start, now);
            if (elapsed >= budget || (elapsed >= minimum && Stopwatch.GetElapsedTime(lastChange, now) >= Quiet))
            {
                return new WarmupResult(rounds, elapsed, count - compiledAtStart);
            }
        }
    }
}
