using System.Text.Json.Serialization;

namespace OpsConsole.Console.Client.Outages;

/// <summary>
/// An outage's lifecycle state as the console shows it (the host maps its engine's states to these; the pages compare
/// these values, never state names). Serialised by name, as the map script reads it.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<OutageStateView>))]
public enum OutageStateView
{
    Suspected,
    Confirmed,
    Acknowledged,
    Dispatched,
    Restored,
    Cleared,
    Momentary,
}

/// <summary>Which kind of element failed, as the console shows it. Serialised by name, as the map script reads it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OutageLevelView>))]
public enum OutageLevelView
{
    Substation,
    Feeder,
    Device,
    Transformer,
    Meter,
    Unknown,
}
