using System.Buffers.Binary;
using System.Net;
using System.Text.Json;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Ingest.Processing;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Tests.Coap;
using OpsConsole.Engine.Tests.Ingest.Processing;

namespace OpsConsole.Engine.Tests.Ingest;

/// <summary>
/// Issue 11 finding 2: state keyed by unauthenticated source addresses stays bounded. A million spoofed
/// sources go through <see cref="DatagramProcessor.Process"/>, the entry point the socket loop uses. Alone in its
/// collection: the heap is measured, so no other test may allocate meanwhile.
/// </summary>
[Collection(nameof(SpoofedSourceBoundsTests))]
public sealed class SpoofedSourceBoundsTests
{
    [Fact]
    public async Task MillionSpoofedSources_DeniedAndAllowed_HeapStatsAndLogStayBounded()
    {
        await using var f = new ProcessingFixture();
        byte[] ping = [0x40, 0x00, 0x00, 0x01]; // CoAP ping: answered RST, no de-duplication or reassembly state

        // Warm up (JIT, tables at their first sizes), then measure the heap over a million more sources.
        Send(f, ping, 0, 20_000);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        Send(f, ping, 20_000, 1_020_000);
        long after = GC.GetTotalMemory(forceFullCollection: true);

        var s = f.Stats.Snapshot();
        Assert.Equal(1_020_000, s.Received);
        Assert.Equal(s.Received, s.Accepted + s.Duplicates + s.RejectedTotal + s.Control);
        Assert.Equal(510_000, s.Rejected[nameof(RejectReason.ERR_GATEWAY_DENIED)]);

        // Per-gateway figures: allowed sources only, the busiest 256 plus "other"; denied ones not at all.
        Assert.InRange(s.Gateways.Count, 1, IngestStats.MaxReportedGateways + 1);
        Assert.All(s.Gateways.Keys, k => Assert.True(k == IngestStats.OtherGateways || k.StartsWith("127.", StringComparison.Ordinal), k));
        Assert.Equal(510_000, s.Gateways.Values.Sum(g => g.Received)); // every allowed datagram counted once, by address or in "other"
        Assert.Equal(IngestStats.MaxTrackedGateways, f.Stats.TrackedGateways);
        int json = JsonSerializer.SerializeToUtf8Bytes(s).Length;
        Assert.True(json < 50_000, $"stats snapshot is {json} bytes");

        // 65 MB per 100,000 sources before the fix; now the tracked table is at its cap before the measurement.
        long growth = after - before;
        Assert.True(growth < 4 * 1024 * 1024, $"heap grew {growth:N0} bytes over 1,000,000 spoofed sources");

        // ERR_GATEWAY_DENIED: one line per second (the manual clock did not move: one line), the rest counted
        // and written by the next sweep once the second is over.
        f.Time.Advance(IngestContext.DeniedLogInterval);
        f.Context.PurgeExpired();
        var lines = (await f.LogLinesAsync()).Where(l => l.Contains(" ERR_GATEWAY_DENIED ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, lines.Length);
        Assert.EndsWith(" suppressed=0", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(" ERR_GATEWAY_DENIED src=- meter=- suppressed=509999 reason=rate-limit", lines[1], StringComparison.Ordinal);
    }

    /// <summary>Sources [from, to): even ones denied (distinct IPv6 addresses), odd ones allowed (distinct 127.x.y.z).</summary>
    private static void Send(ProcessingFixture f, byte[] ping, int from, int to)
    {
        Span<byte> v6 = stackalloc byte[16];
        for (int i = from; i < to; i++)
        {
            IPEndPoint source;
            if (i % 2 == 0)
            {
                v6.Clear();
                v6[0] = 0x20;
                v6[1] = 0x01;
                v6[2] = 0x0d;
                v6[3] = 0xb8;
                BinaryPrimitives.WriteInt32BigEndian(v6[12..], i);
                source = new IPEndPoint(new IPAddress(v6), 5683);
            }
            else
            {
                source = new IPEndPoint(new IPAddress([127, (byte)(i >> 16), (byte)(i >> 8), (byte)i]), 40000 + (i % 1000));
            }

            f.Processor.Process(ping, source, f.Response);
        }
    }

    [Fact]
    public async Task UnknownSystemTitlesAndRogueFrames_CreateNoReplayOrSeenKeyEntries_DedupStaysAtItsCapacity()
    {
        await using var f = new ProcessingFixture();
        for (int i = 0; i < 5_000; i++)
        {
            // Unknown system titles (4.01 ERR_UNKNOWN_METER), and a registered title with a frame that fails authentication.
            var unknown = f.Process(ProcessingFixture.EventFrame(CoapType.Confirmable, (ushort)i, (uint)i + 1, title: 0x7700000000000000UL + (ulong)i));
            Assert.Equal(RejectReason.ERR_UNKNOWN_METER, unknown.Reason);
            byte[] forged = ProcessingFixture.EventFrame(CoapType.NonConfirmable, (ushort)(i + 10_000), (uint)i + 1);
            forged[^1] ^= 0x01;
            Assert.Equal(RejectReason.ERR_AUTH_FAILED, f.Process(forged).Reason);
        }

        Assert.Equal(0, f.Context.Replay.Count);
        Assert.Equal(0, f.Context.SeenKeys.MeterCount);
        Assert.Equal(0, f.Context.Reassembler.Count);
        Assert.Equal(f.Context.Dedup.Capacity, f.Context.Dedup.Count); // bounded: the oldest are evicted
    }

    [Fact]
    public async Task Overload_NonConfirmableLastGasps_LeaveNoRetryEntry_ConfirmableOnesOneUntilRetried()
    {
        await using var f = new ProcessingFixture();
        for (uint i = 1; i <= 1_000; i++)
        {
            var non = f.Process(ProcessingFixture.EventFrame(CoapType.NonConfirmable, (ushort)i, i, ProcessingFixture.Event(ProcessingFixture.Meter1, eventId: i, sendTime: ProcessingFixture.Now)));
            Assert.Equal(DatagramOutcome.Persist, non.Outcome);
            f.Context.RejectOverloaded(non.Event!, non.Source, non.MessageId, "journal queue full", non.IsConfirmable);
        }

        Assert.Equal(0, f.Context.AbandonedCount); // a NON is never retransmitted: nothing kept for it

        byte[] con = ProcessingFixture.EventFrame(CoapType.Confirmable, 5_000, 5_000, ProcessingFixture.Event(ProcessingFixture.Meter1, eventId: 5_000, sendTime: ProcessingFixture.Now));
        var first = f.Process(con);
        f.Context.RejectOverloaded(first.Event!, first.Source, first.MessageId, "journal queue full", first.IsConfirmable);
        Assert.Equal(1, f.Context.AbandonedCount);
        Assert.Equal(DatagramOutcome.Persist, f.Process(con).Outcome); // the retransmission takes it back
        Assert.Equal(0, f.Context.AbandonedCount);
    }

    [Fact]
    public void DeniedLog_AtMostOneLineASecond_WithTheCountHeldBack()
    {
        var time = new ManualTimeProvider();
        var limiter = new LogRateLimiter(time, TimeSpan.FromSeconds(1));

        Assert.True(limiter.TryAcquire(out long first));
        Assert.Equal(0, first);
        for (int i = 0; i < 99; i++)
        {
            Assert.False(limiter.TryAcquire(out _));
        }

        Assert.False(limiter.TryFlush(out _)); // within the second: nothing
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(limiter.TryAcquire(out _));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(limiter.TryAcquire(out long held));
        Assert.Equal(100, held);

        Assert.False(limiter.TryAcquire(out _));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryFlush(out long summary));
        Assert.Equal(1, summary);
        Assert.False(limiter.TryFlush(out _)); // nothing left
    }

    [Fact]
    public void Block1_OneSourceAddress_HoldsAtMostItsShare_OthersStillServed_AndAFreedSlotIsReused()
    {
        var time = new ManualTimeProvider();
        var reassembler = new Block1Reassembler(time);
        var host = IPAddress.Parse("192.0.2.10");
        var block = new CoapBlockOption(0, true, 2);
        byte[] payload = new byte[64];

        for (int port = 1; port <= Block1Reassembler.DefaultMaxTransfersPerSource; port++)
        {
            Assert.Equal(Block1Outcome.Continue, reassembler.Accept(CoapEndpoint.From(host, port), "/ami/ev", block, payload).Outcome);
        }

        var refused = reassembler.Accept(CoapEndpoint.From(host, 999), "/ami/ev", block, payload);
        Assert.Equal(Block1Outcome.Error, refused.Outcome);
        Assert.Equal(CoapCode.ServiceUnavailable, refused.ResponseCode);
        Assert.True(refused.SourceLimited);
        Assert.Equal(10u, refused.MaxAge);
        Assert.Equal(Block1Reassembler.DefaultMaxTransfersPerSource, reassembler.Count);

        // Another address (an IPv4-mapped spelling of a third host too) is not affected.
        Assert.Equal(Block1Outcome.Continue, reassembler.Accept(CoapEndpoint.From(IPAddress.Parse("::ffff:192.0.2.11"), 1), "/ami/ev", block, payload).Outcome);

        // One transfer completes: its slot is the source's again.
        Assert.Equal(Block1Outcome.Complete, reassembler.Accept(CoapEndpoint.From(host, 1), "/ami/ev", new CoapBlockOption(1, false, 2), payload).Outcome);
        Assert.Equal(Block1Outcome.Continue, reassembler.Accept(CoapEndpoint.From(host, 999), "/ami/ev", block, payload).Outcome);

        // All expire: the per-source table empties.
        time.Advance(Block1Reassembler.DefaultTimeout);
        Assert.Equal(Block1Reassembler.DefaultMaxTransfersPerSource + 1, reassembler.PurgeExpired().Count);
        Assert.Equal(0, reassembler.Count);
        Assert.Equal(0, reassembler.SourceCount);
    }

    [Fact]
    public async Task Block1_SourceLimit_AnsweredServiceUnavailableWithMaxAge_LoggedOverload()
    {
        await using var f = new ProcessingFixture();
        for (int port = 1; port <= Block1Reassembler.DefaultMaxTransfersPerSource; port++)
        {
            var ok = f.Process(ProcessingFixture.Post(CoapType.Confirmable, (ushort)port, new CoapBlockOption(0, true, 2), new byte[64]), new IPEndPoint(IPAddress.Loopback, port));
            Assert.Equal(CoapCode.Continue, Answer.Parse(f.Sent(ok)).Code);
        }

        var refused = f.Process(ProcessingFixture.Post(CoapType.Confirmable, 77, new CoapBlockOption(0, true, 2), new byte[64]), new IPEndPoint(IPAddress.Loopback, 999));

        Assert.Equal(RejectReason.ERR_OVERLOAD, refused.Reason);
        byte[] answer = f.Sent(refused);
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(answer, out var view));
        Assert.Equal(CoapCode.ServiceUnavailable, view.Code);
        Assert.True(view.TryGetUInt32(CoapOptionNumber.MaxAge, out uint maxAge));
        Assert.Equal(10u, maxAge);
        var line = Assert.Single(await f.LogLinesAsync(), l => l.Contains(" ERR_OVERLOAD ", StringComparison.Ordinal));
        Assert.Contains("src=127.0.0.1:999", line, StringComparison.Ordinal);
        Assert.Contains("reason=block1-source-limit max=16 max_age=10", line, StringComparison.Ordinal);
    }
}

[CollectionDefinition(nameof(SpoofedSourceBoundsTests), DisableParallelization = true)]
public sealed class SpoofedSourceBoundsCollection;
