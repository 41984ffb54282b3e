using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using OpsConsole.Console.Client.Map;
using OpsConsole.Console.Server.Meters;
using OpsConsole.Engine.Application.Meters;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Console.Server.Map;

/// <summary>Adapts the network in force to what the console's map pages ask for.</summary>
/// <remarks>A meter's mute comes from correlation (<paramref name="meters"/>; none without it).</remarks>
public sealed class TopologyMapSource(TopologyState state, ITopologyStore store, IOptions<MapOptions> options, MeterQueries? meters = null) : INetworkMapSource
{
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<NetworkTopology, NetworkSummary> _summaries = [];

    public string NetworkUrl => NetworkMapEndpoints.Base.TrimStart('/');

    public string TileUrl => options.Value.BackgroundUrl;

    /// <summary>Made once per network snapshot: counting unmapped meters walks every element.</summary>
    public NetworkSummary GetSummary() => _summaries.GetValue(state.Current, Summarize);

    private static NetworkSummary Summarize(NetworkTopology t)
    {
        int unmapped = 0;
        for (int e = 0; e < t.ElementCount; e++)
        {
            if (t.IsUnmapped(e))
            {
                unmapped++;
            }
        }

        return new NetworkSummary(NameOf(t), t.CountOf(ElementKind.Substation), t.CountOf(ElementKind.Feeder), t.CountOf(ElementKind.Device),
            t.CountOf(ElementKind.Transformer), t.MeterCount, t.CountOf(ElementKind.Line), unmapped);
    }

    public async Task<ElementDetails?> GetDetailsAsync(string id)
    {
        var details = GetDetails(id);
        if (details is not { Kind: "meter" } || meters is null)
        {
            return details;
        }

        return details with { Mute = (await meters.MuteOfAsync(details.Id).ConfigureAwait(false)).ToView() };
    }

    public ElementDetails? GetDetails(string id)
    {
        var t = state.Current;
        if (!t.TryGetElement(id, out var e))
        {
            return null;
        }

        var f = t[e];
        var upstream = new List<ElementLink>();
        foreach (var a in t.Upstream(e))
        {
            upstream.Add(new ElementLink(t[a].Id, t[a].Kind.ToWire(), t[a].Name));
        }

        int critical = 0;
        foreach (var m in t.MetersBelow(e))
        {
            if (t[m].IsCritical)
            {
                critical++;
            }
        }

        return new ElementDetails(f.Id, f.Kind.ToWire(), f.Name, Subtype(f), f.Location.X, f.Location.Y,
            t.MeterCountBelow(e), critical, t.TransformerCountBelow(e), upstream, Attributes(f, ExtraOf(f)));
    }

    /// <summary>The name shown for a network: its substations' names.</summary>
    public static string NameOf(NetworkTopology t)
    {
        var names = new List<string>();
        for (int e = 0; e < t.ElementCount && names.Count < 3; e++)
        {
            if (t[e].Kind == ElementKind.Substation)
            {
                names.Add(t[e].Name ?? t[e].Id);
            }
        }

        return names.Count == 0 ? "(empty)" : string.Join(", ", names) + (t.CountOf(ElementKind.Substation) > 3 ? ", …" : "");
    }

    private static string? Subtype(TopologyFeature f) => f.Kind switch
    {
        ElementKind.Device when f.DeviceType != DeviceType.Unspecified => f.DeviceType.ToWire(),
        ElementKind.Transformer when f.Kva is { } kva => string.Create(CultureInfo.InvariantCulture, $"{kva:0.#} kVA{(f.Phase is null ? "" : ", phase " + f.Phase)}"),
        ElementKind.Meter when f.IsCritical => "critical",
        _ => null,
    };

    /// <summary>The element's extra properties: kept in the snapshot, or read from the store.</summary>
    private JsonElement? ExtraOf(TopologyFeature f)
    {
        if (f.Extra is not null)
        {
            return f.Extra;
        }

        var json = store.FeatureJson(f.Id);
        if (json is null)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("properties", out var props) ? props.Clone() : null;
    }

    private static List<KeyValuePair<string, string>> Attributes(TopologyFeature f, JsonElement? extra)
    {
        var list = new List<KeyValuePair<string, string>>();
        if (f.Kind == ElementKind.Meter)
        {
            list.Add(new("GUID", f.Guid.ToString("D")));
            list.Add(new("System title", TopologyFeature.FormatSystemTitle(f.SystemTitle)));
            if (f.Address is not null)
            {
                list.Add(new("Address", f.Address));
            }
        }

        if (extra is { } properties)
        {
            foreach (var p in properties.EnumerateObject())
            {
                if (IsShownAbove(p.Name))
                {
                    continue;
                }

                if (p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                {
                    list.Add(new(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText()));
                }

                if (list.Count >= 12)
                {
                    break;
                }
            }
        }

        return list;
    }

    /// <summary>Properties the panel shows in its own rows already.</summary>
    private static bool IsShownAbove(string name) =>
        name is "kind" or "id" or "parent" or "name" or "guid" or "systemTitle" or "critical" or "address" or "deviceType" or "kva" or "phase";
}
