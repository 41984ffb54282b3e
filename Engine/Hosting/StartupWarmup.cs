namespace OpsConsole.Engine.Hosting;

/// <summary>
/// Runs the listener's and the correlation engine's warm-ups (<c>IngestWarmup</c>, <c>CorrelationWarmup</c>;
/// both on synthetic data of their own, neither needs the network) on a pool thread from the host's first moments, one
/// after the other, while the network loads. Loading a network is mostly one thread's work (reading the store, building
/// its index), so on a two-core server the warm-ups use the other core instead of adding their 1.5–2.5 s to every start
/// after it. The listener and the correlation loop each wait for their own warm-up before taking live work.
/// </summary>
/// <remarks>Begun by the first hosted service (<see cref="StartEarly"/>); a host that does not begin it still gets the warm-ups, at their first request.</remarks>
public sealed class StartupWarmup
{
    private readonly Lazy<(Task<WarmupResult?> Ingest, Task<WarmupResult?> Correlation)> _runs;

    /// <param name="ingest">The listener's warm-up; null when it is configured off.</param>
    /// <param name="correlation">The correlation engine's warm-up; null when it is configured off.</param>
    public StartupWarmup(Func<Task<WarmupResult>>? ingest, Func<WarmupResult>? correlation)
    {
        _runs = new(() =>
        {
            var first = Task.Run(async () => ingest is null ? (WarmupResult?)null : await ingest().ConfigureAwait(false));

            // After the listener's: two warm-ups side by side would take both cores from the network's load.
            var second = first.ContinueWith(
                _ => correlation is null ? (WarmupResult?)null : correlation(),
                CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            return (first, second);
        }, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The listener's warm-up (started if it was not); null when it is configured off.</summary>
    public Task<WarmupResult?> Ingest => _runs.Value.Ingest;

    /// <summary>The correlation engine's warm-up (started if it was not); null when it is configured off.</summary>
    public Task<WarmupResult?> Correlation => _runs.Value.Correlation;

    /// <summary>Starts both warm-ups (the first of them; the other follows it) without waiting for them.</summary>
    public void Begin() => _ = _runs.Value;
}
