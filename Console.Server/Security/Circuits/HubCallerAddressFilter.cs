using System.Net;
using Microsoft.AspNetCore.SignalR;

namespace OpsConsole.Console.Server.Security.Circuits;

/// <summary>
/// Makes the remote address of the SignalR connection known to the code a hub call runs, Blazor's circuit
/// handlers among them (<see cref="Current"/>). A circuit opens and reconnects inside hub calls of its
/// connection (<c>UpdateRootComponents</c>, <c>ConnectCircuit</c>), where this connection is the circuit's own.
/// <para>
/// Why not <c>IHttpContextAccessor</c>: it reaches the WebSocket request during those calls, but is null over
/// long polling (Blazor's fallback when a proxy blocks WebSockets); the hub's
/// <see cref="HubCallerContext"/> knows the connection's address over every transport.
/// </para>
/// </summary>
public sealed class HubCallerAddressFilter : IHubFilter
{
    private static readonly AsyncLocal<IPAddress?> s_current = new();

    /// <summary>The remote address of the connection whose hub call is running, or null outside hub calls.</summary>
    public static IPAddress? Current => s_current.Value;

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        ArgumentNullException.ThrowIfNull(invocationContext);
        ArgumentNullException.ThrowIfNull(next);

        // Set inside this async method: the value flows into what the call starts, and is gone when it returns.
        s_current.Value = invocationContext.Context.GetHttpContext()?.Connection.RemoteIpAddress;
        return await next(invocationContext).ConfigureAwait(false);
    }
}
