using System.Collections.Concurrent;

namespace OpsConsole.Console.Server.Security;

/// <summary>
/// Lets one log line per key (a remote address) through per <see cref="Interval"/> and counts the ones held back,
/// so an attacker repeating a refused request cannot flood the log. Memory is bounded: past
/// <see cref="MaxKeys"/> keys, the stale ones are forgotten (at worst a key is logged again early).
/// </summary>
public sealed class LogThrottle(TimeProvider time)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private const int MaxKeys = 4096;

    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    /// <summary>True when a line for <paramref name="key"/> may be written now; <paramref name="suppressed"/> counts those held back since the last one.</summary>
    public bool ShouldLog(string key, out int suppressed)
    {
        var now = time.GetUtcNow();
        if (_slots.Count >= MaxKeys)
        {
            foreach (var (k, s) in _slots)
            {
                if (now - s.Since >= Interval)
                {
                    _slots.TryRemove(k, out _);
                }
            }

            if (_slots.Count >= MaxKeys)
            {
                _slots.Clear();
            }
        }

        var slot = _slots.GetOrAdd(key, _ => new Slot { Since = DateTimeOffset.MinValue });
        lock (slot)
        {
            if (now - slot.Since >= Interval)
            {
                suppressed = slot.Suppressed;
                slot.Since = now;
                slot.Suppressed = 0;
                return true;
            }

            slot.Suppressed++;
            suppressed = 0;
            return false;
        }
    }

    private sealed class Slot
    {
        public DateTimeOffset Since { get; set; }

        public int Suppressed { get; set; }
    }
}
