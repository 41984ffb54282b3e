using OpsConsole.Console.Client.Map;
using OpsConsole.Engine.Application.Meters;
using OpsConsole.Engine.Application.Push;
using OpsConsole.Engine.Topology;

namespace OpsConsole.Console.Server.Map;

/// <summary>
/// The map's unmapped-meter count, live: after a remap (any door: <see cref="MeterCommands.Remapped"/>) or an import the
/// count is read once from correlation and handed to every open map page, at most four times a second however many
/// meters an assignment maps.
/// </summary>
public sealed class UnmappedMeterCountSource : IUnmappedMeterCount, IDisposable
{
    private readonly MeterQueries _queries;
    private readonly MeterCommands _commands;
    private readonly TopologyState _topology;
    private readonly CallbackThrottler _throttler;
    private readonly Lock _gate = new();
    private readonly List<Func<int, Task>> _subscribers = [];

    public UnmappedMeterCountSource(MeterQueries queries, MeterCommands commands, TopologyState topology, TimeProvider time, ILogger<UnmappedMeterCountSource> logger)
    {
        _queries = queries;
        _commands = commands;
        _topology = topology;
        _throttler = new CallbackThrottler("unmapped-count", TimeSpan.FromMilliseconds(250), PublishAsync, time, logger);
        _commands.Remapped += _throttler.Execute;
        _topology.Changed += OnTopologyChanged;
    }

    public Task<int> GetAsync() => _queries.UnmappedCountAsync();

    public async Task<double[]> TopSuggestionLinesAsync(int max)
    {
        var queue = await _queries.UnmappedAsync().ConfigureAwait(false);
        var net = _topology.Current;
        var lines = new List<double>();
        foreach (var m in queue)
        {
            if (lines.Count >= 4 * max)
            {
                break;
            }

            if (!net.TryGetMeter(m.Guid, out int e) || !net[e].TryGetPoint(out double x, out double y)
                || await _queries.SuggestAsync(m.MeterId).ConfigureAwait(false) is not [var top, ..]
                || !net.TryGetElement(top.Transformer, out int t) || !net[t].TryGetPoint(out double tx, out double ty))
            {
                continue;
            }

            lines.AddRange([Math.Round(x, 6), Math.Round(y, 6), Math.Round(tx, 6), Math.Round(ty, 6)]);
        }

        return [.. lines];
    }

    public IDisposable Subscribe(Func<int, Task> onChange)
    {
        ArgumentNullException.ThrowIfNull(onChange);
        lock (_gate)
        {
            _subscribers.Add(onChange);
        }

        return new Subscription(this, onChange);
    }

    public void Dispose()
    {
        _commands.Remapped -= _throttler.Execute;
        _topology.Changed -= OnTopologyChanged;
        _throttler.Dispose();
    }

    private void OnTopologyChanged(Gis.Topology.NetworkTopology _) => _throttler.Execute();

    private async Task PublishAsync(CancellationToken cancellationToken)
    {
        int count = await _queries.UnmappedCountAsync(cancellationToken).ConfigureAwait(false);
        Func<int, Task>[] subscribers;
        lock (_gate)
        {
            subscribers = [.. _subscribers];
        }

        foreach (var s in subscribers)
        {
            await s(count).ConfigureAwait(false);
        }
    }

    private sealed class Subscription(UnmappedMeterCountSource owner, Func<int, Task> callback) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate)
            {
                owner._subscribers.Remove(callback);
            }
        }
    }
}
