using System.Security.Claims;

namespace OpsConsole.Console.Client.Admin;

/// <summary>
/// What the network admin page needs from the host: the network in force and the one kept before it, and
/// the roll-back (the same server code as <c>POST /api/topology/rollback</c>). The implementation checks the
/// admin role itself and audits every roll-back and refusal.
/// </summary>
public interface INetworkAdministration
{
    /// <summary>The stored networks, or null when the user may not see them.</summary>
    Task<NetworkStatus?> StatusAsync(ClaimsPrincipal user);

    /// <summary>Puts the previous network back in force.</summary>
    Task<AdminResult> RollBackAsync(ClaimsPrincipal user);
}

/// <summary>The network in force (with its meter count) and the previous one, when kept.</summary>
public sealed record NetworkStatus(StoredNetworkRow? InForce, int Meters, StoredNetworkRow? Previous);

/// <summary>One stored network: where it came from, how many features, when it was stored.</summary>
public sealed record StoredNetworkRow(string Source, int Features, DateTimeOffset SavedAt);
