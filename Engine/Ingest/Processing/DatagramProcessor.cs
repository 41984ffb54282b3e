using System.Net;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Protocols.Dlms;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Ingest.Processing;

/// <summary>
/// One ingest worker's datagram pipeline (wire-format.md §1–5): gateway filter → CoAP parse → empty and
/// stray messages → de-duplication → options and resource → Block1 → APDU decode → replay guard → §5
/// validation → the event to record. Every datagram takes exactly one counter of <see cref="IngestStats"/>
/// (after <see cref="IngestStats.Received"/>), except an event to persist, whose
/// <see cref="IngestStats.Accepted"/> the caller counts after the journal flush
/// (<see cref="IngestContext.Commit"/>); every rejection and flag is one event-processor log line.
/// </summary>
/// <remarks>
/// <para>Not thread-safe: one per worker thread (it owns a <see cref="FrameDecoder"/>); the
/// <see cref="IngestContext"/> is shared.</para>
/// <para>Decisions where the contract is silent:</para>
/// <list type="bullet">
/// <item>A FormatError in an ACK or RST is not answered (RFC 7252 §4.2), but is logged ERR_MALFORMED_COAP like any format error.</item>
/// <item>An Empty NON, any ACK or RST (the head-end sends no CONs, so none is expected), and a NON carrying a
/// response or a reserved-class code are ignored and counted as control. A CON carrying a response or
/// reserved-class code is answered RST (RFC 7252 §4.2, §5.3.2) and counted as control. None of these is logged.</item>
/// <item>Wrong resource (Uri-Path ≠ /ami/ev) → 4.04; the right resource with a method other than POST → 4.05
/// Method Not Allowed (RFC 7252 §5.9.2.6); both are logged ERR_NOT_FOUND.</item>
/// <item>Block1 errors → the reassembler's code (4.00, 4.02, 4.08, 4.13 with Size1) logged ERR_PACKET_FRAGMENTED,
/// except 5.03 (too many transfers in progress, overall or from the sender's address; sent with Max-Age) which is
/// logged ERR_OVERLOAD with <c>reason=block1-transfer-limit</c> or <c>reason=block1-source-limit</c>.</item>
/// <item>Responses to a body reassembled from blocks echo its final Block1 option (RFC 7959 Figure 7).</item>
/// <item>Time sync is checked first (§5 order), so a duplicate re-sent with a skewed clock is flagged 0x092
/// in the log and counters before it is recognised as a duplicate.</item>
/// <item>Every immediate answer to a CON (RST to a malformed or stray CON excepted: those are not registered)
/// is cached in the de-duplicator, so a retransmission gets identical bytes.</item>
/// </list>
/// </remarks>
public sealed class DatagramProcessor : IDisposable
{
    /// <summary>The smallest response span <see cref="Process"/> accepts (the longest answer is 4.13 with token and Size1: 18 bytes).</summary>
    public const int MaxResponseLength = 64;

    private static readonly string EventPath = CoapUriPath.AmiEvents.ToString();

    /// <summary>Source endpoints whose text this worker keeps (gateways are few; the table is emptied when full).</summary>
    internal const int EndpointTextCapacity = 4096;

    private readonly IngestContext _context;
    private readonly FrameDecoder _decoder;
    private readonly Dictionary<CoapEndpoint, string> _endpointText = [];

