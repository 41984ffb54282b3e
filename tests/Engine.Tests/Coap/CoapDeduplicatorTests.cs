using System.Net;
using OpsConsole.Engine.Protocols.Coap;

namespace OpsConsole.Engine.Tests.Coap;

public class CoapDeduplicatorTests
{
    private static readonly CoapEndpoint Meter = CoapEndpoint.From(IPAddress.Parse("192.0.2.10"), 5683);
    private static readonly CoapEndpoint OtherMeter = CoapEndpoint.From(IPAddress.Parse("192.0.2.11"), 5683);

    // RFC 7252 Appendix A, Figure 19: the ACK to MID 0x7d37 (token 0x42) is lost and the CON is retransmitted.
    private static readonly byte[] Figure19Response = Hex.Bytes("61 45 7D 37  42  FF 32 32 2E 33 20 43");

    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void Register_RetransmittedConWithinLifetime_GetsTheSameResponseWithoutProcessing()
    {
        var dedup = new CoapDeduplicator(_time, capacity: 16);

        Assert.Equal(CoapDeduplicationResult.New, dedup.Register(Meter, CoapType.Confirmable, 0x7D37, out _));
        Assert.True(dedup.SetResponse(Meter, 0x7D37, Figure19Response));
        _time.Advance(TimeSpan.FromSeconds(2)); // ACK_TIMEOUT

        Assert.Equal(CoapDeduplicationResult.ResendResponse, dedup.Register(Meter, CoapType.Confirmable, 0x7D37, out ReadOnlyMemory<byte> response));

        Assert.Equal(Hex.Of(Figure19Response), Hex.Of(response.Span));
    }

    [Fact]
    public void Register_DuplicateWhileFirstCopyInProcess_IsIgnored()
    {
        var dedup = new CoapDeduplicator(_time, capacity: 16);
        dedup.Register(Meter, CoapType.Confirmable, 1, out _);

        Assert.Equal(CoapDeduplicationResult.Ignore, dedup.Register(Meter, CoapType.Confirmable, 1, out ReadOnlyMemory<byte> response));
        Assert.True(response.IsEmpty);
    }

    [Fact]
    public void Register_JustBeforeExchangeLifetime_IsStillDuplicate()
    {
        var dedup = new CoapDeduplicator(_time, capacity: 16);
        dedup.Register(Meter, CoapType.Confirmable, 1, out _);
        dedup.SetResponse(Meter, 1, [0x60, 0x44, 0x00, 0x01]);

        _time.Advance(TimeSpan.FromSeconds(247) - TimeSpan.FromMilliseconds(1));

        Assert.Equal(CoapDeduplicationResult.ResendResponse, dedup.Register(Meter, CoapType.Confirmable, 1, out _));
    }

    [Fact]
    public void Register_AfterExchangeLifetime_IsProcessedAgain()
    {
        var dedup = new CoapDeduplicator(_time, capacity: 16);
        dedup.Register(Meter, CoapType.Confirmable, 1, out _);
        dedup.SetResponse(Meter, 1, [0x60, 0x44, 0x00, 0x01]);

        _time.Advance(CoapTransmissionParameters.ExchangeLifetime);

        Assert.Equal(CoapDeduplicationResult.New, dedup.Register(Meter, CoapType.Confirmable, 1, out ReadOnlyMemory<byte> response));
        Assert.True(response.IsEmpty);
        Assert.Equal(CoapDeduplicationResult.Ignore, dedup.Register(Meter, CoapType.Confirmable, 1, out _));
    }

    [Fact]
    public void Register_NonDuplicate_IsIgnoredForNonLifetimeOnly()
    {
        var dedup = new CoapDeduplicator(_time, capacity: 16);
        Assert.Equal(CoapDeduplicationResult.New, dedup.Register(Meter, CoapType.NonConfirmable, 9, out _));
        Assert.False(dedup.SetResponse(Meter, 9, [1]));

        _time.Advance(TimeSpan.FromSeconds(144));
        Assert.Equal(CoapDeduplicationResult.Ignore, dedup.Register(Meter, CoapType.NonConfirmable, 9, out _));

        _time.Advance(TimeSpan.FromSeconds(1)); // 145 s = NON_LIFETIME, well inside EXCHANGE_LIFETIME
        Assert.Equal(CoapDeduplicationResult.New, dedup.Register(Meter, CoapType.NonConfirmable, 9, out _));
    }

