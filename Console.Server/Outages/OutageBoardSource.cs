using System.Security.Claims;
using OpsConsole.Engine.Application.Power;
using OpsConsole.Console.Client.Outages;
using OpsConsole.Console.Server.Meters;
using OpsConsole.Console.Server.Security;
using OpsConsole.Engine.Application;
using OpsConsole.Engine.Application.Meters;
using OpsConsole.Engine.Application.Outages;
using OpsConsole.Engine.Application.Push;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Ingest;

namespace OpsConsole.Console.Server.Outages;

/// <summary>
/// The outage board's and the map's door to the application layer: rows, detail and overlay from
/// <see cref="OutageQueries"/> (built once per correlation snapshot, whoever asks), actions through
/// <see cref="OutageCommands"/> and <see cref="MeterCommands"/> (which check the role and the session and audit), and
/// pushes through one throttled <see cref="OutageSubscription"/> per page (<see cref="Subscribe"/>), the same push
/// path as the hub's. Engine values are mapped to the console's own types here (<see cref="OutageStateView"/>, …).
/// The header's ingest figures are sampled once a second; a page listening is called once a second for them too.
/// Nothing is built while no page asks. The pages reach it through <see cref="CircuitOutageBoardSource"/>, which
/// supplies the page's remote address.
/// </summary>
public sealed class OutageBoardSource : IHostedService, IDisposable
{
    /// <summary>The least time between two calls to one page.</summary>
    public static readonly TimeSpan PushInterval = TimeSpan.FromMilliseconds(250);

    public static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(1);

    private const int RateSeconds = 10;
    private const int RejectSeconds = 60;

    private readonly OutageQueries _queries;
    private readonly OutageCommands _outages;
    private readonly MeterCommands _meters;
    private readonly PowerStatusQueries _power;
    private readonly OutageUpdates _updates;
    private readonly ActorResolver _actors;
    private readonly IngestStats _stats;
    private readonly TimeProvider _time;
    private readonly Queue<(DateTimeOffset At, long Received, long Rejected)> _samples = new();
    private readonly Lock _gate = new();
    private OutageSubscription[] _listening = [];
    private ITimer? _timer;
    private long _sampled; // samples taken since start: the header's version
    private long _builds;
    private Built? _board;
    private Overlaid? _overlay;

    private readonly OpsConsole.Engine.Topology.TopologyState _network;

    public OutageBoardSource(OutageQueries queries, OutageCommands outages, MeterCommands meters, OutageUpdates updates, ActorResolver actors,
        IngestStats stats, TimeProvider time, OpsConsole.Engine.Topology.TopologyState network, PowerStatusQueries power)
    {
        _network = network;
        _power = power;
        _queries = queries;
        _outages = outages;
        _meters = meters;
        _updates = updates;
        _actors = actors;
        _stats = stats;
        _time = time;
    }

    /// <summary>Times the board state was built since start (diagnostics: it stays put while no page asks).</summary>
    public long Builds => Interlocked.Read(ref _builds);

    /// <summary>Pages subscribed now.</summary>
    public int Listening => Volatile.Read(ref _listening).Length;

    /// <summary>The board now: rebuilt when the outages changed or a new ingest sample was taken since the last build.</summary>
    public OutageBoardState Current
    {
        get
        {
            var rows = _queries.Rows();
            long sampled = Interlocked.Read(ref _sampled);
            var board = Volatile.Read(ref _board);
            if (board is not null && ReferenceEquals(board.From, rows) && board.Sampled == sampled)
            {
                return board.State;
            }

            lock (_gate)
            {
                board = new Built(rows, sampled, Build(rows));
                Interlocked.Increment(ref _builds);
            }

            Volatile.Write(ref _board, board);
            return board.State;
        }
    }

