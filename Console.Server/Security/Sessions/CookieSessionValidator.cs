using System.Collections.Concurrent;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using OpsConsole.Console.Server.Security.Users;

namespace OpsConsole.Console.Server.Security.Sessions;

/// <summary>
/// The sign-in cookie's <c>OnValidatePrincipal</c>, on every request that carries one: a cookie whose
/// security stamp is no longer the user's (password reset or changed since, user gone, or issued before
/// stamps existed) is rejected and deleted, so the request goes on anonymous (a page: the sign-in page; an
/// API, hub or circuit call: 401). Each revoked cookie is audited once, with the remote address: requests
/// already in flight with it, or a client that ignores the deletion, add no entries.
/// </summary>
public sealed partial class CookieSessionValidator(SessionStamps sessions, AuditLog audit, TimeProvider time, ILogger<CookieSessionValidator> logger)
{
    /// <summary>Revoked cookies remembered for the audit; past this, those older than <see cref="RememberFor"/> are forgotten.</summary>
    private const int MaxRemembered = 1024;

    private static readonly TimeSpan RememberFor = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _audited = new(StringComparer.Ordinal);

    public async Task ValidatePrincipalAsync(CookieValidatePrincipalContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Principal is not { } principal || sessions.WhyRevoked(principal) is not { } reason)
        {
            return;
        }

        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme).ConfigureAwait(false);

        string user = principal.Identity?.Name ?? "";
        string cookie = $"{user}\n{principal.FindFirst(SessionStamps.ClaimType)?.Value}\n{context.Properties.IssuedUtc?.UtcTicks}";
        if (FirstRejection(cookie))
        {
            string remote = context.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "";
            audit.Write(user, SessionStamps.RevokedAction, remote, reason);
            LogRevoked(logger, user, reason, remote);
        }
    }

    /// <summary>True the first time this cookie (user, stamp, issue time) is rejected.</summary>
    private bool FirstRejection(string cookie)
    {
        var now = time.GetUtcNow();
        if (_audited.Count >= MaxRemembered)
        {
            foreach (var (key, at) in _audited)
            {
                if (now - at > RememberFor)
                {
                    _audited.TryRemove(key, out _);
                }
            }

            if (_audited.Count >= MaxRemembered)
            {
                _audited.Clear(); // bounded memory first; at worst a cookie is audited twice
            }
        }

        return _audited.TryAdd(cookie, now);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Signed out a session of {User} ({Reason}) from {RemoteAddress}")]
    private static partial void LogRevoked(ILogger logger, string user, string reason, string remoteAddress);
}
