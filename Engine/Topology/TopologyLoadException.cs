using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Topology;

/// <summary>The network could not be loaded at start; the message names the key and lists the findings.</summary>
public sealed class TopologyLoadException : Exception
{
    public TopologyLoadException(string message, IReadOnlyList<TopologyFinding> findings)
        : base(message + Environment.NewLine + string.Join(Environment.NewLine, findings.Take(50).Select(f => "  " + f))
               + (findings.Count > 50 ? $"{Environment.NewLine}  … and {findings.Count - 50} more" : ""))
    {
        Findings = findings;
    }

    public TopologyLoadException()
        : this("the network could not be loaded", [])
    {
    }

    public TopologyLoadException(string message)
        : this(message, [])
    {
    }

    public TopologyLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
        Findings = [];
    }

    public IReadOnlyList<TopologyFinding> Findings { get; } = [];
}
