using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Application.Power;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Topology;

namespace OpsConsole.Engine.Application.Outages;

/// <summary>
/// Verification in the background, as <c>system:verification</c>, off the correlation loop:
/// <list type="bullet">
/// <item><b>Automatic</b> (<c>Verification:Auto</c>, levels <c>Verification:AutoLevels</c>): when an outage is created
/// Suspected, a sample of its reporting meters is read; when they are energised and were never down (uptime longer than
/// the outage's age) it is cleared as a false positive with the evidence — only if it is still Suspected with the same
/// reporting meters by then, else nothing is done.</item>
/// <item><b>Restoration</b> (<c>Verification:Restoration</c>): when a Device, Feeder or Substation outage starts to be
/// restored (its first power-up), its meters still down are read; when an outage is Restored (by power-ups or by
/// hand), the meters behind its element that never powered up and a small sample of those that did. Meters still off
/// become nested outages at once (<see cref="OutageCorrelator.NestNow"/>), instead of <c>Correlation:NestedMs</c> later.</item>
/// </list>
/// The correlation loop only posts to a bounded queue (<c>Verification:QueueLimit</c>; beyond it a verification is
/// dropped and logged); <c>Verification:MaxParallel</c> outages are verified at once, each read bounded by the meter
/// client. Every action goes through <see cref="OutageCommands"/> (checked and audited once).
/// </summary>
public sealed partial class OutageVerificationService : IHostedService, IAsyncDisposable
{
    /// <summary>The actor of every action this service takes.</summary>
    public static readonly Actor SystemActor = new("system:verification", ActorRole.Admin, null, null);

    private readonly CorrelationService _correlation;
    private readonly OutageCommands _commands;
    private readonly OutageVerifier _verifier;
    private readonly PowerStatusQueries _power;
    private readonly TopologyState _topology;
    private readonly VerificationOptions _options;
    private readonly HashSet<OutageLevel> _autoLevels;
    private readonly ILogger<OutageVerificationService> _logger;
    private readonly Channel<Job> _jobs;
    private readonly ConcurrentDictionary<string, byte> _queued = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task[] _workers = [];
    private int _busy;
    private int _disposed;

