namespace OpsConsole.Console.Server.Security.Users;

/// <summary>
/// Failed sign-ins counted per (user name as typed, remote address): after <see cref="SignInService.MaxFailures"/>
/// in a row, that address may not try that name for <see cref="SignInService.LockoutPeriod"/>. The owner signing in
/// from another address is not locked out (an anonymous attacker cannot lock an account), and a name that does
/// not exist locks the same way as one that does (the answer tells no names apart). In memory, bounded
/// (<see cref="MaxEntries"/>); sign-in attempts per address are rate-limited before they get here.
/// </summary>
public sealed class SignInThrottle(TimeProvider time)
{
    public const int MaxEntries = 10_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Name, string Address), Entry> _entries = [];

    /// <summary>Until when <paramref name="address"/> may not try <paramref name="name"/>; null when it may.</summary>
    public DateTime? LockedUntil(string name, string? address)
    {
        var now = time.GetUtcNow().UtcDateTime;
        lock (_gate)
        {
            return _entries.TryGetValue(Key(name, address), out var e) && e.LockedUntil > now ? e.LockedUntil : null;
        }
    }

    /// <summary>Counts a failure; the new lockout's end when this one reached <see cref="SignInService.MaxFailures"/>, with the count so far.</summary>
    public (int InARow, DateTime? LockedUntil) Failed(string name, string? address)
    {
        var now = time.GetUtcNow().UtcDateTime;
        lock (_gate)
        {
            var key = Key(name, address);
            if (!_entries.TryGetValue(key, out var e))
            {
                MakeRoom(now);
                e = new Entry();
                _entries[key] = e;
            }

            e.LastFailure = now;
            e.Failures++;
            int inARow = e.Failures;
            if (e.Failures >= SignInService.MaxFailures)
            {
                e.Failures = 0;
                e.LockedUntil = now + SignInService.LockoutPeriod;
                return (inARow, e.LockedUntil);
            }

            return (inARow, null);
        }
    }

    public void Succeeded(string name, string? address)
    {
        lock (_gate)
        {
            _entries.Remove(Key(name, address));
        }
    }

    /// <summary>An admin's unlock: every address may try <paramref name="name"/> again.</summary>
    public void Forget(string name)
    {
        string n = Normal(name);
        lock (_gate)
        {
            foreach (var key in _entries.Keys.Where(k => k.Name == n).ToList())
            {
                _entries.Remove(key);
            }
        }
    }

    private void MakeRoom(DateTime now)
    {
        if (_entries.Count < MaxEntries)
        {
            return;
        }

        // Stale first (no failure for a lockout period and not locked), then the oldest unlocked ones.
        foreach (var (key, e) in _entries.Where(kv => kv.Value.LockedUntil <= now && now - kv.Value.LastFailure > SignInService.LockoutPeriod).ToList())
        {
            _entries.Remove(key);
        }

        foreach (var (key, _) in _entries.Where(kv => kv.Value.LockedUntil <= now).OrderBy(kv => kv.Value.LastFailure).Take(Math.Max(0, _entries.Count - (MaxEntries * 3 / 4))).ToList())
        {
            _entries.Remove(key);
        }
    }

    private static (string, string) Key(string name, string? address) => (Normal(name), address ?? "");

    private static string Normal(string name) => name.Trim().ToLowerInvariant();

    private sealed class Entry
    {
        public int Failures { get; set; }

        public DateTime LockedUntil { get; set; }

        public DateTime LastFailure { get; set; }
    }
}
