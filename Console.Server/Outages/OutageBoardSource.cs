using System.Globalization;
using System.Security.Claims;
using OpsConsole.Console.Client.Outages;
using OpsConsole.Console.Server.Security;
using OpsConsole.Console.Server.Security.Sessions;
using OpsConsole.Console.Server.Security.Users;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Console.Server.Outages;

/// <summary>
/// The outage board's view of the correlation engine. Pushes are coalesced: the engine may change
/// outages thousands of times a second in a storm; the board is rebuilt at most every
/// <see cref="PushInterval"/> (and every second for the ingest figures), and every circuit re-renders
/// from that one immutable state. The board is built only while a page listens (<see cref="Changed"/> has a
/// subscriber): with no page open a tick only samples two ingest totals for the rates, and the first page to
/// subscribe gets a fresh state before it reads <see cref="Current"/>. Actions check the role and the session here, on the server, and are
/// audited with the remote address of the page that asked. The pages reach it through
/// <see cref="CircuitOutageBoardSource"/>, which supplies that address.
/// </summary>
public sealed class OutageBoardSource : IHostedService, IDisposable
{
    public static readonly TimeSpan PushInterval = TimeSpan.FromMilliseconds(250);

    private const int RateSeconds = 10;
    private const int RejectSeconds = 60;

    private readonly CorrelationService _correlation;
    private readonly TopologyState _topology;
    private readonly IngestStats _stats;
    private readonly AuditLog _audit;
    private readonly SessionStamps _sessions;
    private readonly TimeProvider _time;
    private readonly Queue<(DateTimeOffset At, long Received, long Rejected)> _samples = new();
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private int _dirty = 1;
    private bool _stale = true; // ticks were skipped with no page listening: rebuild when one subscribes
    private Action? _changed;
    private long _ticks;
    private long _builds;
    private OutageBoardState _current = OutageBoardState.Empty;
    private IReadOnlyList<OutageMapItem> _overlay = [];

    public OutageBoardSource(CorrelationService correlation, TopologyState topology, IngestStats stats, AuditLog audit, SessionStamps sessions, TimeProvider time)
    {
        _correlation = correlation;
        _topology = topology;
        _stats = stats;
        _audit = audit;
        _sessions = sessions;
        _time = time;
        _correlation.Changed += OnOutagesChanged;
    }

    /// <summary>Times the board state was built since start (diagnostics: it stays put while no page listens).</summary>
    public long Builds => Interlocked.Read(ref _builds);

    /// <summary>The board now (brought up to date first when no page was listening).</summary>
    public OutageBoardState Current
    {
        get
        {
            Refresh();
            return Volatile.Read(ref _current);
        }
    }

