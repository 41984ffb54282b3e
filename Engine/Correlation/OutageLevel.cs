namespace OpsConsole.Engine.Correlation;

/// <summary>Which element an outage names as failed (api.md <c>level</c>).</summary>
public enum OutageLevel
{
    /// <summary>One meter of a transformer that feeds several: the service drop or the meter itself.</summary>
    Meter,

    Transformer,

    /// <summary>A protective device (fuse, breaker, recloser, switch, sectionalizer).</summary>
    Device,

    Feeder,

    Substation,

    /// <summary>A meter with no known transformer (unmapped, or not in the topology at all).</summary>
    Unknown,
}
