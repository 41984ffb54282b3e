using System.Net;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Ingest.Processing;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Storage.Events;
using static OpsConsole.Engine.Tests.Ingest.Processing.ProcessingFixture;

namespace OpsConsole.Engine.Tests.Ingest.Processing;

public sealed class DatagramProcessorTests
{
    private static readonly byte[] Token = [0xC0, 0xFF, 0xEE];

    private static void AssertAck(ProcessingFixture f, in DatagramResult result, byte code, ushort mid)
    {
        var answer = Answer.Parse(f.Sent(result));
        Assert.Equal(CoapType.Acknowledgement, answer.Type);
        Assert.Equal(CoapCode.Format(code), CoapCode.Format(answer.Code));
        Assert.Equal(mid, answer.MessageId);
    }

    private static void AssertRst(ProcessingFixture f, in DatagramResult result, ushort mid)
    {
        var answer = Answer.Parse(f.Sent(result));
        Assert.Equal(CoapType.Reset, answer.Type);
        Assert.Equal(CoapCode.Empty, answer.Code);
        Assert.Equal(mid, answer.MessageId);
        Assert.Empty(answer.Token);
    }

    private static async Task AssertLoggedAsync(ProcessingFixture f, string code, string? meter = null, string? contains = null)
    {
        var lines = await f.LogLinesAsync();
        var line = Assert.Single(lines, l => l.Contains($" {code} ", StringComparison.Ordinal));
        Assert.Contains(" src=127.0.0.1:40001 ", line, StringComparison.Ordinal);
        if (meter is not null)
        {
            Assert.Contains($" meter={meter}", line, StringComparison.Ordinal);
        }

        if (contains is not null)
        {
            Assert.Contains(contains, line, StringComparison.Ordinal);
        }
    }

    private static void AssertBalanced(ProcessingFixture f)
    {
        var s = f.Stats.Snapshot();
        Assert.Equal(s.Received, s.Accepted + s.Duplicates + s.RejectedTotal + s.Control);
    }

    // ---- a) gateway

    [Fact]
    public async Task Process_SourceNotAllowedGateway_NoResponseRejectedAndLogged()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process(EventFrame(CoapType.Confirmable, 1, 1), Stranger);