    [Fact]
    public void Register_SameMessageIdFromAnotherEndpoint_IsDistinct()
    {
        var dedup = new CoapDeduplicator(_time, capacity: 16);
        CoapEndpoint otherPort = CoapEndpoint.From(IPAddress.Parse("192.0.2.10"), 5684);

        Assert.Equal(CoapDeduplicationResult.New, dedup.Register(Meter, CoapType.Confirmable, 0x7D37, out _));
        Assert.Equal(CoapDeduplicationResult.New, dedup.Register(OtherMeter, CoapType.Confirmable, 0x7D37, out _));
        Assert.Equal(CoapDeduplicationResult.New, dedup.Register(otherPort, CoapType.Confirmable, 0x7D37, out _));
        Assert.Equal(CoapDeduplicationResult.New, dedup.Register(Meter, CoapType.Confirmable, 0x7D38, out _));
        Assert.Equal(4, dedup.Count);
    }

    [Fact]
    public void Register_IPv4AndItsMappedIPv6Form_AreOneEndpoint()
    {
        var dedup = new CoapDeduplicator(_time, capacity: 16);
        CoapEndpoint mapped = CoapEndpoint.From(new IPEndPoint(IPAddress.Parse("::ffff:192.0.2.10"), 5683));

        dedup.Register(Meter, CoapType.Confirmable, 5, out _);

        Assert.Equal(Meter, mapped);
        Assert.Equal(CoapDeduplicationResult.Ignore, dedup.Register(mapped, CoapType.Confirmable, 5, out _));
        Assert.Equal("192.0.2.10:5683", mapped.ToString());
    }

    [Fact]
    public void Register_CapacityReached_EvictsOldestEntry()
    {
        var dedup = new CoapDeduplicator(_time, capacity: 2);
        dedup.Register(Meter, CoapType.Confirmable, 1, out _);
        _time.Advance(TimeSpan.FromSeconds(1));
        dedup.Register(Meter, CoapType.NonConfirmable, 2, out _);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(CoapDeduplicationResult.New, dedup.Register(Meter, CoapType.Confirmable, 3, out _)); // evicts MID 1

        Assert.Equal(2, dedup.Count);
        Assert.Equal(CoapDeduplicationResult.Ignore, dedup.Register(Meter, CoapType.NonConfirmable, 2, out _));
        Assert.Equal(CoapDeduplicationResult.Ignore, dedup.Register(Meter, CoapType.Confirmable, 3, out _));
        Assert.Equal(CoapDeduplicationResult.New, dedup.Register(Meter, CoapType.Confirmable, 1, out _)); // evicts MID 2
        Assert.Equal(CoapDeduplicationResult.New, dedup.Register(Meter, CoapType.NonConfirmable, 2, out _)); // evicts MID 3
        Assert.Equal(2, dedup.Count);
    }

    [Fact]
    public void Register_ExpiredEntries_ArePurgedIncrementally()
    {
        var dedup = new CoapDeduplicator(_time, capacity: 100);
        for (ushort mid = 0; mid < 10; mid++)
        {
            dedup.Register(Meter, CoapType.Confirmable, mid, out _);
        }

        _time.Advance(CoapTransmissionParameters.ExchangeLifetime);
        dedup.Register(OtherMeter, CoapType.Confirmable, 100, out _);

        Assert.Equal(10 - CoapDeduplicator.PurgeBatch + 1, dedup.Count);
        Assert.Equal(10 - CoapDeduplicator.PurgeBatch, dedup.PurgeExpired());
        Assert.Equal(1, dedup.Count);
    }

