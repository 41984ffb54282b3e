using System.Collections.Concurrent;

namespace OpsConsole.Engine.Ingest;

/// <summary>
/// The highest invocation counter accepted per meter (wire-format.md §2): a frame whose counter
/// is not greater is a replay. Updates are compare-and-swap, so two workers racing on one meter
/// cannot both accept the same counter. Seeded at start from the durable event journal, so a
/// replay is refused across restarts too.
/// </summary>
public sealed class ReplayGuard
{
    private readonly ConcurrentDictionary<ulong, StrongBox> _highest = new();

    public ReplayGuard()
    {
    }

    public ReplayGuard(IEnumerable<KeyValuePair<ulong, uint>> recovered)
    {
        foreach (var (title, counter) in recovered)
        {
            _highest[title] = new StrongBox(counter);
        }
    }

    public int Count => _highest.Count;

    /// <summary>Accepts <paramref name="counter"/> when greater than the highest so far; false for a replay.</summary>
    public bool TryAdvance(ulong systemTitle, uint counter, out uint highest)
    {
        var box = _highest.GetOrAdd(systemTitle, static _ => new StrongBox(null));
        while (true)
        {
            long current = Interlocked.Read(ref box.Value);
            if (current >= counter)
            {
                highest = (uint)current;
                return false;
            }

            if (Interlocked.CompareExchange(ref box.Value, counter, current) == current)
            {
                highest = counter;
                return true;
            }
        }
    }

    public uint? Highest(ulong systemTitle) =>
        _highest.TryGetValue(systemTitle, out var box) && Interlocked.Read(ref box.Value) >= 0 ? (uint)Interlocked.Read(ref box.Value) : null;

    /// <summary>-1 = nothing accepted yet, so counter 0 is accepted once.</summary>
    private sealed class StrongBox(uint? initial)
    {
        public long Value = initial.HasValue ? initial.Value : -1;
    }
}
