namespace OpsConsole.Gis.Topology;

/// <summary>The kinds of feature in a topology file (docs/topology-file.md).</summary>
public enum ElementKind : byte
{
    Substation,
    Feeder,
    Device,
    Transformer,
    Meter,
    Line,
}

/// <summary>Protective device types of docs/topology-file.md.</summary>
public enum DeviceType : byte
{
    Unspecified,
    Breaker,
    Recloser,
    Fuse,
    Switch,
    Sectionalizer,
}

public static class ElementKindNames
{
    public static string ToWire(this ElementKind kind) => kind switch
    {
        ElementKind.Substation => "substation",
        ElementKind.Feeder => "feeder",
        ElementKind.Device => "device",
        ElementKind.Transformer => "transformer",
        ElementKind.Meter => "meter",
        _ => "line",
    };

    public static bool TryParse(string? value, out ElementKind kind)
    {
        switch (value)
        {
            case "substation": kind = ElementKind.Substation; return true;
            case "feeder": kind = ElementKind.Feeder; return true;
            case "device": kind = ElementKind.Device; return true;
            case "transformer": kind = ElementKind.Transformer; return true;
            case "meter": kind = ElementKind.Meter; return true;
            case "line": kind = ElementKind.Line; return true;
            default: kind = default; return false;
        }
    }

    public static string ToWire(this DeviceType type) => type switch
    {
        DeviceType.Breaker => "breaker",
        DeviceType.Recloser => "recloser",
        DeviceType.Fuse => "fuse",
        DeviceType.Switch => "switch",
        DeviceType.Sectionalizer => "sectionalizer",
        _ => "",
    };

    public static bool TryParse(string? value, out DeviceType type)
    {
        switch (value)
        {
            case "breaker": type = DeviceType.Breaker; return true;
            case "recloser": type = DeviceType.Recloser; return true;
            case "fuse": type = DeviceType.Fuse; return true;
            case "switch": type = DeviceType.Switch; return true;
            case "sectionalizer": type = DeviceType.Sectionalizer; return true;
            default: type = DeviceType.Unspecified; return false;
        }
    }
}