    public OutageVerificationService(CorrelationService correlation, OutageCommands commands, OutageVerifier verifier, PowerStatusQueries power,
        TopologyState topology, IOptions<VerificationOptions> options, ILogger<OutageVerificationService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _correlation = correlation;
        _commands = commands;
        _verifier = verifier;
        _power = power;
        _topology = topology;
        _options = options.Value;
        _autoLevels = [.. _options.AutoLevelList.Select(Enum.Parse<OutageLevel>)];
        _logger = logger;
        _jobs = Channel.CreateBounded<Job>(new BoundedChannelOptions(_options.QueueLimit) { FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Raised after each verification finished (whatever it found), for tests and diagnostics.</summary>
    public event Action<VerificationReport>? Verified;

    /// <summary>Verifications queued or running now.</summary>
    public int Pending => _jobs.Reader.Count + Volatile.Read(ref _busy);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Auto && _autoLevels.Count > 0 || _options.Restoration)
        {
            _correlation.Changed += OnChanged;
            _workers = [.. Enumerable.Range(0, _options.MaxParallel).Select(_ => Task.Run(WorkAsync))];
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _correlation.Changed -= OnChanged;
        _jobs.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_workers).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Idempotent: the container disposes it both as itself and as a hosted service.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _correlation.Changed -= OnChanged;
        _jobs.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_workers).ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>Open outages whose restoration was already verified (touched on the correlation loop only).</summary>
    private readonly HashSet<string> _restoring = new(StringComparer.Ordinal);

    /// <summary>On the correlation loop: posts, never waits.</summary>
    private void OnChanged(IReadOnlyList<OutageChange> changes)
    {
        foreach (var change in changes)
        {
            var o = change.Outage;
            if (_options.Auto && change.Kinds.HasFlag(OutageChangeKinds.Created) && o.State == OutageState.Suspected && _autoLevels.Contains(o.Level))
            {
                Post(new Job(JobKind.Auto, o.Id));
            }

            if (!_options.Restoration)
            {
                continue;
            }

            if (!o.IsActive || change.Kinds.HasFlag(OutageChangeKinds.Merged))
            {
                _restoring.Remove(o.Id);
            }

            // Once per outage, when its restoration starts: every power-up is a change now (the board shows restoration as
            // it happens), and reading up to RestorationMaxMeters meters again at each one would be a storm of our own.
            if (o.IsActive && o.Level is OutageLevel.Device or OutageLevel.Feeder or OutageLevel.Substation && o.MetersDown > 0 && o.MetersDown < o.ReportingMeters
                && _restoring.Add(o.Id))
            {
                Post(new Job(JobKind.Restoring, o.Id));
            }
            else if (o.State == OutageState.Restored && change.Kinds.HasFlag(OutageChangeKinds.Restored))
            {
                Post(new Job(JobKind.Restored, o.Id));
            }
        }
    }

    private void Post(Job job)
    {
        if (!_queued.TryAdd(job.Key, 0))
        {
            return; // once per outage and kind
        }

        if (!_jobs.Writer.TryWrite(job))
        {
            LogDropped(_logger, job.Kind.ToString(), job.OutageId, _options.QueueLimit);
        }
    }

    private async Task WorkAsync()
    {
        try
        {
            await foreach (var job in _jobs.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                Interlocked.Increment(ref _busy);
                VerificationReport report;
                try
                {
                    report = job.Kind switch
                    {
                        JobKind.Auto => await AutoAsync(job.OutageId, _stop.Token).ConfigureAwait(false),
                        _ => await RestorationAsync(job, _stop.Token).ConfigureAwait(false),
                    };
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogFailed(_logger, ex, job.Kind.ToString(), job.OutageId);
                    report = new VerificationReport(job.Kind.ToString(), job.OutageId, "failed: " + ex.Message, null);
                }
                finally
                {
                    Interlocked.Decrement(ref _busy);
                }

                try
                {
                    Verified?.Invoke(report);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogFailed(_logger, ex, job.Kind.ToString(), job.OutageId);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // stopping
        }
    }

    private async Task<VerificationReport> AutoAsync(string id, CancellationToken ct)
    {
        if (_correlation.Current.Find(id) is not { State: OutageState.Suspected } outage)
        {
            return new VerificationReport("Auto", id, "no longer Suspected: not read", null);
        }

        var verification = await _verifier.VerifyAsync(outage, ct).ConfigureAwait(false);
        if (verification.Verdict != VerificationVerdict.FalsePositive)
        {
            LogNotCleared(_logger, id, verification.Reason);
            return new VerificationReport("Auto", id, verification.VerdictName, verification);
        }

        var result = await _commands.ClearVerifiedAsync(SystemActor, outage, verification, $"clear {id} (automatic verification)", requireSuspected: true, ct).ConfigureAwait(false);
        return new VerificationReport("Auto", id, result.Succeeded ? "cleared" : "not cleared: " + result.Error, verification);
    }

    private async Task<VerificationReport> RestorationAsync(Job job, CancellationToken ct)
    {
        var meters = await _correlation.QueryAsync(c => c.MetersOf(job.OutageId), ct).ConfigureAwait(false);
        List<MeterStatus> read;
        if (job.Kind == JobKind.Restoring)
        {
            read = [.. meters.Where(m => m.IsDown && m.OutageId == job.OutageId).Take(_options.RestorationMaxMeters)];
        }
        else
        {
            // Never powered up: up as far as the engine knows (taken as up by a restoration) yet no power-up came, reporting
            // meters (last gasp last) first, then the silent ones; and a few that did power up.
            var notUp = meters.Where(m => !m.IsDown && m.LastEventCode != MeterEventCode.PowerUp)
                .OrderBy(m => m.LastEventCode == MeterEventCode.PowerDown ? 0 : 1).Take(_options.RestorationMaxMeters);
            var up = OutageVerifier.Sample([.. meters.Where(m => !m.IsDown && m.LastEventCode == MeterEventCode.PowerUp).Select(m => m.MeterId)], Math.Max(1, _options.RestorationSampleUp))
                .Take(_options.RestorationSampleUp).ToHashSet(StringComparer.Ordinal);
            read = [.. notUp, .. meters.Where(m => up.Contains(m.MeterId))];
        }

        if (read.Count == 0)
        {
            return new VerificationReport(job.Kind.ToString(), job.OutageId, "nothing to read", null);
        }

        var net = _topology.Current;
        var indices = new List<int>(read.Count);
        foreach (var m in read)
        {
            if (net.TryGetMeter(m.MeterId, out int e))
            {
                indices.Add(e);
            }
        }

        var answers = await _power.CheckMetersAsync(net, indices, ct).ConfigureAwait(false);
        var off = answers.Where(a => a.Status == "off").Select(a => a.Meter).ToList();
        if (off.Count == 0)
        {
            return new VerificationReport(job.Kind.ToString(), job.OutageId, "none off", null);
        }

        string evidence = string.Join("; ", answers.Take(50).Select(a => $"{a.Meter}={a.Status}"));
        var result = await _commands.NestAsync(SystemActor, job.OutageId, off, evidence, ct).ConfigureAwait(false);
        return new VerificationReport(job.Kind.ToString(), job.OutageId, result.Succeeded ? $"nested {off.Count}" : "not nested: " + result.Error, null);
    }

    private enum JobKind
    {
        Auto,
        Restoring,
        Restored,
    }

    private sealed record Job(JobKind Kind, string OutageId)
    {
        public string Key => $"{Kind}:{OutageId}";
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Verification {Kind} of {Outage} dropped: {Limit} verifications wait already (Verification:QueueLimit)")]
    private static partial void LogDropped(ILogger logger, string kind, string outage, int limit);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Error, Message = "Verification {Kind} of {Outage} failed")]
    private static partial void LogFailed(ILogger logger, Exception ex, string kind, string outage);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Automatic verification left {Outage} open: {Reason}")]
    private static partial void LogNotCleared(ILogger logger, string outage, string reason);
}

/// <summary>What one background verification found and did (<see cref="OutageVerificationService.Verified"/>).</summary>
/// <param name="Kind"><c>Auto</c>, <c>Restoring</c> or <c>Restored</c>.</param>
/// <param name="Outcome">e.g. <c>cleared</c>, <c>not-energised</c>, <c>nested 2</c>, <c>none off</c>.</param>
public sealed record VerificationReport(string Kind, string OutageId, string Outcome, OutageVerification? Verification);
