using System.Net;
using System.Security.Cryptography;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Hosting;
using OpsConsole.Engine.Protocols;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Ingest.Processing;

/// <summary>
/// The listener's start-up warm-up (see <see cref="JitWarmup"/>): last gasps and power-ups of synthetic meters,
/// encrypted with a random master key that is thrown away, through a <see cref="DatagramProcessor"/> over a
/// context of its own (its own counters, registry, replay guard, de-duplicator and a log in a temporary
/// folder), then encoded as the journal encodes them. Nothing of it reaches the store, the live counters,
/// the event-processor log or the correlation engine.
/// </summary>
public static class IngestWarmup
{
    private const int Meters = 64;
    /// <summary>Datagrams a warm-up round processes.</summary>
    public const int PerRound = 256;

    /// <param name="validation">The listener's §5 settings.</param>
    /// <param name="budget">At most this long.</param>
    /// <param name="scratchRoot">Where the throwaway log folder goes (default: the system's temporary folder); it is deleted afterwards.</param>
    public static async Task<WarmupResult> RunAsync(ValidationOptions validation, TimeSpan budget, string? scratchRoot = null)
    {
        ArgumentNullException.ThrowIfNull(validation);
        var time = TimeProvider.System;
        var folder = scratchRoot is null
            ? Directory.CreateTempSubdirectory("opsconsole-warmup-")
            : Directory.CreateDirectory(Path.Combine(scratchRoot, "opsconsole-warmup-" + Guid.NewGuid().ToString("N")));
        try
        {
            using var keys = new MeterKeyCache(RandomNumberGenerator.GetBytes(MeterKeys.MasterKeySize));
            var meters = Enumerable.Range(0, Meters).Select(i => SyntheticMeters.Meter($"warmup-{i}", 0x5741_524D_0000_0000UL + (ulong)i)).ToArray(); // "WARM…"
            var topology = new TopologyState();
            topology.Replace(NetworkTopology.Build(meters, keepExtraProperties: false));

            await using var log = new EventProcessorLog(folder.FullName, time);
            var context = new IngestContext(
                new IngestStats(),
                log,
                new CoapDeduplicator(time, PerRound * 64),
                new Block1Reassembler(time),
                new ReplayGuard(),
                new EventValidator(validation),
                new GatewayFilter(["127.0.0.0/8"]),
                new MeterRegistry(topology, keys),
                time,
                new SeenEventKeys());
            using var processor = new DatagramProcessor(context, Meters);
            var response = new byte[DatagramProcessor.MaxResponseLength * 8];
            var encoded = new byte[RecordedEventCodec.MaxSize];
            uint counter = 0;
            ushort messageId = 0;

            void Round()
            {
                for (int i = 0; i < PerRound; i++)
                {
                    var meter = meters[i % Meters];
                    counter += i % Meters == 0 ? 1u : 0u;
                    messageId++;
                    var code = counter % 2 == 1 ? MeterEventCode.PowerDown : MeterEventCode.PowerUp;
                    var type = i % 8 == 0 ? CoapType.Confirmable : CoapType.NonConfirmable;
                    var now = time.GetUtcNow();
                    var e = SyntheticMeters.Event(meter.Guid, code, counter, now);
                    byte[] token = [(byte)(messageId >> 8), (byte)messageId];
                    var frame = MeterFrameWriter.Post(type, messageId, token, MeterFrameWriter.Apdu(e, meter.SystemTitle, counter, keys.GetKeys(meter.Guid)));
                    var source = new IPEndPoint(IPAddress.Loopback, 20_000 + (i % Meters));
                    var result = processor.Process(frame, source, response);
                    if (result.Outcome == DatagramOutcome.Persist && result.Event is { } recorded)
                    {
                        RecordedEventCodec.Write(recorded, encoded);
                        context.Commit(recorded, result.Source, result.MessageId, result.SendAfterDurable ? response.AsSpan(0, result.ResponseLength) : default);
                    }
                }
            }

            return JitWarmup.Run(Round, TimeSpan.FromMilliseconds(300), budget);
        }
        finally
        {
            try
            {
                folder.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A temporary folder left behind is harmless.
            }
        }
    }
}
