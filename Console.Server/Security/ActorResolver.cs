using System.Security.Claims;
using OpsConsole.Console.Server.Security.Sessions;
using OpsConsole.Engine.Application;

namespace OpsConsole.Console.Server.Security;

/// <summary>
/// Turns a front door's <see cref="ClaimsPrincipal"/> into the <see cref="Actor"/> the application layer checks and
/// audits with: the name the sign-in gave it (a user name, <c>api-key:&lt;role&gt;:&lt;4 hex&gt;</c>,
/// <c>cert:&lt;role&gt;:&lt;8 hex&gt;</c>), its role, and why its session was revoked, if it was.
/// </summary>
public sealed class ActorResolver(SessionStamps sessions)
{
    public Actor Of(ClaimsPrincipal? user, string? remoteAddress)
    {
        string name = user?.Identity?.IsAuthenticated == true ? user.Identity.Name ?? "" : "";
        if (user is null || name.Length == 0)
        {
            return Actor.Anonymous with { RemoteAddress = remoteAddress };
        }

        var role = user.IsInRole(Roles.Admin) ? ActorRole.Admin : user.IsInRole(Roles.Dispatcher) ? ActorRole.Dispatcher : ActorRole.None;
        return new Actor(name, role, sessions.WhyRevoked(user), remoteAddress);
    }

    /// <summary>The caller of an HTTP request (REST, hub negotiation), with the connection's remote address.</summary>
    public Actor Of(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return Of(http.User, http.Connection.RemoteIpAddress?.ToString());
    }
}
