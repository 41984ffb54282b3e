namespace OpsConsole.Engine.Application;

/// <summary>
/// Who asks for a command, as every front door describes its caller: the name the audit shows (a user name,
/// <c>api-key:&lt;role&gt;:&lt;4 hex&gt;</c> for an API key, <c>cert:&lt;role&gt;:&lt;8 hex&gt;</c> for a client certificate,
/// <c>job:&lt;name&gt;</c> for a background job), the role, why the session was revoked (null while it is current, or
/// when the caller has no session, like an API key) and the remote address. The front door builds it from its own
/// credentials (a <c>ClaimsPrincipal</c> in the server); the application layer checks it and audits with it.
/// </summary>
/// <param name="Name">Empty for an anonymous caller (always refused).</param>
/// <param name="Role">What the caller may do.</param>
/// <param name="SessionRevoked">Why the caller's session no longer counts; null when it does or there is none.</param>
/// <param name="RemoteAddress">The address of the browser or client, for the audit; null when not known.</param>
public sealed record Actor(string Name, ActorRole Role, string? SessionRevoked, string? RemoteAddress)
{
    /// <summary>A caller with no name and no role: every command refuses it.</summary>
    public static readonly Actor Anonymous = new("", ActorRole.None, null, null);

    public bool IsAuthenticated => Name.Length > 0;

    /// <summary>A background job acting on its own (no session, no remote address), audited as <c>job:&lt;name&gt;</c>.</summary>
    public static Actor Job(string name, ActorRole role) => new($"job:{name}", role, null, null);
}

/// <summary>The roles of the console, in increasing power: each allows what the ones before it allow.</summary>
public enum ActorRole
{
    /// <summary>No role (anonymous, or an unknown role claim): refused everything.</summary>
    None = 0,

    /// <summary>Acknowledges, dispatches and restores outages.</summary>
    Dispatcher = 1,

    /// <summary>Everything: remaps meters, clears outages, imports networks, administers users.</summary>
    Admin = 2,
}

public static class ActorRoles
{
    public const string DispatcherName = "dispatcher";
    public const string AdminName = "admin";

    /// <summary>The role of a role name as stored and configured (<c>dispatcher</c>, <c>admin</c>); anything else is <see cref="ActorRole.None"/>.</summary>
    public static ActorRole Parse(string? name) => name switch
    {
        DispatcherName => ActorRole.Dispatcher,
        AdminName => ActorRole.Admin,
        _ => ActorRole.None,
    };
}
