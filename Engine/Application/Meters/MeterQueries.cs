using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Application.Meters;

/// <summary>The read side of one meter: what correlation knows of it, its place in the network, its latest events.</summary>
public sealed class MeterQueries(CorrelationService correlation, TopologyState topology, EventStore events)
{
    /// <summary>The meter by id or GUID; null when neither the network nor correlation knows it.</summary>
    public async Task<MeterView?> FindAsync(string meterIdOrGuid, int lastEvents, CancellationToken cancellationToken = default)
    {
        var (status, tests) = await correlation.QueryAsync(c => (c.MeterStatusOf(meterIdOrGuid), c.TestResultsOf(meterIdOrGuid)), cancellationToken).ConfigureAwait(false);
        if (status is null)
        {
            return null;
        }

        var net = topology.Current;
        var feature = net.TryGetMeter(status.Guid, out int m) ? net[m] : null;
        return new MeterView(status, feature, events.ByMeter(status.Guid, lastEvents), tests);
    }
}

/// <summary>One meter: its correlation status, its network feature (null when not in the network), newest events first, test results.</summary>
public sealed record MeterView(MeterStatus Status, TopologyFeature? Feature, IReadOnlyList<RecordedEvent> LastEvents, IReadOnlyList<DateTimeOffset> TestResults);
