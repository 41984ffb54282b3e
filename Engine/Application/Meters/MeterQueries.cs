using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Application.Meters;

/// <summary>The read side of one meter: what correlation knows of it, its place in the network, its latest events; the unmapped-meter work queue; the chronic false gaspers.</summary>
public sealed class MeterQueries(CorrelationService correlation, TopologyState topology, EventStore events, LastGaspIndex gasps, IOptions<CorrelationOptions> options,
    IOptions<VerificationOptions> verification)
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

    /// <summary>The meter's mute in force (engine time), or null: none, lifted, expired, or no such meter.</summary>
    public Task<MeterMute?> MuteOfAsync(string meterIdOrGuid, CancellationToken cancellationToken = default) =>
        correlation.QueryAsync(c => c.MuteOf(meterIdOrGuid), cancellationToken);

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

    /// <summary>
    /// The work queue (api.md <c>GET /api/meters?mapped=false</c>): every meter correlated under no transformer, remaps
    /// applied (so a meter leaves the queue the moment it is mapped), with its open Unknown outage and its last event.
    /// </summary>
    public Task<IReadOnlyList<MeterStatus>> UnmappedAsync(CancellationToken cancellationToken = default) =>
        correlation.QueryAsync(c => c.UnmappedMeters(), cancellationToken);

    /// <summary>How many meters the work queue holds now.</summary>
    public Task<int> UnmappedCountAsync(CancellationToken cancellationToken = default) =>
        correlation.QueryAsync(c => c.UnmappedMeterCount(), cancellationToken);

    /// <summary>
    /// Up to <see cref="MeterSuggester.MaxSuggestions"/> transformers for the meter, best first (<see cref="MeterSuggester"/>);
    /// null when no meter has this id or GUID. Co-timed with a window of <c>Correlation:WindowMs</c>.
    /// </summary>
    public async Task<IReadOnlyList<MeterSuggestion>?> SuggestAsync(string meterIdOrGuid, CancellationToken cancellationToken = default)
    {
        var (status, overrides) = await correlation.QueryAsync(c => (c.MeterStatusOf(meterIdOrGuid), c.ParentOverrides), cancellationToken).ConfigureAwait(false);
        var net = topology.Current;
        int meter = net.TryGetMeter(meterIdOrGuid, out int m) ? m : -1;
        Guid guid;
        if (status is not null)
        {
            guid = status.Guid;
            meter = net.TryGetMeter(guid, out m) ? m : -1;
        }
        else if (meter >= 0)
        {
            guid = net[meter].Guid;
        }
        else
        {
            return null;
        }

        gasps.CatchUp();
        return MeterSuggester.Suggest(net, meter, guid, overrides, gasps, TimeSpan.FromMilliseconds(options.Value.WindowMs).Ticks);
    }
}

/// <summary>One meter: its correlation status, its network feature (null when not in the network), newest events first, test results, its mute in force.</summary>
public sealed record MeterView(MeterStatus Status, TopologyFeature? Feature, IReadOnlyList<RecordedEvent> LastEvents, IReadOnlyList<DateTimeOffset> TestResults, MeterMute? Mute);