    /// <summary>Raised after every rebuild; subscribing (a page opening) first brings <see cref="Current"/> up to date.</summary>
    public event Action? Changed
    {
        add
        {
            lock (_gate)
            {
                _changed += value;
            }

            Refresh();
        }

        remove
        {
            lock (_gate)
            {
                _changed -= value;
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = _time.CreateTimer(_ => Tick(), null, TimeSpan.Zero, PushInterval);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    private void OnOutagesChanged(IReadOnlyList<OutageChange> changes) => Interlocked.Exchange(ref _dirty, 1);

    /// <summary>Rebuilds the board when outages changed, and once a second for the ingest figures.</summary>
    internal void Tick()
    {
        lock (_gate)
        {
            bool second = _ticks++ % (long)(TimeSpan.FromSeconds(1) / PushInterval) == 0;
            if (second)
            {
                Sample();
            }

            if (_changed is null)
            {
                _stale = true; // no page open: build nothing until one subscribes
                return;
            }

            bool changed = Interlocked.Exchange(ref _dirty, 0) != 0;
            if (!changed && !second && !_stale)
            {
                return;
            }

            RebuildLocked(changed);
        }

        Volatile.Read(ref _changed)?.Invoke();
    }

    private void RebuildLocked(bool outagesChanged)
    {
        var outages = _correlation.Current;
        var net = _topology.Current;
        if (outagesChanged || _stale)
        {
            Volatile.Write(ref _overlay, Overlay(outages, net)); // the map's meters: only when outages changed
        }

        Volatile.Write(ref _current, Build(outages, net));
        Interlocked.Increment(ref _builds);
        _stale = false;
    }

    private void Sample()
    {
        var now = _time.GetUtcNow();
        var (received, rejected) = _stats.Totals(); // two totals, not a snapshot of every gateway
        _samples.Enqueue((now, received, rejected));
        while (_samples.Count > RejectSeconds + 1)
        {
            _samples.Dequeue();
        }
    }

    private OutageBoardState Build(OutageSnapshot outages, NetworkTopology net)
    {
        var rows = outages.Active.Select(o => Row(o, net)).ToArray();
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

    private static OutageRow Row(Outage o, NetworkTopology net)
    {
        string? name = null, feeder = null;
        if (net.TryGetElement(o.DeviceId, out int element))
        {
            name = net[element].Name;
            int f = net.AncestorOfKind(element, ElementKind.Feeder);
            feeder = f >= 0 ? net[f].Id : null;
        }

        return new OutageRow(o.Id, o.Level.ToString(), o.DeviceId, name, feeder, o.State.ToString(), o.Meters, o.ReportingMeters, o.CriticalMeters, o.StartedAt, o.Priority);
    }

    public IReadOnlyList<OutageMapItem> GetMapOverlay()
    {
        Refresh();
        return Volatile.Read(ref _overlay);
    }

    /// <summary>Rebuilds now if ticks were skipped while no page listened.</summary>
    private void Refresh()
    {
        if (Volatile.Read(ref _stale))
        {
            lock (_gate)
            {
                if (_stale)
                {
                    RebuildLocked(Interlocked.Exchange(ref _dirty, 0) != 0);
                }
            }
        }
    }

    /// <summary>
    /// The map's view: per open outage, the transformers at or below the failed element and its meters,
    /// reporting or silent, from the topology in force (a meter remapped since start is drawn at its
    /// topology place until the network is re-imported).
    /// </summary>
    private static OutageMapItem[] Overlay(OutageSnapshot outages, NetworkTopology net) =>
        [.. outages.Active.Select(o =>
        {
            var reporting = o.ReportingMeterIds.ToHashSet(StringComparer.Ordinal);
            var transformers = new List<string>();
            var silent = new List<string>();
            if (o.Level is not (OutageLevel.Meter or OutageLevel.Unknown) && net.TryGetElement(o.DeviceId, out int element))
            {
                if (net.KindOf(element) == ElementKind.Transformer)
                {
                    transformers.Add(o.DeviceId);
                }

                foreach (int meter in net.MetersBelow(element))
                {
                    string id = net[meter].Id;
                    if (!reporting.Contains(id))
                    {
                        silent.Add(id);
                    }

                    int t = net.ParentOf(meter);
                    if (t >= 0 && (transformers.Count == 0 || transformers[^1] != net[t].Id))
                    {
                        transformers.Add(net[t].Id);
                    }
                }
            }

            string state = o.State.ToString();
            return new OutageMapItem(o.Id, state, o.Level.ToString(), o.DeviceId, OutageBoardView.StateHex(state),
                [.. transformers.Distinct(StringComparer.Ordinal)], [.. o.ReportingMeterIds], silent);
        })];

    public async Task<OutageDetail?> GetDetailAsync(string id)
    {
        var (outage, meters) = await _correlation.QueryAsync(c => (c.Find(id), c.MetersOf(id))).ConfigureAwait(false);
        if (outage is null)
        {
            return null;
        }

        var net = _topology.Current;
        var reporting = outage.ReportingMeterIds.ToHashSet(StringComparer.Ordinal);
        var list = meters.Select(m => new OutageMeter(
            m.MeterId,
            reporting.Contains(m.MeterId),
            m.IsDown,
            net.TryGetElement(m.MeterId, out int e) && net[e].Critical == true)).ToArray();
        var timeline = outage.History.Select(t => new TimelineEntry(
            t.At,
            t.From is null ? $"created, {t.State}" : t.From == t.State ? t.State.ToString() : $"{t.From} → {t.State}",
            t.Actor,
            t.Note)).ToArray();
        return new OutageDetail(Row(outage, net), outage.Explanation, outage.ParentOutageId, timeline, list);
    }

    public Task<BoardActionResult> AcknowledgeAsync(string id, ClaimsPrincipal user, string? remoteAddress) =>
        ApplyAsync(user, remoteAddress, Roles.Dispatcher, new OperatorAction { Kind = OperatorAction.AcknowledgeKind, OutageId = id }, $"acknowledge {id}");

    public Task<BoardActionResult> DispatchAsync(string id, ClaimsPrincipal user, string crew, string? note, string? remoteAddress) =>
        ApplyAsync(user, remoteAddress, Roles.Dispatcher, new OperatorAction { Kind = OperatorAction.DispatchKind, OutageId = id, Crew = crew, Note = note }, $"dispatch {id} crew={crew}");

    public Task<BoardActionResult> RestoreAsync(string id, ClaimsPrincipal user, string reason, string? remoteAddress) =>
        ApplyAsync(user, remoteAddress, Roles.Dispatcher, new OperatorAction { Kind = OperatorAction.RestoreKind, OutageId = id, Note = reason }, $"restore {id}: {reason}");

    public async Task<BoardActionResult> RemapAsync(string meterId, ClaimsPrincipal user, string transformerId, string? remoteAddress) =>
        Board(await RemapMeterAsync(meterId, user, transformerId, remoteAddress).ConfigureAwait(false));

    /// <summary>
    /// The remap of the board and of <c>PUT /api/meters/{id}/parent</c> alike (one code path, one audit row whatever
    /// the door), with the outage as it is afterwards.
    /// </summary>
    public Task<CorrelationResult> RemapMeterAsync(string meterId, ClaimsPrincipal user, string transformerId, string? remoteAddress) =>
        ApplyAuditedAsync(user, remoteAddress, Roles.Admin, new OperatorAction { Kind = OperatorAction.RemapKind, Meter = meterId, Transformer = transformerId }, $"remap {meterId} to {transformerId}");

    private static BoardActionResult Board(CorrelationResult result) =>
        result.Succeeded ? BoardActionResult.Ok : BoardActionResult.Fail(result.Error ?? "The action failed.");

    private async Task<BoardActionResult> ApplyAsync(ClaimsPrincipal user, string? remoteAddress, string minimumRole, OperatorAction action, string what) =>
        Board(await ApplyAuditedAsync(user, remoteAddress, minimumRole, action, what).ConfigureAwait(false));

    /// <summary>
    /// Checks the role and that the session is still the user's on the server (a dispatcher's browser cannot call
    /// past it, and a page left open after a password reset cannot act until it is revalidated), applies, audits.
    /// </summary>
    private async Task<CorrelationResult> ApplyAuditedAsync(ClaimsPrincipal user, string? remoteAddress, string minimumRole, OperatorAction action, string what)
    {
        string name = user.Identity?.IsAuthenticated == true ? user.Identity.Name ?? "" : "";
        bool allowed = name.Length > 0 && (user.IsInRole(Roles.Admin) || (minimumRole == Roles.Dispatcher && user.IsInRole(Roles.Dispatcher)));
        if (!allowed)
        {
            _audit.Write(name, "action-refused", remoteAddress, what);
            return CorrelationResult.Fail("Your role does not allow this action.");
        }

        if (_sessions.WhyRevoked(user) is { } revoked)
        {
            _audit.Write(name, "action-refused", remoteAddress, $"{what}: session revoked ({revoked})");
            return CorrelationResult.Fail("Your session has ended: sign in again.");
        }

        action.Actor = name;
        var result = await _correlation.ApplyAsync(action).ConfigureAwait(false);
        _audit.Write(name, result.Succeeded ? "outage-action" : "outage-action-failed", remoteAddress,
            result.Succeeded ? what : string.Create(CultureInfo.InvariantCulture, $"{what}: {result.Error}"));
        if (result.Succeeded)
        {
            Interlocked.Exchange(ref _dirty, 1);
            Tick();
        }

        return result;
    }

    public void Dispose()
    {
        _correlation.Changed -= OnOutagesChanged;
        _timer?.Dispose();
    }
}