    [Fact]
    public void Remove_FailedProcessing_LetsTheRetransmissionThrough()
    {
        var dedup = new CoapDeduplicator(_time, capacity: 16);
        dedup.Register(Meter, CoapType.Confirmable, 1, out _);

        Assert.True(dedup.Remove(Meter, 1));

        Assert.False(dedup.Remove(Meter, 1));
        Assert.Equal(CoapDeduplicationResult.New, dedup.Register(Meter, CoapType.Confirmable, 1, out _));
    }

    [Fact]
    public void SetResponse_AfterEviction_ReturnsFalse()
    {
        var dedup = new CoapDeduplicator(_time, capacity: 1);
        dedup.Register(Meter, CoapType.Confirmable, 1, out _);
        dedup.Register(Meter, CoapType.Confirmable, 2, out _);

        Assert.False(dedup.SetResponse(Meter, 1, [1]));
        Assert.True(dedup.SetResponse(Meter, 2, [2]));
    }

    [Fact]
    public void SetResponse_CopiesTheBytes()
    {
        var dedup = new CoapDeduplicator(_time, capacity: 4);
        byte[] buffer = [0x60, 0x44, 0x00, 0x01];
        dedup.Register(Meter, CoapType.Confirmable, 1, out _);
        dedup.SetResponse(Meter, 1, buffer);

        buffer[1] = 0x80; // the listener reuses its send buffer

        dedup.Register(Meter, CoapType.Confirmable, 1, out ReadOnlyMemory<byte> response);
        Assert.Equal("60440001", Hex.Of(response.Span));
    }

    [Theory]
    [InlineData(CoapType.Acknowledgement)]
    [InlineData(CoapType.Reset)]
    public void Register_AckOrReset_Throws(CoapType type)
    {
        var dedup = new CoapDeduplicator(_time, capacity: 4);

        Assert.Throws<ArgumentOutOfRangeException>(() => dedup.Register(Meter, type, 1, out _));
    }

    [Fact]
    public async Task Register_TwoWorkersSameMessages_ProcessEachExactlyOnce()
    {
        var dedup = new CoapDeduplicator(TimeProvider.System, capacity: 20_000);
        int fresh = 0;

        Task Worker() => Task.Run(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                CoapEndpoint source = (i & 1) == 0 ? Meter : OtherMeter;
                if (dedup.Register(source, CoapType.Confirmable, (ushort)i, out _) == CoapDeduplicationResult.New)
                {
                    Interlocked.Increment(ref fresh);
                    dedup.SetResponse(source, (ushort)i, [(byte)i]);
                }
            }
        });

        await Task.WhenAll(Worker(), Worker());

        Assert.Equal(10_000, fresh);
        Assert.Equal(10_000, dedup.Count);
    }

    [Fact]
    public void Register_BeyondTheInitialSlots_GrowsOnDemand_UpToCapacity_AndRemembersEverything()
    {
        var dedup = new CoapDeduplicator(_time, capacity: 10_000);
        Assert.Equal(CoapDeduplicator.InitialSlots, dedup.Allocated);

        for (int i = 0; i < 10_000; i++)
        {
            Assert.Equal(CoapDeduplicationResult.New, dedup.Register(i % 2 == 0 ? Meter : OtherMeter, CoapType.Confirmable, (ushort)(i / 2), out _));
        }

        Assert.Equal(10_000, dedup.Allocated);
        for (int i = 0; i < 10_000; i++)
        {
            Assert.Equal(CoapDeduplicationResult.Ignore, dedup.Register(i % 2 == 0 ? Meter : OtherMeter, CoapType.Confirmable, (ushort)(i / 2), out _));
        }

        Assert.Equal(CoapDeduplicationResult.New, dedup.Register(Meter, CoapType.NonConfirmable, 60_000, out _)); // full: evicts the oldest
        Assert.Equal(10_000, dedup.Count);
        Assert.Equal(10_000, dedup.Allocated);
    }
}