    /// <summary>
    /// Calls <paramref name="onChanged"/> when the outages changed (at most every <see cref="PushInterval"/>), once a second
    /// for the header figures, and once soon after subscribing. Dispose the result to stop.
    /// </summary>
    public IDisposable Subscribe(Func<Task> onChanged)
    {
        ArgumentNullException.ThrowIfNull(onChanged);
        var subscription = _updates.Subscribe("outage-board", PushInterval, (_, _) => onChanged());
        lock (_gate)
        {
            _listening = [.. _listening, subscription];
        }

        subscription.Execute();
        return new Unsubscriber(this, subscription);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = _time.CreateTimer(_ => Tick(), null, TimeSpan.Zero, SampleInterval);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Once a second: two ingest totals for the rates; pages listening are called for the new figures.</summary>
    internal void Tick()
    {
        var now = _time.GetUtcNow();
        var (received, rejected) = _stats.Totals(); // two totals, not a snapshot of every gateway
        lock (_gate)
        {
            _samples.Enqueue((now, received, rejected));
            while (_samples.Count > RejectSeconds + 1)
            {
                _samples.Dequeue();
            }

            Interlocked.Increment(ref _sampled);
        }

        foreach (var page in Volatile.Read(ref _listening))
        {
            page.Execute();
        }
    }

    private OutageBoardState Build(IReadOnlyList<OutageRowView> views)
    {
        var rows = views.Select(Row).ToArray();
        double rate = 0;
        long rejects = 0;
        if (_samples.Count >= 2)
        {
            var last = _samples.Last();
            var rateFrom = _samples.Reverse().Skip(Math.Min(RateSeconds, _samples.Count - 1)).First();
            double seconds = (last.At - rateFrom.At).TotalSeconds;
            rate = seconds > 0 ? (last.Received - rateFrom.Received) / seconds : 0;
            rejects = last.Rejected - _samples.Peek().Rejected;
        }

        var header = new BoardHeader(rows.Length, rows.Sum(r => r.Meters), rows.Sum(r => r.CriticalMeters), rate, rejects);
        return new OutageBoardState(rows, header, _time.GetUtcNow());
    }

    /// <summary>The map's view of the open outages, at the same moment as <see cref="Current"/>.</summary>
    public IReadOnlyList<OutageMapItem> GetMapOverlay()
    {
        var views = _queries.MapOverlay();
        if (Volatile.Read(ref _overlay) is { } cached && ReferenceEquals(cached.From, views))
        {
            return cached.Items;
        }

        var net = _network.Current;
        IReadOnlyList<OutageMapItem> items = [.. views.Select(v =>
        {
            var state = State(v.Outage.State);
            var places = new OutageMapPlaces(Places(net, [v.Outage.DeviceId], false), Places(net, v.Transformers, true),
                Places(net, v.Outage.ReportingMeterIds, false), Places(net, v.Silent, false));
            return new OutageMapItem(v.Outage.Id, state, Level(v.Outage.Level), v.Outage.DeviceId, OutageBoardView.StateHex(state),
                v.Transformers, v.Outage.ReportingMeterIds, v.Silent, places);
        })];
        Volatile.Write(ref _overlay, new Overlaid(views, items));
        return items;
    }

    /// <summary>[lon, lat] (and the customers below, with <paramref name="customers"/>) of each id in the network, rounded to 1e-6° as the map's tiles.</summary>
    private static double[] Places(OpsConsole.Gis.Topology.NetworkTopology net, IEnumerable<string> ids, bool customers)
    {
        var list = new List<double>();
        foreach (var id in ids)
        {
            if (net.TryGetElement(id, out int e))
            {
                var at = net[e].Location;
                list.Add(Math.Round(at.X, 6));
                list.Add(Math.Round(at.Y, 6));
                if (customers)
                {
                    list.Add(net.MeterCountBelow(e));
                }
            }
        }

        return [.. list];
    }

    /// <summary>Closed outages (restored, cleared, momentary), most recent first: read when the board's filter asks for them.</summary>
    public IReadOnlyList<OutageRow> ClosedRows() => [.. _queries.ClosedRows().Select(Row)];

    /// <summary>The board's search by meter id: the outages, open and closed, with a meter whose id contains <paramref name="query"/>.</summary>
    public IReadOnlySet<string> OutagesWithMeter(string query) => _queries.OutagesWithMeter(query);

    public async Task<OutageDetail?> GetDetailAsync(string id)
    {
        if (await _queries.DetailAsync(id, lastEvents: false).ConfigureAwait(false) is not { } detail)
        {
            return null;
        }

        var outage = detail.Row.Outage;
        var timeline = outage.History.Select(t => new TimelineEntry(
            t.At,
            t.From is null ? $"created, {t.State}" : t.From == t.State ? t.State.ToString() : $"{t.From} → {t.State}",
            t.Actor,
            t.Note)).ToArray();
        var meters = detail.Meters.Select(m => new OutageMeter(m.MeterId, m.Reported, m.Down, m.Critical, m.Mute.ToView())).ToArray();
        return new OutageDetail(Row(detail.Row), outage.Explanation, outage.ParentOutageId, timeline, meters, Allowed(outage.State));
    }

    /// <summary>The actions the engine accepts in <paramref name="state"/> (<see cref="OutageRules"/>), for the page to offer only those.</summary>
    public static BoardActions Allowed(OutageState state) =>
        (OutageRules.Allows(OutageAction.Acknowledge, state) ? BoardActions.Acknowledge : BoardActions.None)
        | (OutageRules.Allows(OutageAction.Dispatch, state) ? BoardActions.Dispatch : BoardActions.None)
        | (OutageRules.Allows(OutageAction.Restore, state) ? BoardActions.Restore : BoardActions.None)
        | (OutageRules.Allows(OutageAction.Clear, state) ? BoardActions.Clear : BoardActions.None);

    public async Task<BoardActionResult> AcknowledgeAsync(string id, ClaimsPrincipal user, string? remoteAddress) =>
        Board(await _outages.AcknowledgeAsync(_actors.Of(user, remoteAddress), id).ConfigureAwait(false));

    public async Task<BoardActionResult> DispatchAsync(string id, ClaimsPrincipal user, string crew, string? note, string? remoteAddress) =>
        Board(await _outages.DispatchAsync(_actors.Of(user, remoteAddress), id, crew, note).ConfigureAwait(false));

    public async Task<BoardActionResult> RestoreAsync(string id, ClaimsPrincipal user, string reason, string? remoteAddress) =>
        Board(await _outages.RestoreAsync(_actors.Of(user, remoteAddress), id, reason).ConfigureAwait(false));

    public async Task<BoardActionResult> RemapAsync(string meterId, ClaimsPrincipal user, string transformerId, string? remoteAddress) =>
        Board(await _meters.RemapAsync(_actors.Of(user, remoteAddress), meterId, transformerId).ConfigureAwait(false));

    /// <summary>The console's state for an engine state: the one place the two enumerations meet.</summary>
    public static OutageStateView State(OutageState state) => state switch
    {
        OutageState.Suspected => OutageStateView.Suspected,
        OutageState.Confirmed => OutageStateView.Confirmed,
        OutageState.Acknowledged => OutageStateView.Acknowledged,
        OutageState.Dispatched => OutageStateView.Dispatched,
        OutageState.Restored => OutageStateView.Restored,
        OutageState.Cleared => OutageStateView.Cleared,
        OutageState.Momentary => OutageStateView.Momentary,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "an outage state the console does not know"),
    };

