using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;
using OpsConsole.Console.Server.Security.Users;

namespace OpsConsole.Console.Server.Security.Sessions;

/// <summary>
/// Whether a browser session is still the user's: its sign-in cookie carries the user's security stamp as
/// it was at sign-in (<see cref="ClaimType"/>); a password reset or change replaces the stamp and so ends
/// every session issued before. It also carries a session id of its own and the time of the sign-in: a
/// sign-out revokes that id (<see cref="RevokedSessions"/>), and a session ends <see cref="AbsoluteLifetime"/>
/// after its sign-in however active it is (the cookie also ends after <see cref="IdleTimeout"/> without a
/// request). In-memory lookups, cheap enough for every request and every action.
/// </summary>
public sealed class SessionStamps(UserStore users, RevokedSessions revoked, TimeProvider time)
{
    /// <summary>The claim with the session's own id (random, 128 bits).</summary>
    public const string SessionClaimType = "opsconsole:session";

    /// <summary>The claim with the sign-in time (Unix seconds, UTC).</summary>
    public const string SignedInClaimType = "opsconsole:signed-in";

    /// <summary>A session ends this long after its sign-in, however active (a control-room shift).</summary>
    public static readonly TimeSpan AbsoluteLifetime = TimeSpan.FromHours(12);

    /// <summary>The sign-in cookie ends after this long without a request (sliding).</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromHours(1);

    /// <summary>Audit detail of a session ended by its sign-out (a copy of its cookie used afterwards).</summary>
    public const string SignedOutReason = "signed out";

    /// <summary>Audit detail of a session past <see cref="AbsoluteLifetime"/>.</summary>
    public const string ExpiredReason = "session older than 12 hours";

    /// <summary>Audit detail of a cookie issued before sessions had ids.</summary>
    public const string NoSessionReason = "signed in before per-session sign-out";

    /// <summary>The claim on the sign-in cookie (the cookie is encrypted: the stamp is never shown to the browser).</summary>
    public const string ClaimType = "opsconsole:security-stamp";

    /// <summary>The audit action of a session ended because its stamp is no longer the user's.</summary>
    public const string RevokedAction = "session-revoked";

    /// <summary>Audit detail of a cookie issued before security stamps existed.</summary>
    public const string NoStampReason = "signed in before security stamps";

    /// <summary>Audit detail of a session whose user has gone.</summary>
    public const string UnknownUserReason = "user no longer exists";

    /// <summary>
    /// Null when <paramref name="principal"/> is not a revoked session: a current sign-in cookie, or not a
    /// sign-in cookie at all (anonymous, or an API key, which is configuration, not a session). Else why it
    /// was revoked, for the audit (never the stamp).
    /// </summary>
    public string? WhyRevoked(ClaimsPrincipal principal)
    {
        if (principal?.Identity is not ClaimsIdentity { IsAuthenticated: true } identity
            || identity.AuthenticationType != CookieAuthenticationDefaults.AuthenticationScheme)
        {
            return null;
        }

        if (users.SecurityStampOf(identity.Name ?? "") is not { } current)
        {
            return UnknownUserReason;
        }

        if (identity.FindFirst(ClaimType)?.Value is not { } presented)
        {
            return NoStampReason;
        }

        if (!string.Equals(presented, current.Value, StringComparison.Ordinal))
        {
            return current.Reason ?? "security stamp changed";
        }

        if (identity.FindFirst(SessionClaimType)?.Value is not { Length: > 0 } session
            || !long.TryParse(identity.FindFirst(SignedInClaimType)?.Value, System.Globalization.CultureInfo.InvariantCulture, out long signedIn))
        {
            return NoSessionReason;
        }

        if (revoked.IsRevoked(session))
        {
            return SignedOutReason;
        }

        return time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(signedIn) > AbsoluteLifetime ? ExpiredReason : null;
    }

    /// <summary>The claims of a new browser session: a fresh session id and the sign-in time.</summary>
    public IEnumerable<Claim> NewSession() =>
    [
        new(SessionClaimType, Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16))),
        new(SignedInClaimType, time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];

    /// <summary>Ends the session of <paramref name="principal"/> (a sign-out): its cookie, and every copy of it, is refused from now on.</summary>
    public void SignOut(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        if (principal.FindFirst(SessionClaimType)?.Value is { Length: > 0 } session)
        {
            long.TryParse(principal.FindFirst(SignedInClaimType)?.Value, System.Globalization.CultureInfo.InvariantCulture, out long signedIn);
            var until = DateTimeOffset.FromUnixTimeSeconds(signedIn) + AbsoluteLifetime;
            revoked.Revoke(session, (until > time.GetUtcNow() ? until : time.GetUtcNow() + AbsoluteLifetime).UtcDateTime);
        }
    }

    /// <summary>The claim to put on a new sign-in cookie of <paramref name="user"/>.</summary>
    public static Claim Claim(ConsoleUser user) => new(ClaimType, user.SecurityStamp);
}
