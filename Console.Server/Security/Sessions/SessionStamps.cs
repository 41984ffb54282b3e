using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;
using OpsConsole.Console.Server.Security.Users;

namespace OpsConsole.Console.Server.Security.Sessions;

/// <summary>
/// Whether a browser session is still the user's: its sign-in cookie carries the user's security stamp as
/// it was at sign-in (<see cref="ClaimType"/>); a password reset or change replaces the stamp and so ends
/// every session issued before. One in-memory lookup (<see cref="UserStore.SecurityStampOf"/>), cheap enough
/// for every request and every action.
/// </summary>
public sealed class SessionStamps(UserStore users)
{
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

        return string.Equals(presented, current.Value, StringComparison.Ordinal) ? null : current.Reason ?? "security stamp changed";
    }

    /// <summary>The claim to put on a new sign-in cookie of <paramref name="user"/>.</summary>
    public static Claim Claim(ConsoleUser user) => new(ClaimType, user.SecurityStamp);
}
