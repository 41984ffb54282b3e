using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Topology;

namespace OpsConsole.Engine.Ingest.Processing;

/// <summary>Builds the listener's shared state once the journal has been recovered.</summary>
public sealed class IngestContextFactory(
    IngestStats stats,
    EventProcessorLog log,
    TopologyState topology,
    MeterKeyCache keys,
    IOptions<HesOptions> hes,
    IOptions<ValidationOptions> validation,
    TimeProvider time)
{
    /// <summary>Remembered CoAP exchanges (RFC 7252 §4.5) — about 100 B each.</summary>
    public const int DedupCapacity = 1_000_000;

    /// <summary>The §5 validation settings the contexts use.</summary>
    public ValidationOptions Validation => validation.Value;

    public IngestContext Create(EventRecovery recovery) => new(
        stats,
        log,
        new CoapDeduplicator(time, DedupCapacity),
        new Block1Reassembler(time),
        new ReplayGuard(recovery.HighestInvocationCounters),
        new EventValidator(validation.Value),
        new GatewayFilter(hes.Value),
        new MeterRegistry(topology, keys),
        time,
        recovery.SeenKeys);
}
