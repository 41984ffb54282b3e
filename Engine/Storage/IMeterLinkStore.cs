namespace OpsConsole.Engine.Storage;

/// <summary>
/// What the head-end keeps per meter to ask it something (wire-format.md §6): the head-end invocation counter of
/// its requests, which must strictly increase across restarts, and the endpoint it was last reached at. Kept only
/// for meters the head-end has asked (on demand, not a row per meter of the network).
/// Contract (MeterLinkStoreContract): <see cref="ReserveInvocationCounter"/> returns 1 for a meter never asked,
/// then strictly increasing values, durable before it returns, also under concurrent callers and after a reopen.
/// </summary>
public interface IMeterLinkStore
{
    /// <summary>The next head-end invocation counter for <paramref name="meter"/>, stored before it is returned.</summary>
    /// <exception cref="InvalidOperationException">The counter is exhausted (2^32 − 1 requests): the meter needs new keys.</exception>
    uint ReserveInvocationCounter(Guid meter);

    /// <summary>The endpoint (<c>host:port</c>) <paramref name="meter"/> last answered at, or null.</summary>
    string? EndpointOf(Guid meter);

    /// <summary>Remembers the endpoint <paramref name="meter"/> answered at.</summary>
    void SetEndpoint(Guid meter, string endpoint);
}