        Assert.Equal(DatagramOutcome.Rejected, result.Outcome);
        Assert.Equal(0, result.ResponseLength);
        var s = f.Stats.Snapshot();
        Assert.Equal(1, s.Rejected[nameof(RejectReason.ERR_GATEWAY_DENIED)]);
        Assert.Empty(s.Gateways); // a denied source gets no per-address state: it is counted in the totals only
        var line = Assert.Single(await f.LogLinesAsync());
        Assert.Contains(" ERR_GATEWAY_DENIED src=192.0.2.7:40001 meter=- len=", line, StringComparison.Ordinal);
        Assert.EndsWith(" suppressed=0", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_Ipv4MappedLoopback_IsAllowedAndCountedAsIpv4()
    {
        await using var f = new ProcessingFixture();
        var mapped = new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.1"), 40001);
        var result = f.Process(EventFrame(CoapType.Confirmable, 1, 1), mapped);

        Assert.Equal(DatagramOutcome.Persist, result.Outcome);
        Assert.Equal("127.0.0.1:40001", result.Event!.Source);
        Assert.Equal(1, f.Stats.Snapshot().Gateways["127.0.0.1"].Received);
    }

    [Fact]
    public async Task Process_EventsFromGatewaysInTurn_EachRecordsItsOwnSource()
    {
        // The source text is kept per endpoint by the worker: alternating gateways must never get each other's.
        await using var f = new ProcessingFixture();
        var sources = new[] { Gateway, new IPEndPoint(IPAddress.Parse("127.0.0.2"), 40001), new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.1"), 40002) };
        var recorded = new List<string>();
        for (uint i = 1; i <= 6; i++)
        {
            var result = f.Process(EventFrame(CoapType.NonConfirmable, (ushort)i, i, Event(Meter1, eventId: i)), sources[(i - 1) % 3]);
            Assert.Equal(DatagramOutcome.Persist, result.Outcome);
            recorded.Add(result.Event!.Source);
        }

        Assert.Equal(["127.0.0.1:40001", "127.0.0.2:40001", "127.0.0.1:40002", "127.0.0.1:40001", "127.0.0.2:40001", "127.0.0.1:40002"], recorded);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("::ffff:127.0.0.5", true)]
    [InlineData("::1", true)]
    [InlineData("10.0.0.1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("2001:db8::1", false)]
    public void GatewayFilter_Address_AllowedPerCidr(string address, bool allowed) =>
        Assert.Equal(allowed, new GatewayFilter(["127.0.0.0/8", "::1/128"]).IsAllowed(IPAddress.Parse(address)));

    [Fact]
    public void GatewayFilter_EmptyOrInvalid_AllowsNothingOrThrows()
    {
        Assert.False(new GatewayFilter([]).IsAllowed(IPAddress.Loopback));
        var error = Assert.Throws<FormatException>(() => new GatewayFilter(["10.0.0.0/8", "nope"]));
        Assert.Contains("Hes:AllowedGateways:1", error.Message, StringComparison.Ordinal);
    }

    // ---- b) CoAP framing

    [Fact]
    public async Task Process_HeaderTruncated_NoResponseMalformedCoap()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process([0x40, 0x02, 0x00]);

        Assert.Equal(0, result.ResponseLength);
        Assert.Equal(1, f.Stats.Snapshot().Rejected[nameof(RejectReason.ERR_MALFORMED_COAP)]);
        await AssertLoggedAsync(f, "ERR_MALFORMED_COAP", "-", "reason=HeaderTruncated");
    }

    [Fact]
    public async Task Process_UnsupportedVersion_NoResponseMalformedCoap()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process([0x80, 0x02, 0x12, 0x34]); // version 2, CON

        Assert.Equal(0, result.ResponseLength);
        Assert.Equal(1, f.Stats.Snapshot().Rejected[nameof(RejectReason.ERR_MALFORMED_COAP)]);
        await AssertLoggedAsync(f, "ERR_MALFORMED_COAP", contains: "reason=UnsupportedVersion");
    }

    [Fact]
    public async Task Process_FormatErrorCon_RstWithSameMid()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process([0x44, 0x02, 0xAB, 0xCD, 0x01]); // CON, TKL 4, token truncated

        Assert.Equal(DatagramOutcome.Rejected, result.Outcome);
        Assert.True(result.SendNow);
        AssertRst(f, result, 0xABCD);
        Assert.Equal(1, f.Stats.Snapshot().Rejected[nameof(RejectReason.ERR_MALFORMED_COAP)]);
        await AssertLoggedAsync(f, "ERR_MALFORMED_COAP", contains: "reason=TokenTruncated");
    }

    [Fact]
    public async Task Process_FormatErrorNon_NothingSentStillLogged()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process([0x54, 0x02, 0xAB, 0xCD, 0x01]); // NON, token truncated

        Assert.Equal(0, result.ResponseLength);
        Assert.Equal(1, f.Stats.Snapshot().Rejected[nameof(RejectReason.ERR_MALFORMED_COAP)]);
        await AssertLoggedAsync(f, "ERR_MALFORMED_COAP");
    }

    // ---- c) empty and stray messages

    [Fact]
    public async Task Process_EmptyCon_PingAnsweredRstControl()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process([0x40, 0x00, 0x77, 0x01]);

