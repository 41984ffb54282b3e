using System.Globalization;
using System.Net;
using System.Text.Json;
using OpsConsole.Engine.Ami;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Application.Power;

/// <summary>One meter's live power status (api.md <c>GET /api/power-status</c>).</summary>
/// <param name="Status"><c>on</c>, <c>off</c>, <c>comm-failure</c> or <c>unknown</c> (<see cref="PowerStatusQueries"/>).</param>
public sealed record PowerStatus(string Meter, string Status, long? UptimeS, long? VoltageMv, DateTimeOffset At);

/// <summary>
/// Asks meters now whether they have power (wire-format.md §6), for any signed-in role: the meters named, or every
/// meter below a transformer or a protective device. Each meter is reached at its topology <c>endpoint</c> when the
/// network in force carries one, else where its latest authenticated datagram came from (the event store keeps the
/// source of every event: nothing is added to the ingest path), else where it last answered; a meter with none is
/// <c>unknown</c>. A meter is <c>on</c> when its authenticated status answer carries its own GUID and a voltage above
/// 80 % of nominal; with no (authenticated) answer it is <c>off</c> when its latest event is a power-down, else
/// <c>comm-failure</c>; an answer with too low a voltage is <c>off</c>. A ping alone never counts.
/// Checked and audited once as <c>power-check</c> (what was asked and how many answered).
/// </summary>
public sealed class PowerStatusQueries(MeterClient client, TopologyState topology, EventStore events, IMeterLinkStore links, CommandGuard guard, IAuditTrail audit)
{
    public const string Action = "power-check";
    public const string RefusedAction = "action-refused";
    public const int MaxMeters = 5000;
    public const double NominalVolts = 240;

    /// <summary>Exactly one of <paramref name="meters"/> (comma-separated ids or GUIDs), <paramref name="transformer"/>, <paramref name="device"/>.</summary>
    public async Task<CommandResult<IReadOnlyList<PowerStatus>>> CheckAsync(Actor actor, string? meters, string? transformer, string? device, CancellationToken cancellationToken = default)
    {
        string what = meters is { Length: > 0 } ? $"meters={Cut(meters)}" : transformer is { Length: > 0 } ? $"transformer={transformer}" : $"device={device}";
        if (guard.Refuse<IReadOnlyList<PowerStatus>>(actor, ActorRole.Dispatcher, RefusedAction, $"{Action} {what}") is { } refused)
        {
            return refused;
        }

        var net = topology.Current;
        var (selected, field, error) = Select(net, meters, transformer, device);
        if (error is not null)
        {
            return CommandResult.Fail<IReadOnlyList<PowerStatus>>(CommandStatus.Invalid, error, field);
        }

        var results = await CheckMetersAsync(net, selected!, cancellationToken).ConfigureAwait(false);
        audit.Write(actor.Name, Action, actor.RemoteAddress, string.Create(CultureInfo.InvariantCulture,
            $"{what}: {results.Count} meters, {results.Count(r => r.Status == "on")} on, {results.Count(r => r.Status == "off")} off, {results.Count(r => r.Status == "comm-failure")} comm-failure, {results.Count(r => r.Status == "unknown")} unknown"));
        return CommandResult.Done<IReadOnlyList<PowerStatus>>(results);
    }

    /// <summary>Asks the meters (element indices of <paramref name="net"/>), at most the client's concurrency at once. No check, no audit: for commands that made theirs.</summary>
    public async Task<IReadOnlyList<PowerStatus>> CheckMetersAsync(NetworkTopology net, IReadOnlyList<int> meterElements, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(meterElements);
        var features = meterElements.Select(m => net[m]).ToList();
        var latest = events.LastByMeters(features.Select(f => f.Guid));
        var tasks = features.Select(async f =>
        {
            latest.TryGetValue(f.Guid, out var last);
            var endPoint = EndPointOf(f, last);
            if (endPoint is null)
            {
                return new PowerStatus(f.Id, "unknown", null, null, DateTimeOffset.UtcNow);
            }

            var reading = await client.ReadStatusAsync(new MeterTarget(f.Id, f.Guid, f.SystemTitle, endPoint), cancellationToken).ConfigureAwait(false);
            return Classify(f, reading, last);
        });
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>on / off / comm-failure from one status read and the meter's latest event.</summary>
    public static PowerStatus Classify(TopologyFeature meter, StatusReading reading, RecordedEvent? latest)
    {
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(reading);
        if (reading.Answered && reading.AnsweredGuid == meter.Guid)
        {
            double floorMv = NominalOf(meter) * 1000 * 0.8;
            string status = reading.VoltageMv is { } mv && mv > floorMv ? "on" : "off";
            return new PowerStatus(meter.Id, status, reading.UptimeS, reading.VoltageMv, reading.At);
        }

        bool lastWasDown = latest?.Event.EventCode == MeterEventCode.PowerDown;
        return new PowerStatus(meter.Id, lastWasDown ? "off" : "comm-failure", null, null, reading.At);
    }

    private IPEndPoint? EndPointOf(TopologyFeature meter, RecordedEvent? latest) =>
        MeterClient.ParseEndPoint(Property(meter, "endpoint")) ?? MeterClient.ParseEndPoint(latest?.Source) ?? MeterClient.ParseEndPoint(links.EndpointOf(meter.Guid));

    private static double NominalOf(TopologyFeature meter) =>
        double.TryParse(Property(meter, "nominalV"), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 ? v : NominalVolts;

    private static string? Property(TopologyFeature meter, string name) =>
        meter.Extra is { ValueKind: JsonValueKind.Object } extra && extra.TryGetProperty(name, out var p)
            ? p.ValueKind switch { JsonValueKind.String => p.GetString(), JsonValueKind.Number => p.GetRawText(), _ => null }
            : null;

    private static (List<int>? Meters, string? Field, string? Error) Select(NetworkTopology net, string? meters, string? transformer, string? device)
    {
        int given = (string.IsNullOrWhiteSpace(meters) ? 0 : 1) + (string.IsNullOrWhiteSpace(transformer) ? 0 : 1) + (string.IsNullOrWhiteSpace(device) ? 0 : 1);
        if (given != 1)
        {
            return (null, "meters", "give exactly one of ?meters=a,b (meter ids or GUIDs), ?transformer=<id> or ?device=<id>");
        }

        if (!string.IsNullOrWhiteSpace(meters))
        {
            var names = meters.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
            if (names.Count > MaxMeters)
            {
                return (null, "meters", $"{names.Count} meters: at most {MaxMeters} at once");
            }

            var found = new List<int>(names.Count);
            foreach (var name in names)
            {
                if (!net.TryGetMeter(name, out int m))
                {
                    return (null, "meters", $"'{Cut(name)}' is not a meter of the network (give meter ids or GUIDs)");
                }

                found.Add(m);
            }

            return (found.Count == 0 ? null : found, "meters", found.Count == 0 ? "no meter named" : null);
        }

        var (id, kind, fieldName) = string.IsNullOrWhiteSpace(transformer) ? (device!, ElementKind.Device, "device") : (transformer, ElementKind.Transformer, "transformer");
        if (!net.TryGetElement(id, out int e) || net.KindOf(e) != kind)
        {
            return (null, fieldName, $"'{Cut(id)}' is not a {kind.ToWire()} of the network");
        }

        var below = net.MetersBelow(e);
        if (below.Length > MaxMeters)
        {
            return (null, fieldName, $"'{Cut(id)}' has {below.Length} meters below it: at most {MaxMeters} at once");
        }

        return ([.. below.ToArray()], fieldName, null);
    }

    private static string Cut(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
