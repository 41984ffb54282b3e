using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Application.Outages;

/// <summary>The board's search by meter id (<see cref="OutageQueries.OutagesWithMeter"/>), apart from its caching.</summary>
public static class OutageMeterSearch
{
    /// <summary>The network's meters whose id contains <paramref name="query"/> (case-insensitive).</summary>
    public static int[] MetersMatching(NetworkTopology net, string query)
    {
        var found = new List<int>();
        for (int e = 0; e < net.ElementCount; e++)
        {
            if (net.KindOf(e) == ElementKind.Meter && net[e].Id.Contains(query, StringComparison.OrdinalIgnoreCase))
            {
                found.Add(e);
            }
        }

        return [.. found];
    }

    /// <summary>
    /// Ids of the outages in <paramref name="snapshot"/> (open and closed) with a reporting meter whose id contains
    /// <paramref name="query"/>, or whose failed element is one of <paramref name="meters"/> or upstream of one.
    /// </summary>
    public static HashSet<string> WithMeters(OutageSnapshot snapshot, NetworkTopology net, int[] meters, string query)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        var byElement = new Dictionary<int, List<string>>();
        foreach (var o in snapshot.All)
        {
            if (o.ReportingMeterIds.Any(m => m.Contains(query, StringComparison.OrdinalIgnoreCase)))
            {
                result.Add(o.Id);
            }

            if (net.TryGetElement(o.DeviceId, out int element))
            {
                if (!byElement.TryGetValue(element, out var ids))
                {
                    byElement[element] = ids = [];
                }

                ids.Add(o.Id);
            }
        }

        if (byElement.Count == 0)
        {
            return result;
        }

        foreach (int meter in meters)
        {
            for (int e = meter; e >= 0; e = net.ParentOf(e))
            {
                if (byElement.TryGetValue(e, out var ids))
                {
                    result.UnionWith(ids);
                }
            }
        }

        return result;
    }
}
