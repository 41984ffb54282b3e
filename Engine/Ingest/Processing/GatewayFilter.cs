using System.Globalization;
using System.Net;
using OpsConsole.Engine.Configuration;

namespace OpsConsole.Engine.Ingest.Processing;

/// <summary>
/// <c>Hes:AllowedGateways</c> (wire-format.md §1: a datagram from any other address is dropped
/// without an answer). The CIDR strings are parsed once; <see cref="IsAllowed"/> is allocation-free
/// and thread-safe (the table is immutable).
/// </summary>
/// <remarks>
/// An empty list allows nothing (fail closed): the shipped <c>appsettings.json</c> allows loopback.
/// A dual-mode socket reports an IPv4 peer as <c>::ffff:a.b.c.d</c>; such an address is matched
/// against the IPv4 ranges (and against the IPv6 ranges as written), so <c>127.0.0.0/8</c> admits
/// <c>::ffff:127.0.0.1</c>.
/// </remarks>
public sealed class GatewayFilter
{
    private readonly IPNetwork[] _networks;

    /// <summary>Parses <see cref="HesOptions.AllowedGateways"/>.</summary>
    /// <exception cref="FormatException">An entry is not a CIDR range (options validation normally catches this at start).</exception>
    public GatewayFilter(HesOptions options)
        : this(options?.AllowedGateways ?? throw new ArgumentNullException(nameof(options)))
    {
    }

    /// <summary>Parses CIDR ranges such as <c>10.0.0.0/8</c> or <c>::1/128</c>.</summary>
    /// <exception cref="FormatException">An entry is not a CIDR range; the message names it.</exception>
    public GatewayFilter(IEnumerable<string> cidrs)
    {
        ArgumentNullException.ThrowIfNull(cidrs);
        var networks = new List<IPNetwork>();
        int index = 0;
        foreach (string cidr in cidrs)
        {
            if (!IPNetwork.TryParse(cidr, out IPNetwork network))
            {
                throw new FormatException(string.Create(
                    CultureInfo.InvariantCulture, $"Hes:AllowedGateways:{index} = '{cidr}': not a CIDR range such as 10.0.0.0/8 or ::1/128"));
            }

            networks.Add(network);
            index++;
        }

        _networks = [.. networks];
    }

    /// <summary>The parsed ranges.</summary>
    public IReadOnlyList<IPNetwork> Networks => _networks;

    /// <summary>True when <paramref name="address"/> (IPv4, IPv6 or IPv4-mapped IPv6) lies in an allowed range.</summary>
    public bool IsAllowed(IPAddress address) => IsAllowed(address, out _);

    /// <summary>
    /// As <see cref="IsAllowed(IPAddress)"/>, also giving the address in the form counters use
    /// (<see cref="Normalize"/>), so the listener maps each datagram's address once.
    /// </summary>
    public bool IsAllowed(IPAddress address, out IPAddress normalized)
    {
        normalized = Normalize(address);
        bool mapped = !ReferenceEquals(normalized, address);
        foreach (IPNetwork network in _networks)
        {
            if (network.Contains(address) || (mapped && network.Contains(normalized)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The address as counted and logged: an IPv4-mapped IPv6 address as plain IPv4, anything else unchanged.</summary>
    public static IPAddress Normalize(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }
}
