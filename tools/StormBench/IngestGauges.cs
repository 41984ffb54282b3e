using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace OpsConsole.Tools.StormBench;

/// <summary>
/// Reads the product's ingest gauges (queue depths) through a <see cref="MeterListener"/>, as a metrics exporter
/// would: only the instruments of the given meter (this host's), collected on demand.
/// </summary>
internal sealed class IngestGauges : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _last = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public IngestGauges(System.Diagnostics.Metrics.Meter meter) // the tool has a Meter of its own (the simulated meters)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => _last[instrument.Name] = value);
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => _last[instrument.Name] = value);
        _listener.Start();
    }

    /// <summary>The gauge's current value (collected now); -1 when the product has no such instrument.</summary>
    public long Read(string instrument)
    {
        lock (_gate)
        {
            _last.TryRemove(instrument, out _);
            _listener.RecordObservableInstruments();
            return _last.TryGetValue(instrument, out long value) ? value : -1;
        }
    }

    public void Dispose() => _listener.Dispose();
}
