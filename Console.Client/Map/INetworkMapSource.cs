namespace OpsConsole.Console.Client.Map;

/// <summary>
/// What the map pages need from the network in force. The console depends on this small
/// interface only; the host adapts its topology to it.
/// </summary>
public interface INetworkMapSource
{
    /// <summary>Counts for the page header.</summary>
    NetworkSummary GetSummary();

    /// <summary>One element with what is below and above it, or null when no element has that id.</summary>
    ElementDetails? GetDetails(string id);

    /// <summary>
    /// <see cref="GetDetails"/> with what only correlation knows of a meter: its mute in force (<see cref="ElementDetails.Mute"/>).
    /// </summary>
    Task<ElementDetails?> GetDetailsAsync(string id) => Task.FromResult(GetDetails(id));

    /// <summary>
    /// The folder of the map's feed, relative to the page: opsmap.js reads <c>summary.json</c> there first, then the
    /// network by area and level of detail from <c>tiles/{z}/{x}/{y}.json</c>.
    /// </summary>
    string NetworkUrl { get; }

    /// <summary>Background tile URL template (Leaflet form), empty for none: the network is the picture.</summary>
    string TileUrl { get; }
}

/// <summary>Counts per kind of the network in force.</summary>
public sealed record NetworkSummary(string Name, int Substations, int Feeders, int Devices, int Transformers, int Meters, int Lines, int UnmappedMeters);

/// <summary>An element as shown in the details panel; <paramref name="Mute"/> for a meter an admin muted.</summary>
public sealed record ElementDetails(
    string Id,
    string Kind,
    string? Name,
    string? Subtype,
    double Longitude,
    double Latitude,
    int CustomersBelow,
    int CriticalCustomersBelow,
    int TransformersBelow,
    IReadOnlyList<ElementLink> Upstream,
    IReadOnlyList<KeyValuePair<string, string>> Attributes,
    OpsConsole.Console.Client.Meters.MeterMuteView? Mute = null);

/// <summary>A reference to another element, for the upstream chain.</summary>
public sealed record ElementLink(string Id, string Kind, string? Name);
