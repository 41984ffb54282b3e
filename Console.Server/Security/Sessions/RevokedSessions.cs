using System.Collections.Concurrent;
using LiteDB;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Console.Server.Security.Sessions;

/// <summary>One signed-out session (LiteDB collection <c>revoked_sessions</c>), kept until its cookie could no longer be valid anyway.</summary>
public sealed class RevokedSession
{
    /// <summary>The session id of the cookie (<see cref="SessionStamps.SessionClaimType"/>).</summary>
    public string Id { get; set; } = "";

    /// <summary>The end of the session's absolute lifetime: after this, the entry is not needed.</summary>
    public DateTime Until { get; set; }
}

/// <summary>
/// The sessions ended by a sign-out: their cookies are refused from then on, even a copy taken before. Each
/// browser sign-in has an id of its own, so signing out one browser leaves the user's other browsers signed in
/// (a new security stamp would have ended them all). Stored in LiteDB (a restart does not bring a session
/// back) and held in memory for the check on every request; entries go when their session's absolute
/// lifetime is over.
/// </summary>
public sealed class RevokedSessions(LiteStore store, TimeProvider time)
{
    public const string CollectionName = "revoked_sessions";

    private readonly Lazy<ConcurrentDictionary<string, DateTime>> _revoked = new(() =>
        new ConcurrentDictionary<string, DateTime>(
            store.Database.GetCollection<RevokedSession>(CollectionName).FindAll().Select(r => KeyValuePair.Create(r.Id, r.Until)),
            StringComparer.Ordinal));

    private ILiteCollection<RevokedSession> Stored => store.Database.GetCollection<RevokedSession>(CollectionName);

    public bool IsRevoked(string sessionId) => _revoked.Value.ContainsKey(sessionId);

    /// <summary>Ends <paramref name="sessionId"/> for good (until <paramref name="until"/>, when its cookie is void anyway).</summary>
    public void Revoke(string sessionId, DateTime until)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        Stored.Upsert(new RevokedSession { Id = sessionId, Until = until });
        _revoked.Value[sessionId] = until;

        var now = time.GetUtcNow().UtcDateTime;
        foreach (var (id, end) in _revoked.Value)
        {
            if (end < now)
            {
                _revoked.Value.TryRemove(id, out _);
            }
        }

        Stored.DeleteMany(r => r.Until < now);
    }
}