    /// <param name="context">The shared state.</param>
    /// <param name="cipherCacheCapacity">Slots of this worker's GCM cache.</param>
    public DatagramProcessor(IngestContext context, int cipherCacheCapacity = 256)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        _decoder = new FrameDecoder(context.Registry, cipherCacheCapacity);
    }

    /// <summary>This worker's decoder (diagnostics).</summary>
    public FrameDecoder Decoder => _decoder;

    /// <summary>
    /// Decides what to do with one datagram from <paramref name="source"/>; writes any response into
    /// <paramref name="response"/> (at least <see cref="MaxResponseLength"/> bytes). See
    /// <see cref="DatagramResult"/> for what the caller does next.
    /// </summary>
    public DatagramResult Process(ReadOnlySpan<byte> datagram, IPEndPoint source, Span<byte> response)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (response.Length < MaxResponseLength)
        {
            throw new ArgumentException($"The response span must hold at least {MaxResponseLength} bytes.", nameof(response));
        }

        DateTimeOffset receivedAt = _context.Time.GetUtcNow();
        bool allowed = _context.Gateways.IsAllowed(source.Address, out IPAddress gateway);
        var endpoint = CoapEndpoint.From(source);
        var call = new Call(endpoint, gateway);

        // a) gateway
        if (!allowed)
        {
            return Denied(call, datagram.Length);
        }

        _context.Stats.Received(gateway);

        // b) CoAP framing
        CoapParseStatus status = CoapMessage.TryParse(datagram, out CoapMessageView message);
        switch (status)
        {
            case CoapParseStatus.HeaderTruncated:
                return Reject(call, RejectReason.ERR_MALFORMED_COAP, null, Detail($"reason=HeaderTruncated len={datagram.Length}"));
            case CoapParseStatus.UnsupportedVersion:
                return Reject(call, RejectReason.ERR_MALFORMED_COAP, null, Detail($"reason=UnsupportedVersion version={message.Version} mid={message.MessageId}"));
            case CoapParseStatus.FormatError:
                call.MessageId = message.MessageId;
                call.IsConfirmable = message.Type == CoapType.Confirmable;
                int rst = 0;
                if (call.IsConfirmable)
                {
                    CoapMessage.TryWriteReset(response, message.MessageId, out rst);
                }

                return Reject(call, RejectReason.ERR_MALFORMED_COAP, null, Detail($"reason={message.FormatError} type={message.Type} mid={message.MessageId}"), rst);
        }

        call.MessageId = message.MessageId;
        call.IsConfirmable = message.Type == CoapType.Confirmable;

        // c) messages that carry no request
        if (message.Type is CoapType.Acknowledgement or CoapType.Reset)
        {
            return Control(call, 0);
        }

        if (message.IsEmpty || !message.IsRequest)
        {
            // Empty CON = ping → RST; a CON response or reserved code → RST; a NON of either kind is ignored.
            int written = 0;
            if (call.IsConfirmable)
            {
                CoapMessage.TryWriteReset(response, message.MessageId, out written);
            }

            return Control(call, written);
        }

        // d) de-duplication (RFC 7252 §4.5)
        switch (_context.Dedup.Register(endpoint, message.Type, message.MessageId, out ReadOnlyMemory<byte> cached))
        {
            case CoapDeduplicationResult.ResendResponse:
                cached.Span.CopyTo(response);
                _context.Stats.Duplicate();
                return call.Result(DatagramOutcome.Duplicate, cached.Length);
            case CoapDeduplicationResult.Ignore:
                _context.Stats.Duplicate();
                return call.Result(DatagramOutcome.Duplicate, 0);
        }

        // e) options and resource
        if (CoapOptionPolicy.TryFindUnrecognizedCritical(message, out ushort option))
        {
            return Reply(call, message, null, CoapCode.BadOption, RejectReason.ERR_BAD_OPTION, null, Detail($"option={option}"), response);
        }

        if (!CoapUriPath.AmiEvents.Matches(message))
        {
            return Reply(call, message, null, CoapCode.NotFound, RejectReason.ERR_NOT_FOUND, null,
                Detail($"method={CoapCode.Format(message.Code)} path={EventProcessorLog.Field(CoapUriPath.Format(message))}"), response);
        }

        if (message.Code != CoapCode.Post)
        {
            return Reply(call, message, null, CoapCode.MethodNotAllowed, RejectReason.ERR_NOT_FOUND, null,
                Detail($"method={CoapCode.Format(message.Code)} path={EventPath}"), response);
        }

        // f) Block1
        CoapBlockOption? block = null;
        ReadOnlySpan<byte> apdu = message.Payload;
        if (message.TryGetBlock1(out _) != CoapBlockStatus.Absent)
        {
            Block1Result blocks = _context.Reassembler.Accept(endpoint, EventPath, message);
            switch (blocks.Outcome)
            {
                case Block1Outcome.Continue:
                {
                    int written = 0;
                    if (call.IsConfirmable)
                    {
                        CoapMessage.TryWriteContinue(response, message.MessageId, message.Token, blocks.Block!.Value, out written);
                        _context.Dedup.SetResponse(endpoint, message.MessageId, response[..written]);
                    }

                    return Control(call, written);
                }

                case Block1Outcome.Error:
                    return BlockError(call, message, blocks, response);
                default:
                    block = blocks.Block;
                    apdu = blocks.Body.Span;
                    break;
            }
        }

        // g) APDU
        FrameDecodeResult decoded = _decoder.Decode(apdu);
        if (!decoded.IsOk)
        {
            (byte code, RejectReason reason) = decoded.Status switch
            {
                FrameDecodeStatus.Truncated => (CoapCode.BadRequest, RejectReason.ERR_PACKET_FRAGMENTED),
                FrameDecodeStatus.UnknownSystemTitle => (CoapCode.Unauthorized, RejectReason.ERR_UNKNOWN_METER),
                FrameDecodeStatus.UnsupportedSecurity or FrameDecodeStatus.AuthenticationFailed => (CoapCode.Unauthorized, RejectReason.ERR_AUTH_FAILED),
                FrameDecodeStatus.RogueGuid => (CoapCode.Unauthorized, RejectReason.ERR_ROGUE_GUID),
                _ => (CoapCode.BadRequest, RejectReason.ERR_MALFORMED_APDU),
            };
            return Reply(call, message, block, code, reason, _context.Registry.Describe(decoded.SystemTitle), DecodeDetail(decoded), response);
        }

        MeterEvent meterEvent = decoded.Event;
        ulong systemTitle = decoded.SystemTitle!.Value;
        uint counter = decoded.InvocationCounter!.Value;
        var key = new EventKey(meterEvent.MeterId, meterEvent.Epoch, meterEvent.EventId);
        string? topologyId = _context.Registry.GetTopologyId(systemTitle);
        string meter = topologyId ?? meterEvent.MeterId.ToString();

        // h) replay guard (§2)
        if (!_context.Replay.TryAdvance(systemTitle, counter, out uint highest))
        {
            if (_context.SeenKeys.Contains(key))
            {
                // A recorded event sent again under its old counter (the meter retries after a lost ACK or a
                // head-end restart): acknowledged, not processed, not re-validated (its send time is old by now).
                return AcknowledgeDuplicate(call, message, block, response);
            }

            if (!_context.TryReclaimAbandoned(systemTitle, counter))
            {
                return Reply(call, message, block, CoapCode.Unauthorized, RejectReason.ERR_REPLAY, meter, Detail($"ic={counter} highest={highest}"), response);
            }
        }

        // i) §5 validation, in order
        var flags = EventFlags.None;
        if (!_context.Validator.IsClockInSync(meterEvent, receivedAt))
        {
            flags |= EventFlags.TimeSync;
            Flag(call, FlagCode.TimeSyncMismatch, meter, Detail(
                $"sent={meterEvent.EffectiveSendTime.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'} skew_ms={(meterEvent.EffectiveSendTime - receivedAt).TotalMilliseconds:0} {EventText(meterEvent)}"));
        }

        if (!_context.SeenKeys.TryAdd(key))
        {
            return AcknowledgeDuplicate(call, message, block, response);
        }

        if (_context.Validator.IsCapacitorLow(meterEvent))
        {
            flags |= EventFlags.CapacitorLow;
            Flag(call, FlagCode.CapacitorLow, meter, Detail($"mv={meterEvent.CapacitorMillivolts} {EventText(meterEvent)}"));
        }

        if (_context.Validator.IsSignalLow(meterEvent))
        {
            flags |= EventFlags.SignalLow;
            Flag(call, FlagCode.SignalLow, meter, Detail($"rssi={meterEvent.RssiDbm} {EventText(meterEvent)}"));
        }

        // j) the event to persist; for a CON the 2.04 waits for durability
        var recorded = new RecordedEvent(meterEvent, systemTitle, counter, receivedAt, EndpointText(endpoint), flags, topologyId);
        int ack = call.IsConfirmable ? WriteAck(response, message, CoapCode.Changed, block) : 0;
        return call.Result(DatagramOutcome.Persist, ack) with { Event = recorded, SendAfterDurable = ack > 0 };
    }

    /// <summary>
    /// Counts and logs a datagram longer than the receiver's buffer (<paramref name="limit"/> bytes):
    /// ERR_MALFORMED_COAP without an answer, or ERR_GATEWAY_DENIED when its source is not allowed.
    /// </summary>
    public DatagramResult RejectOversized(IPEndPoint source, int length, int limit)
    {
        ArgumentNullException.ThrowIfNull(source);
        bool allowed = _context.Gateways.IsAllowed(source.Address, out IPAddress gateway);
        var call = new Call(CoapEndpoint.From(source), gateway);
        if (!allowed)
        {
            return Denied(call, length);
        }

        _context.Stats.Received(gateway);
        return Reject(call, RejectReason.ERR_MALFORMED_COAP, null, Detail($"reason=Oversized len={length} max={limit}"));
    }

    public void Dispose() => _decoder.Dispose();

    /// <summary>
    /// The recorded event's source as text, formatted once per gateway endpoint: formatting it for every datagram
    /// cost an IPAddress, an IPEndPoint, a ushort[] and the string (~200 B and ~0.2 µs a datagram in a storm).
    /// </summary>
    private string EndpointText(CoapEndpoint endpoint)
    {
        if (_endpointText.TryGetValue(endpoint, out string? text))
        {
            return text;
        }

        if (_endpointText.Count >= EndpointTextCapacity)
        {
            _endpointText.Clear(); // spoofed or churning ports: bounded, at the cost of formatting again
        }

        text = endpoint.ToString();
        _endpointText[endpoint] = text;
        return text;
    }

    /// <summary>
    /// A source outside <c>Hes:AllowedGateways</c>: no answer, counted in the totals only (no per-address
    /// state), and logged ERR_GATEWAY_DENIED at most once per <see cref="IngestContext.DeniedLogInterval"/>
    /// with the number of denied datagrams not logged since the previous such line (<c>suppressed=</c>).
    /// </summary>
    private DatagramResult Denied(in Call call, int length)
    {
        _context.Stats.Denied();
        if (_context.DeniedLog.TryAcquire(out long suppressed))
        {
            _context.Log.Rejected(RejectReason.ERR_GATEWAY_DENIED, call.Endpoint.ToIPEndPoint(), null, Detail($"len={length} suppressed={suppressed}"));
        }

        return call.Result(DatagramOutcome.Rejected, 0) with { Reason = RejectReason.ERR_GATEWAY_DENIED };
    }

    private DatagramResult Reject(in Call call, RejectReason reason, string? meter, string? detail, int responseLength = 0)
    {
        _context.Stats.Rejected(call.Gateway, reason);
        _context.Log.Rejected(reason, call.Endpoint.ToIPEndPoint(), meter, detail);
        return call.Result(DatagramOutcome.Rejected, responseLength) with { Reason = reason };
    }

    /// <summary>A rejection answered with an ACK to a CON (cached for its retransmissions), nothing to a NON.</summary>
    private DatagramResult Reply(
        in Call call, in CoapMessageView message, CoapBlockOption? block, byte code, RejectReason reason, string? meter, string? detail, Span<byte> response)
    {
        int written = 0;
        if (call.IsConfirmable)
        {
            written = WriteAck(response, message, code, block);
            _context.Dedup.SetResponse(call.Endpoint, message.MessageId, response[..written]);
        }

        return Reject(call, reason, meter, detail, written);
    }

    private DatagramResult BlockError(in Call call, in CoapMessageView message, in Block1Result blocks, Span<byte> response)
    {
        RejectReason reason = blocks.ResponseCode == CoapCode.ServiceUnavailable ? RejectReason.ERR_OVERLOAD : RejectReason.ERR_PACKET_FRAGMENTED;
        string detail = Detail($"code={CoapCode.Format(blocks.ResponseCode)} block={blocks.Block?.ToString() ?? "-"}");
        if (blocks.MaxAge is { } maxAge)
        {
            detail += blocks.SourceLimited
                ? Detail($" reason=block1-source-limit max={_context.Reassembler.MaxTransfersPerSource} max_age={maxAge}")
                : Detail($" reason=block1-transfer-limit max={_context.Reassembler.MaxTransfers} max_age={maxAge}");
        }

        if (blocks.ResponseCode != CoapCode.RequestEntityTooLarge && blocks.MaxAge is null)
        {
            return Reply(call, message, null, blocks.ResponseCode, reason, null, detail, response);
        }

        int written = 0;
        if (call.IsConfirmable)
        {
            if (blocks.MaxAge is { } seconds)
            {
                CoapMessage.TryWriteServiceUnavailable(response, message.MessageId, message.Token, seconds, out written);
            }
            else
            {
                CoapMessage.TryWriteRequestEntityTooLarge(response, message.MessageId, message.Token, (uint)_context.Reassembler.MaxBodySize, out written);
            }

            _context.Dedup.SetResponse(call.Endpoint, message.MessageId, response[..written]);
        }

        return Reject(call, reason, null, detail, written);
    }

    private DatagramResult AcknowledgeDuplicate(in Call call, in CoapMessageView message, CoapBlockOption? block, Span<byte> response)
    {
        int written = 0;
        if (call.IsConfirmable)
        {
            written = WriteAck(response, message, CoapCode.Changed, block);
            _context.Dedup.SetResponse(call.Endpoint, message.MessageId, response[..written]);
        }

        _context.Stats.Duplicate();
        return call.Result(DatagramOutcome.Duplicate, written);
    }

    private DatagramResult Control(in Call call, int responseLength)
    {
        _context.Stats.Control();
        return call.Result(DatagramOutcome.Control, responseLength);
    }

    private void Flag(in Call call, FlagCode flag, string meter, string detail)
    {
        _context.Stats.Flagged(call.Gateway, flag);
        _context.Log.Flagged(flag, call.Endpoint.ToIPEndPoint(), meter, detail);
    }

    private static int WriteAck(Span<byte> response, in CoapMessageView message, byte code, CoapBlockOption? block)
    {
        bool ok = block is { } b
            ? CoapMessage.TryWriteAck(response, message.MessageId, message.Token, code, b, out int written)
            : CoapMessage.TryWriteAck(response, message.MessageId, message.Token, code, out written);
        return ok ? written : 0;
    }

    private static string DecodeDetail(in FrameDecodeResult decoded)
    {
        string text = Detail($"status={decoded.Status} error={decoded.Error}");
        if (decoded.SystemTitle is { } title)
        {
            text += Detail($" st={title:X16}");
        }

        if (decoded.InvocationCounter is { } counter)
        {
            text += Detail($" ic={counter}");
        }

        if (decoded.Status == FrameDecodeStatus.RogueGuid)
        {
            text += Detail($" guid={decoded.Event.MeterId} registered={decoded.RegisteredMeterId}");
        }

        return text;
    }

    private static string EventText(in MeterEvent e) =>
        Detail($"guid={e.MeterId} epoch={e.Epoch} ev={e.EventId} code={(byte)e.EventCode}");

    private static string Detail(FormattableString text) => FormattableString.Invariant(text);

    /// <summary>What is known about the datagram so far, to build the result.</summary>
    private struct Call(CoapEndpoint endpoint, IPAddress gateway)
    {
        public readonly CoapEndpoint Endpoint = endpoint;
        public readonly IPAddress Gateway = gateway;
        public ushort MessageId;
        public bool IsConfirmable;

        public readonly DatagramResult Result(DatagramOutcome outcome, int responseLength) => new()
        {
            Outcome = outcome,
            ResponseLength = responseLength,
            Source = Endpoint,
            MessageId = MessageId,
            IsConfirmable = IsConfirmable,
        };
    }
}
