using System.Collections.Concurrent;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Application.Outages;

/// <summary>
/// What the board says about where an element is: its name, feeder and address.
/// <see cref="Address"/> is the element's own, else that of the meter below it nearest to it (<see cref="AddressMeterId"/>).
/// </summary>
public sealed record ElementPlace(string? Name, string? Feeder, string? Address, string? AddressMeterId)
{
    public static readonly ElementPlace None = new(null, null, null, null);
}

/// <summary>
/// <see cref="ElementPlace"/>s of one network, each worked out once, when an outage first needs it: finding the nearest
/// addressed meter below a feeder reads every meter below it, which must not happen at every correlation step.
/// </summary>
public sealed class ElementPlaces(NetworkTopology network)
{
    private readonly ConcurrentDictionary<string, ElementPlace> _places = new(StringComparer.Ordinal);

    public NetworkTopology Network => network;

    /// <summary>The place of the element <paramref name="id"/>; <see cref="ElementPlace.None"/> when it is not in the network.</summary>
    public ElementPlace Of(string id) => _places.GetOrAdd(id, static (id, net) => Compute(net, id), network);

    private static ElementPlace Compute(NetworkTopology net, string id)
    {
        if (!net.TryGetElement(id, out int element))
        {
            return ElementPlace.None;
        }

        var feature = net[element];
        int f = net.AncestorOfKind(element, ElementKind.Feeder);
        string? feeder = f >= 0 ? net[f].Id : null;
        if (OwnAddress(feature) is { } own)
        {
            return new ElementPlace(feature.Name, feeder, own, null);
        }

        int nearest = NearestAddressedMeter(net, element);
        return nearest < 0
            ? new ElementPlace(feature.Name, feeder, null, null)
            : new ElementPlace(feature.Name, feeder, net[nearest].Address, net[nearest].Id);
    }

    /// <summary>
    /// A meter's <c>address</c>; for other kinds the spec names none, but an <c>address</c> string a GIS export adds is
    /// kept with the feature's other properties and is the best place to send a crew.
    /// </summary>
    private static string? OwnAddress(TopologyFeature feature)
    {
        if (!string.IsNullOrWhiteSpace(feature.Address))
        {
            return feature.Address;
        }

        return feature.Extra is { ValueKind: System.Text.Json.JsonValueKind.Object } extra
            && extra.TryGetProperty("address", out var address)
            && address.ValueKind == System.Text.Json.JsonValueKind.String
            && address.GetString() is { } text && !string.IsNullOrWhiteSpace(text)
            ? text
            : null;
    }

    /// <summary>The meter below <paramref name="element"/> with an address nearest to it (ties: lowest id); -1 when none has one.</summary>
    private static int NearestAddressedMeter(NetworkTopology net, int element)
    {
        if (!net[element].TryGetPoint(out double x0, out double y0))
        {
            return -1;
        }

        double scale = Math.Cos(y0 * Math.PI / 180); // a degree of longitude is shorter away from the equator
        int best = -1;
        double bestDistance = double.MaxValue;
        foreach (int m in net.MetersBelow(element))
        {
            var meter = net[m];
            if (string.IsNullOrWhiteSpace(meter.Address) || !meter.TryGetPoint(out double x, out double y))
            {
                continue;
            }

            double dx = (x - x0) * scale, dy = y - y0, d = (dx * dx) + (dy * dy);
            if (d < bestDistance || (d == bestDistance && string.CompareOrdinal(meter.Id, net[best].Id) < 0))
            {
                best = m;
                bestDistance = d;
            }
        }

        return best;
    }
}
