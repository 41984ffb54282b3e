using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;

namespace OpsConsole.Engine.Correlation.Hosting;

/// <summary>
/// The correlation subsystem's <see cref="Meter"/> and <see cref="ActivitySource"/> (both named <see cref="Name"/>),
/// all read when collected: the lag (<see cref="CorrelationService.Lag"/>), the loop's queue, events correlated,
/// and the open outages by level and state. Traces: one <c>correlate</c> activity per batch of live events.
/// A hosted service only so that the instruments exist from the start; it runs nothing.
/// </summary>
public sealed class CorrelationTelemetry : IHostedService, IDisposable
{
    public const string Name = "OpsConsole.Engine.Correlation";

    /// <summary>Seconds between the receipt of the latest correlated batch's first event and its correlation.</summary>
    public const string Lag = "opsconsole.correlation.lag";

    /// <summary>Work items waiting for the correlation loop.</summary>
    public const string QueueDepth = "opsconsole.correlation.queue.depth";

    /// <summary>Events given to the correlator since start (replay and live).</summary>
    public const string Events = "opsconsole.correlation.events";

    /// <summary>Open outages, by <c>level</c> and <c>state</c> (every open state and level, zeros included).</summary>
    public const string OpenOutages = "opsconsole.correlation.outages.open";

    public static readonly ActivitySource Source = new(Name);

    private static readonly OutageLevel[] Levels = Enum.GetValues<OutageLevel>();
    private static readonly OutageState[] OpenStates = [.. Enum.GetValues<OutageState>().Where(s => s.IsOpen())];

    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    public CorrelationTelemetry(CorrelationService correlation, IMeterFactory? meters = null)
    {
        ArgumentNullException.ThrowIfNull(correlation);
        _ownsMeter = meters is null;
        _meter = meters?.Create(Name) ?? new Meter(Name);
        _meter.CreateObservableGauge(Lag, () => correlation.Lag.TotalSeconds, "s", "Receipt of the latest correlated batch's first event to its correlation");
        _meter.CreateObservableGauge(QueueDepth, () => correlation.QueueDepth, "{item}", "Work items waiting for the correlation loop");
        _meter.CreateObservableCounter(Events, () => correlation.EventsProcessed, "{event}", "Events given to the correlator since start (replay and live)");
        _meter.CreateObservableGauge(OpenOutages, () => Open(correlation.Current), "{outage}", "Open outages by level and state");
    }

    public Meter Meter => _meter;

    private static IEnumerable<Measurement<int>> Open(OutageSnapshot snapshot)
    {
        var counts = new int[Levels.Length, OpenStates.Length];
        foreach (var o in snapshot.Active)
        {
            int s = Array.IndexOf(OpenStates, o.State);
            int l = Array.IndexOf(Levels, o.Level);
            if (s >= 0 && l >= 0)
            {
                counts[l, s]++;
            }
        }

        for (int l = 0; l < Levels.Length; l++)
        {
            for (int s = 0; s < OpenStates.Length; s++)
            {
                yield return new(counts[l, s], new KeyValuePair<string, object?>("level", Levels[l].ToString()), new KeyValuePair<string, object?>("state", OpenStates[s].ToString()));
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
