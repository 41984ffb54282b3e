using System.Collections.Concurrent;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Console.Server.Security.Sessions;

/// <summary>
/// The sessions ended by a sign-out: their cookies are refused from then on, even a copy taken before. Each
/// browser sign-in has an id of its own, so signing out one browser leaves the user's other browsers signed in
/// (a new security stamp would have ended them all). Stored (<see cref="IRevokedSessionStore"/>: a restart does not bring a session
/// back) and held in memory for the check on every request; entries go when their session's absolute
/// lifetime is over.
/// </summary>
public sealed class RevokedSessions(IRevokedSessionStore store, TimeProvider time)
{
    private readonly Lazy<ConcurrentDictionary<string, DateTime>> _revoked = new(() =>
        new ConcurrentDictionary<string, DateTime>(
            store.All().Select(r => KeyValuePair.Create(r.Id, r.Until)),
            StringComparer.Ordinal));

    public bool IsRevoked(string sessionId) => _revoked.Value.ContainsKey(sessionId);

    /// <summary>Ends <paramref name="sessionId"/> for good (until <paramref name="until"/>, when its cookie is void anyway).</summary>
    public void Revoke(string sessionId, DateTime until)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        store.Upsert(sessionId, until);
        _revoked.Value[sessionId] = until;

        var now = time.GetUtcNow().UtcDateTime;
        foreach (var (id, end) in _revoked.Value)
        {
            if (end < now)
            {
                _revoked.Value.TryRemove(id, out _);
            }
        }

        store.DeleteExpired(now);
    }
}
