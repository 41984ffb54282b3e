namespace OpsConsole.Console.Server.Security.Circuits;

/// <summary>
/// The remote address of the browser a Blazor scope serves, for the audit of what is done through its pages:
/// in a circuit, the address of the circuit's SignalR connection (set by <see cref="CircuitRemoteAddressHandler"/>
/// when the circuit opens and whenever it reconnects); while a page is prerendered, the address of that request
/// (set by <c>App.razor</c>). Null when not known.
/// </summary>
public sealed class CircuitRemoteAddress
{
    public string? Value { get; private set; }

    /// <summary>Keeps <paramref name="address"/> when there is one (a later unknown address does not erase a known one).</summary>
    public void Set(System.Net.IPAddress? address)
    {
        if (address is not null)
        {
            Value = address.ToString(); // as the sign-in entries write it
        }
    }
}
