using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Application.Meters;

/// <summary>The read side of one meter: what correlation knows of it, its place in the network, its latest events.</summary>
public sealed class MeterQueries(CorrelationService correlation, TopologyState topology, EventStore events, IOptions<VerificationOptions> verification)
{
    /// <summary>The meter by id or GUID; null when neither the network nor correlation knows it.</summary>
    public async Task<MeterView?> FindAsync(string meterIdOrGuid, int lastEvents, CancellationToken cancellationToken = default)
    {
        var (status, tests, mute) = await correlation.QueryAsync(
            c => (c.MeterStatusOf(meterIdOrGuid), c.TestResultsOf(meterIdOrGuid), c.MuteOf(meterIdOrGuid)), cancellationToken).ConfigureAwait(false);
        if (status is null)
        {
            return null;
        }

        var net = topology.Current;
        var feature = net.TryGetMeter(status.Guid, out int m) ? net[m] : null;
        return new MeterView(status, feature, events.ByMeter(status.Guid, lastEvents), tests, mute);
    }

    /// <summary>
    /// Chronic false gaspers: the meters whose outages were cleared as false positives at least
    /// <c>Verification:ChronicClears</c> times in the last <c>Verification:ChronicDays</c> days (engine time), most first,
    /// each with its mute in force.
    /// </summary>
    public Task<IReadOnlyList<ChronicMeter>> ChronicAsync(CancellationToken cancellationToken = default)
    {
        var o = verification.Value;
        return correlation.QueryAsync(c => c.ChronicMeters(o.ChronicClears, TimeSpan.FromDays(o.ChronicDays)), cancellationToken);
    }
}

/// <summary>One meter: its correlation status, its network feature (null when not in the network), newest events first, test results, its mute in force.</summary>
public sealed record MeterView(MeterStatus Status, TopologyFeature? Feature, IReadOnlyList<RecordedEvent> LastEvents, IReadOnlyList<DateTimeOffset> TestResults, MeterMute? Mute);