    /// <summary>The console's level for an engine level.</summary>
    public static OutageLevelView Level(OutageLevel level) => level switch
    {
        OutageLevel.Substation => OutageLevelView.Substation,
        OutageLevel.Feeder => OutageLevelView.Feeder,
        OutageLevel.Device => OutageLevelView.Device,
        OutageLevel.Transformer => OutageLevelView.Transformer,
        OutageLevel.Meter => OutageLevelView.Meter,
        OutageLevel.Unknown => OutageLevelView.Unknown,
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "an outage level the console does not know"),
    };

    private static OutageRow Row(OutageRowView v)
    {
        var o = v.Outage;
        return new OutageRow(o.Id, Level(o.Level), o.DeviceId, v.DeviceName, v.Feeder, State(o.State), o.Meters, o.ReportingMeters, o.CriticalMeters, o.StartedAt, o.Priority, o.MetersDown,
            v.Address, v.AddressMeterId);
    }

    /// <summary>The outage detail's "Check power": the same query as <c>GET /api/power-status?meters=…</c>.</summary>
    public async Task<PowerCheckResult> CheckPowerAsync(IReadOnlyList<string> meterIds, ClaimsPrincipal user, string? remoteAddress)
    {
        ArgumentNullException.ThrowIfNull(meterIds);
        var result = await _power.CheckAsync(_actors.Of(user, remoteAddress), string.Join(',', meterIds), null, null).ConfigureAwait(false);
        return result.Succeeded
            ? new PowerCheckResult(true, null, [.. result.Value!.Select(p => new MeterPower(p.Meter, p.Status, p.UptimeS, p.VoltageMv, p.At))])
            : PowerCheckResult.Fail(result.Error ?? "The power check failed.");
    }

    /// <summary>The outage detail's "Clear as false positive": the same command as <c>POST /api/outages/{id}/clear</c>.</summary>
    public async Task<ClearResult> ClearAsync(string id, ClaimsPrincipal user, string? reason, string? remoteAddress)
    {
        var result = await _outages.ClearAsync(_actors.Of(user, remoteAddress), id, reason).ConfigureAwait(false);
        var v = result.Value?.Verification;
        IReadOnlyList<MeterPower> meters = v is null ? [] : [.. v.Meters.Select(p => new MeterPower(p.Meter, p.Status, p.UptimeS, p.VoltageMv, p.At))];
        return new ClearResult(result.Succeeded, result.Succeeded ? null : result.Error ?? "The outage was not cleared.", v?.VerdictName, meters);
    }

    private static BoardActionResult Board(CommandResult<Outage> result) =>
        result.Succeeded ? BoardActionResult.Ok : BoardActionResult.Fail(result.Error ?? "The action failed.");

    private void Unsubscribe(OutageSubscription subscription)
    {
        lock (_gate)
        {
            _listening = [.. _listening.Where(s => !ReferenceEquals(s, subscription))];
        }

        subscription.Dispose();
    }

    public void Dispose() => _timer?.Dispose();

    private sealed record Overlaid(IReadOnlyList<OutageOverlayView> From, IReadOnlyList<OutageMapItem> Items);

    private sealed record Built(IReadOnlyList<OutageRowView> From, long Sampled, OutageBoardState State);

    private sealed class Unsubscriber(OutageBoardSource board, OutageSubscription subscription) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                board.Unsubscribe(subscription);
            }
        }
    }
}
