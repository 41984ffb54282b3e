using NetTopologySuite.Geometries;
using OpsConsole.Engine.Domain;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Hosting;

/// <summary>Meters and events made up for the start-up warm-ups (<see cref="JitWarmup"/>): never stored, never shown.</summary>
public static class SyntheticMeters
{
    private static readonly Point Origin = new(0, 0);

    /// <summary>A meter feature with a fresh GUID, under <paramref name="parent"/> (null: unmapped).</summary>
    public static TopologyFeature Meter(string id, ulong systemTitle, string? parent = null) =>
        new() { Kind = ElementKind.Meter, Id = id, Parent = parent, Geometry = Origin, Guid = Guid.NewGuid(), SystemTitle = systemTitle };

    /// <summary>An element feature of another kind, for a synthetic network.</summary>
    public static TopologyFeature Element(ElementKind kind, string id, string? parent, DeviceType deviceType = DeviceType.Unspecified) =>
        new() { Kind = kind, Id = id, Parent = parent, Geometry = Origin, DeviceType = deviceType };

    /// <summary>An event as a healthy meter sends it: sent when it happened, capacitor charged for a power-down, good signal.</summary>
    public static MeterEvent Event(Guid meter, MeterEventCode code, uint eventId, DateTimeOffset at) =>
        new(meter, code, eventId, 1, at, at, code == MeterEventCode.PowerDown ? (ushort)4200 : (ushort)0, -70, 0x8000_0000u | eventId);
}