        Assert.Equal(DatagramOutcome.Control, result.Outcome);
        AssertRst(f, result, 0x7701);
        Assert.Equal(1, f.Stats.Snapshot().Control);
        Assert.Empty(await f.LogLinesAsync());
    }

    [Theory]
    [InlineData(new byte[] { 0x50, 0x00, 0x00, 0x01 })] // empty NON
    [InlineData(new byte[] { 0x60, 0x00, 0x00, 0x01 })] // empty ACK
    [InlineData(new byte[] { 0x70, 0x00, 0x00, 0x01 })] // RST
    [InlineData(new byte[] { 0x60, 0x44, 0x00, 0x01 })] // ACK 2.04
    [InlineData(new byte[] { 0x50, 0x44, 0x00, 0x01 })] // NON response
    public async Task Process_StrayNonAckRstOrResponse_IgnoredAsControl(byte[] datagram)
    {
        await using var f = new ProcessingFixture();
        var result = f.Process(datagram);

        Assert.Equal(DatagramOutcome.Control, result.Outcome);
        Assert.Equal(0, result.ResponseLength);
        Assert.Equal(1, f.Stats.Snapshot().Control);
    }

    [Fact]
    public async Task Process_ConCarryingResponse_RstControl()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process([0x40, 0x44, 0x00, 0x09]);

        Assert.Equal(DatagramOutcome.Control, result.Outcome);
        AssertRst(f, result, 9);
    }

    // ---- d) de-duplication

    [Fact]
    public async Task Process_ConRetransmissionAfterCommit_IdenticalCachedAckDuplicate()
    {
        await using var f = new ProcessingFixture();
        var frame = EventFrame(CoapType.Confirmable, 0x0102, 1);
        var first = f.Process(frame);
        Assert.True(first.SendAfterDurable);
        Assert.False(first.SendNow);
        var ack = f.Sent(first);
        f.Commit(first);

        var again = f.Process(frame);

        Assert.Equal(DatagramOutcome.Duplicate, again.Outcome);
        Assert.True(again.SendNow);
        Assert.Equal(ack, f.Sent(again));
        var s = f.Stats.Snapshot();
        Assert.Equal((1L, 1L, 2L), (s.Accepted, s.Duplicates, s.Received));
        AssertBalanced(f);
    }

    [Fact]
    public async Task Process_ConRetransmissionBeforeDurable_IgnoredDuplicate()
    {
        await using var f = new ProcessingFixture();
        var frame = EventFrame(CoapType.Confirmable, 5, 1);
        var first = f.Process(frame);

        var again = f.Process(frame);

        Assert.Equal(DatagramOutcome.Duplicate, again.Outcome);
        Assert.Equal(0, again.ResponseLength);
        f.Commit(first);
        AssertBalanced(f);
    }

    [Fact]
    public async Task Process_RejectedConRetransmission_SameCachedErrorNoSecondLogLine()
    {
        await using var f = new ProcessingFixture();
        var frame = EventFrame(CoapType.Confirmable, 9, 1, title: UnknownTitle);
        var first = f.Process(frame);
        var firstBytes = f.Sent(first);

        var again = f.Process(frame);

        AssertAck(f, first, CoapCode.Unauthorized, 9);
        Assert.Equal(firstBytes, f.Sent(again));
        Assert.Equal(DatagramOutcome.Duplicate, again.Outcome);
        var s = f.Stats.Snapshot();
        Assert.Equal((1L, 1L), (s.RejectedTotal, s.Duplicates));
        await AssertLoggedAsync(f, "ERR_UNKNOWN_METER", "4F505300000000FF");
    }

    [Fact]
    public async Task Process_NonRepeated_IgnoredDuplicate()
    {
        await using var f = new ProcessingFixture();
        var frame = EventFrame(CoapType.NonConfirmable, 3, 1, Event(Meter1, MeterEventCode.PowerDown, sendTime: Now));
        Assert.Equal(DatagramOutcome.Persist, f.Process(frame).Outcome);

        var again = f.Process(frame);

        Assert.Equal(DatagramOutcome.Duplicate, again.Outcome);
        Assert.Equal(0, again.ResponseLength);
    }

    // ---- e) options and resource

    private static byte[] Request(CoapType type, byte code, ushort mid, Action<CoapWriterBox> options)
    {
        var buffer = new byte[128];
        var box = new CoapWriterBox(buffer, type, code, mid);
        options(box);
        return box.ToArray();
    }

    [Fact]
    public async Task Process_UnrecognizedCriticalOption_BadOption402()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process(Request(CoapType.Confirmable, CoapCode.Post, 11, w => w.Option(9, []).Path("ami", "ev")));

        AssertAck(f, result, CoapCode.BadOption, 11);
        Assert.Equal(1, f.Stats.Snapshot().Rejected[nameof(RejectReason.ERR_BAD_OPTION)]);
        await AssertLoggedAsync(f, "ERR_BAD_OPTION", contains: "option=9");
    }

    [Fact]
    public async Task Process_UnknownPath_NotFound404()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process(Request(CoapType.Confirmable, CoapCode.Post, 12, w => w.Path("ami", "other")));

        AssertAck(f, result, CoapCode.NotFound, 12);
        Assert.Equal(1, f.Stats.Snapshot().Rejected[nameof(RejectReason.ERR_NOT_FOUND)]);
        await AssertLoggedAsync(f, "ERR_NOT_FOUND", contains: "path=/ami/other");
    }

    [Fact]
    public async Task Process_UnknownPathNon_NoResponseStillCountedAndLogged()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process(Request(CoapType.NonConfirmable, CoapCode.Post, 12, w => w.Path("x")));

        Assert.Equal(0, result.ResponseLength);
        Assert.Equal(1, f.Stats.Snapshot().Rejected[nameof(RejectReason.ERR_NOT_FOUND)]);
        await AssertLoggedAsync(f, "ERR_NOT_FOUND");
    }

    [Fact]
    public async Task Process_GetOnEventResource_MethodNotAllowed405()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process(Request(CoapType.Confirmable, CoapCode.Get, 13, w => w.Path("ami", "ev")));

        AssertAck(f, result, CoapCode.MethodNotAllowed, 13);
        await AssertLoggedAsync(f, "ERR_NOT_FOUND", contains: "method=0.01");
    }

    // ---- f) Block1

    [Fact]
    public async Task Process_Block1Transfer_ContinueThenEventWithBlockEcho()
    {
        await using var f = new ProcessingFixture();
        var apdu = Apdu(Event(Meter1, sendTime: Now), Title1, 1, Meter1);
        Assert.True(apdu.Length > 32);
        var r0 = f.Process(Post(CoapType.Confirmable, 20, new CoapBlockOption(0, true, 1), apdu.AsSpan(0, 32)));
        Assert.Equal(DatagramOutcome.Control, r0.Outcome);
        var cont = Answer.Parse(f.Sent(r0));
        Assert.Equal((CoapType.Acknowledgement, CoapCode.Continue, (ushort)20), (cont.Type, cont.Code, cont.MessageId));
        Assert.Equal(new CoapBlockOption(0, true, 1), cont.Block1);

        var r1 = f.Process(Post(CoapType.Confirmable, 21, new CoapBlockOption(1, false, 1), apdu.AsSpan(32)));

        Assert.Equal(DatagramOutcome.Persist, r1.Outcome);
        AssertAck(f, r1, CoapCode.Changed, 21);
        Assert.Equal(new CoapBlockOption(1, false, 1), Answer.Parse(f.Sent(r1)).Block1);
        f.Commit(r1);
        var s = f.Stats.Snapshot();
        Assert.Equal((2L, 1L, 1L), (s.Received, s.Control, s.Accepted));
    }

    [Fact]
    public async Task Process_Block1OutOfSequence_RequestEntityIncompletePacketFragmented()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process(Post(CoapType.Confirmable, 22, new CoapBlockOption(3, false, 1), new byte[10]));

        AssertAck(f, result, CoapCode.RequestEntityIncomplete, 22);
        Assert.Equal(1, f.Stats.Snapshot().Rejected[nameof(RejectReason.ERR_PACKET_FRAGMENTED)]);
        await AssertLoggedAsync(f, "ERR_PACKET_FRAGMENTED", contains: "code=4.08");
    }

    [Fact]
    public async Task PurgeExpired_StalledTransfer_LoggedFragmentedCountersStillBalanced()
    {
        await using var f = new ProcessingFixture();
        var apdu = Apdu(Event(Meter1, sendTime: Now), Title1, 1, Meter1);
        f.Process(Post(CoapType.Confirmable, 30, new CoapBlockOption(0, true, 1), apdu.AsSpan(0, 32)));
        f.Time.Advance(TimeSpan.FromSeconds(11));

        Assert.Equal(1, f.Context.PurgeExpired());
        Assert.Equal(0, f.Context.PurgeExpired());

        AssertBalanced(f);
        await AssertLoggedAsync(f, "ERR_PACKET_FRAGMENTED", contains: "blocks=1 bytes=32");
    }

    // ---- g) APDU decode

    [Fact]
    public async Task Process_TruncatedApdu_BadRequestPacketFragmented()
    {
        await using var f = new ProcessingFixture();
        var apdu = Apdu(Event(Meter1, sendTime: Now), Title1, 1, Meter1);
        var result = f.Process(Post(CoapType.Confirmable, 40, apdu[..^5]));

        AssertAck(f, result, CoapCode.BadRequest, 40);
        Assert.Equal(1, f.Stats.Snapshot().Rejected[nameof(RejectReason.ERR_PACKET_FRAGMENTED)]);
        await AssertLoggedAsync(f, "ERR_PACKET_FRAGMENTED", "M1", "status=Truncated");
    }

    [Fact]
    public async Task Process_GarbagePayload_BadRequestMalformedApdu()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process(Post(CoapType.Confirmable, 41, [0x0F, 0x01, 0x02]));

        AssertAck(f, result, CoapCode.BadRequest, 41);
        Assert.Equal(1, f.Stats.Snapshot().Rejected[nameof(RejectReason.ERR_MALFORMED_APDU)]);
        await AssertLoggedAsync(f, "ERR_MALFORMED_APDU", "-");
    }

    [Fact]
    public async Task Process_UnknownSystemTitle_Unauthorized401UnknownMeter()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process(EventFrame(CoapType.Confirmable, 42, 1, title: UnknownTitle));

        AssertAck(f, result, CoapCode.Unauthorized, 42);
        Assert.Equal(1, f.Stats.Snapshot().Rejected[nameof(RejectReason.ERR_UNKNOWN_METER)]);
        await AssertLoggedAsync(f, "ERR_UNKNOWN_METER", "4F505300000000FF");
    }

    [Fact]
    public async Task Process_WrongKeys_Unauthorized401AuthFailed()
    {
        await using var f = new ProcessingFixture();
        var apdu = Apdu(Event(Meter1, sendTime: Now), Title1, 1, keysOf: Meter2);
        var result = f.Process(Post(CoapType.Confirmable, 43, apdu));

        AssertAck(f, result, CoapCode.Unauthorized, 43);
        Assert.Equal(1, f.Stats.Snapshot().Rejected[nameof(RejectReason.ERR_AUTH_FAILED)]);
        await AssertLoggedAsync(f, "ERR_AUTH_FAILED", "M1");
    }

    [Fact]
    public async Task Process_OtherMetersGuidInside_Unauthorized401RogueGuid()
    {
        await using var f = new ProcessingFixture();
        var apdu = Apdu(Event(Meter2, sendTime: Now), Title1, 1, keysOf: Meter1);
        var result = f.Process(Post(CoapType.Confirmable, 44, apdu));

        AssertAck(f, result, CoapCode.Unauthorized, 44);
        Assert.Equal(1, f.Stats.Snapshot().Rejected[nameof(RejectReason.ERR_ROGUE_GUID)]);
        await AssertLoggedAsync(f, "ERR_ROGUE_GUID", "M1", $"guid={Meter2}");
    }

    [Fact]
    public async Task Process_RejectedNon_NoResponseCountedAndLogged()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process(EventFrame(CoapType.NonConfirmable, 45, 1, title: UnknownTitle));

        Assert.Equal(0, result.ResponseLength);
        Assert.Equal(1, f.Stats.Snapshot().Rejected[nameof(RejectReason.ERR_UNKNOWN_METER)]);
        await AssertLoggedAsync(f, "ERR_UNKNOWN_METER");
    }

    // ---- h) replay

    [Fact]
    public async Task Process_ReusedInvocationCounterNewEvent_Unauthorized401Replay()
    {
        await using var f = new ProcessingFixture();
        f.Commit(f.Process(EventFrame(CoapType.Confirmable, 50, 7)));

        var result = f.Process(EventFrame(CoapType.Confirmable, 51, 7, Event(Meter1, eventId: 2, sendTime: Now)));

        AssertAck(f, result, CoapCode.Unauthorized, 51);
        Assert.Equal(1, f.Stats.Snapshot().Rejected[nameof(RejectReason.ERR_REPLAY)]);
        await AssertLoggedAsync(f, "ERR_REPLAY", "M1", "ic=7 highest=7");
    }

    [Fact]
    public async Task Process_RecordedEventRetriedAfterRestart_AckedAsDuplicate()
    {
        var e = Event(Meter1, eventId: 9, sendTime: Now);
        var recorded = new EventKey(Meter1, e.Epoch, e.EventId);
        await using var f = new ProcessingFixture([recorded], new ReplayGuard([new(Title1, 3u)]));

        f.Time.Advance(TimeSpan.FromMinutes(10)); // the retry's send time is stale by now: no 0x092 for a duplicate

        var result = f.Process(EventFrame(CoapType.Confirmable, 52, 3, e));

        Assert.Equal(DatagramOutcome.Duplicate, result.Outcome);
        AssertAck(f, result, CoapCode.Changed, 52);
        Assert.Equal(1, f.Stats.Snapshot().Duplicates);
        Assert.Empty(await f.LogLinesAsync());
    }

    // ---- i) validation

    [Fact]
    public async Task Process_ClockSkewed_RecordedFlaggedTimeSyncAndLogged()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process(EventFrame(CoapType.Confirmable, 60, 1, Event(Meter1, sendTime: Now.AddSeconds(5))));

        Assert.Equal(DatagramOutcome.Persist, result.Outcome);
        Assert.Equal(EventFlags.TimeSync, result.Event!.Flags);
        Assert.Equal(1, f.Stats.Snapshot().Flagged["0x092"]);
        await AssertLoggedAsync(f, "0x092", "M1", "skew_ms=5000");
    }

    [Fact]
    public async Task Process_SameEventNewCounter_AckedDuplicateNotRecordedAgain()
    {
        await using var f = new ProcessingFixture();
        f.Commit(f.Process(EventFrame(CoapType.Confirmable, 61, 1)));

        var result = f.Process(EventFrame(CoapType.Confirmable, 62, 2));

        Assert.Equal(DatagramOutcome.Duplicate, result.Outcome);
        Assert.Null(result.Event);
        AssertAck(f, result, CoapCode.Changed, 62);
        Assert.True(result.SendNow);
        var s = f.Stats.Snapshot();
        Assert.Equal((1L, 1L), (s.Accepted, s.Duplicates));
    }

    [Fact]
    public async Task Process_PowerDownLowCapacitor_RecordedFlagged04F()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process(EventFrame(CoapType.NonConfirmable, 63, 1, Event(Meter1, MeterEventCode.PowerDown, sendTime: Now, millivolts: 3000)));

        Assert.Equal(DatagramOutcome.Persist, result.Outcome);
        Assert.Equal(0, result.ResponseLength);
        Assert.Equal(EventFlags.CapacitorLow, result.Event!.Flags);
        Assert.Equal(1, f.Stats.Snapshot().Flagged["0x04F"]);
        await AssertLoggedAsync(f, "0x04F", "M1", "mv=3000");
    }

    [Fact]
    public async Task Process_LowRssi_RecordedFlaggedSignalLowPerGateway()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process(EventFrame(CoapType.Confirmable, 64, 1, Event(Meter1, sendTime: Now, rssi: -110)));

        Assert.Equal(EventFlags.SignalLow, result.Event!.Flags);
        var s = f.Stats.Snapshot();
        Assert.Equal(1, s.Flagged["ST_SIGNAL_LOW"]);
        Assert.Equal(1, s.Gateways["127.0.0.1"].LowSignal);
        await AssertLoggedAsync(f, "ST_SIGNAL_LOW", "M1", "rssi=-110");
    }

    // ---- j) accepted events

    [Fact]
    public async Task Process_ValidCon_PersistWithAckAfterDurable()
    {
        await using var f = new ProcessingFixture();
        f.Time.Advance(TimeSpan.FromMilliseconds(300));
        var result = f.Process(EventFrame(CoapType.Confirmable, 70, 4));

        Assert.Equal(DatagramOutcome.Persist, result.Outcome);
        Assert.True(result.SendAfterDurable);
        var ack = Answer.Parse(f.Sent(result));
        Assert.Equal((CoapType.Acknowledgement, CoapCode.Changed, (ushort)70), (ack.Type, ack.Code, ack.MessageId));
        Assert.Equal(Token, ack.Token);
        var e = result.Event!;
        Assert.Equal((Title1, 4u, "M1", "127.0.0.1:40001", EventFlags.None), (e.SystemTitle, e.InvocationCounter, e.TopologyId, e.Source, e.Flags));
        Assert.Equal(Now.AddMilliseconds(300), e.ReceivedAt);
        Assert.Equal(0, f.Stats.Snapshot().Accepted); // counted by the caller after the flush
        f.Commit(result);
        Assert.Equal(1, f.Stats.Snapshot().Accepted);
        Assert.Empty(await f.LogLinesAsync());
    }

    [Fact]
    public async Task Process_TestPowerDown231_RecordedLikeAnyEvent()
    {
        await using var f = new ProcessingFixture();
        var result = f.Process(EventFrame(CoapType.Confirmable, 71, 1, Event(Meter1, MeterEventCode.TestPowerDown, sendTime: Now)));

        Assert.Equal(DatagramOutcome.Persist, result.Outcome);
        Assert.Equal(MeterEventCode.TestPowerDown, result.Event!.Event.EventCode);
        AssertAck(f, result, CoapCode.Changed, 71);
    }

    [Fact]
    public async Task Abandon_PersistFailed_RetransmissionProcessedAgain()
    {
        await using var f = new ProcessingFixture();
        var frame = EventFrame(CoapType.Confirmable, 72, 1);
        var first = f.Process(frame);
        f.Context.Abandon(first.Event!, first.Source, first.MessageId);

        var retry = f.Process(frame);

        Assert.Equal(DatagramOutcome.Persist, retry.Outcome);
        Assert.Equal(first.Event!.Key, retry.Event!.Key);
        f.Commit(retry);
        var s = f.Stats.Snapshot();
        Assert.Equal((2L, 1L), (s.Received, s.Accepted)); // the abandoned copy ends in no counter
    }

    [Fact]
    public async Task RejectOverloaded_JournalQueueFull_CountedLoggedAndTheRetryIsAccepted()
    {
        await using var f = new ProcessingFixture();
        var frame = EventFrame(CoapType.Confirmable, 73, 1);
        var first = f.Process(frame);

        f.Context.RejectOverloaded(first.Event!, first.Source, first.MessageId, "journal queue full");

        var s = f.Stats.Snapshot();
        Assert.Equal(1, s.Rejected[nameof(RejectReason.ERR_OVERLOAD)]);
        Assert.Equal(1, s.Gateways["127.0.0.1"].Rejected);
        var line = Assert.Single(await f.LogLinesAsync());
        Assert.Contains(" ERR_OVERLOAD ", line, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:40001", line, StringComparison.Ordinal);
        Assert.Contains("M1", line, StringComparison.Ordinal);
        Assert.Contains("journal queue full", line, StringComparison.Ordinal);

        var retry = f.Process(frame); // the meter's retransmission: neither a CoAP duplicate, an event duplicate nor a replay
        Assert.Equal(DatagramOutcome.Persist, retry.Outcome);
        f.Commit(retry);
        s = f.Stats.Snapshot();
        Assert.Equal((2L, 1L, 0L), (s.Received, s.Accepted, s.Duplicates));
    }

    [Fact]
    public async Task RejectOversized_DatagramLongerThanTheBuffer_MalformedCountedAndLogged()
    {
        await using var f = new ProcessingFixture();

        var result = f.Processor.RejectOversized(ProcessingFixture.Gateway, 9000, 4096);

        Assert.Equal((DatagramOutcome.Rejected, 0), (result.Outcome, result.ResponseLength));
        var s = f.Stats.Snapshot();
        Assert.Equal((1L, 1L), (s.Received, s.Rejected[nameof(RejectReason.ERR_MALFORMED_COAP)]));
        var line = Assert.Single(await f.LogLinesAsync());
        Assert.Contains("ERR_MALFORMED_COAP", line, StringComparison.Ordinal);
        Assert.Contains("reason=Oversized len=9000 max=4096", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_MixedSequence_CountersAddUp()
    {
        await using var f = new ProcessingFixture();
        var apdu = Apdu(Event(Meter2, eventId: 5, sendTime: Now), Title2, 1, Meter2);
        var frames = new List<(byte[] Frame, IPEndPoint? Source)>
        {
            (EventFrame(CoapType.Confirmable, 1, 1), null),                                    // accepted
            (EventFrame(CoapType.Confirmable, 1, 1), null),                                    // CoAP duplicate
            (EventFrame(CoapType.Confirmable, 2, 2), null),                                    // same event: duplicate
            (EventFrame(CoapType.Confirmable, 3, 2, Event(Meter1, eventId: 2, sendTime: Now)), null), // replay
            (EventFrame(CoapType.NonConfirmable, 4, 3, Event(Meter1, MeterEventCode.PowerDown, eventId: 3, sendTime: Now, millivolts: 3000)), null), // accepted, flagged
            (EventFrame(CoapType.Confirmable, 5, 1), Stranger),                                // gateway denied
            ([0x40, 0x00, 0x00, 0x06], null),                                                   // ping
            ([0x41], null),                                                                     // truncated header
            (Post(CoapType.Confirmable, 7, new CoapBlockOption(0, true, 1), apdu.AsSpan(0, 32)), null), // 2.31
            (Post(CoapType.Confirmable, 8, new CoapBlockOption(1, false, 1), apdu.AsSpan(32)), null),   // accepted
            (EventFrame(CoapType.Confirmable, 9, 1, title: UnknownTitle), null),               // unknown meter
        };

        foreach (var (frame, source) in frames)
        {
            var result = f.Process(frame, source);
            if (result.Outcome == DatagramOutcome.Persist)
            {
                f.Commit(result);
            }
        }

        var s = f.Stats.Snapshot();
        Assert.Equal(11, s.Received);
        Assert.Equal((3L, 2L, 4L, 2L), (s.Accepted, s.Duplicates, s.RejectedTotal, s.Control));
        AssertBalanced(f);
    }

    // ---- registry

    [Fact]
    public async Task MeterRegistry_KnownAndUnknownTitles_CredentialsAndTopologyId()
    {
        await using var f = new ProcessingFixture();
        var registry = f.Context.Registry;

        Assert.True(registry.TryGetMeter(Title2, out var credentials));
        Assert.Equal(Meter2, credentials.MeterId);
        Assert.True(credentials.Keys.EncryptionKey.SequenceEqual(Security.MeterKeys.Derive(MasterKey, Meter2).EncryptionKey));
        Assert.Equal("M2", registry.GetTopologyId(Title2));
        Assert.False(registry.TryGetMeter(UnknownTitle, out _));
        Assert.Null(registry.GetTopologyId(UnknownTitle));
        Assert.Equal("4F505300000000FF", registry.Describe(UnknownTitle));
    }
}

/// <summary>Builds an arbitrary request with <see cref="CoapWriter"/> (a ref struct cannot be captured, so this keeps the bytes).</summary>
internal sealed class CoapWriterBox(byte[] buffer, CoapType type, byte code, ushort mid)
{
    private readonly List<(ushort Number, byte[] Value)> _options = [];

    public CoapWriterBox Option(ushort number, byte[] value)
    {
        _options.Add((number, value));
        return this;
    }

    public CoapWriterBox Path(params string[] segments)
    {
        foreach (var s in segments)
        {
            _options.Add((CoapOptionNumber.UriPath, System.Text.Encoding.UTF8.GetBytes(s)));
        }

        return this;
    }

    public byte[] ToArray()
    {
        var writer = new CoapWriter(buffer);
        Assert.True(writer.TryWriteHeader(type, code, mid, [0x0A]));
        foreach (var (number, value) in _options.OrderBy(o => o.Number))
        {
            Assert.True(writer.TryWriteOption(number, value));
        }

        Assert.True(writer.TryWritePayload([0x01]));
        return buffer[..writer.Written];
    }
}
