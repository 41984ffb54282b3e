using System.Net;
using OpsConsole.Engine.Protocols.Coap;

namespace OpsConsole.Engine.Tests.Coap;

public class Block1ReassemblerTests
{
    private const string Path = "/ami/ev";

    private static readonly CoapEndpoint Meter = CoapEndpoint.From(IPAddress.Parse("192.0.2.10"), 5683);
    private static readonly CoapEndpoint OtherMeter = CoapEndpoint.From(IPAddress.Parse("2001:db8::2:1"), 5683);

    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void Accept_Rfc7959Figure7InOrder_CompletesWithExactConcatenation()
    {
        // RFC 7959 Figure 7: 1:0/1/128 → 2.31 1:0/1/128; 1:1/1/128 → 2.31 1:1/1/128; 1:2/0/128 → 2.04 1:2/0/128.
        var reassembler = new Block1Reassembler(_time);
        byte[] body = Body(128 + 128 + 50);

        Block1Result first = reassembler.Accept(Meter, Path, Block(0, true, 3), body.AsSpan(0, 128));
        Block1Result second = reassembler.Accept(Meter, Path, Block(1, true, 3), body.AsSpan(128, 128));
        Block1Result last = reassembler.Accept(Meter, Path, Block(2, false, 3), body.AsSpan(256));

        Assert.Equal(Block1Outcome.Continue, first.Outcome);
        Assert.Equal(CoapCode.Continue, first.ResponseCode);
        Assert.Equal("0/1/128", first.Block.ToString());
        Assert.Equal(Block1Outcome.Continue, second.Outcome);
        Assert.Equal("1/1/128", second.Block.ToString());
        Assert.Equal(Block1Outcome.Complete, last.Outcome);
        Assert.Equal("2/0/128", last.Block.ToString());
        Assert.Equal(body, last.Body.ToArray());
        Assert.Equal(0, reassembler.Count);
    }

    [Fact]
    public void Accept_TokenChangesPerBlock_StillCompletes()
    {
        // libcoap-style client: a new token and a new Message ID for every block of one POST /ami/ev.
        var reassembler = new Block1Reassembler(_time);
        byte[] body = Body(64 * 3 + 10);
        var results = new List<Block1Result>();
        for (int num = 0; num < 4; num++)
        {
            int offset = num * 64;
            byte[] frame = EventBlock((ushort)(0x100 + num), [(byte)(0xA0 + num), 0x01], Block(num, num < 3, 2), body.AsSpan(offset, Math.Min(64, body.Length - offset)));
            Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(frame, out CoapMessageView request));
            Assert.True(CoapUriPath.AmiEvents.Matches(request));
            results.Add(reassembler.Accept(Meter, CoapUriPath.AmiEvents.ToString(), request));
        }

        Assert.Equal([Block1Outcome.Continue, Block1Outcome.Continue, Block1Outcome.Continue, Block1Outcome.Complete], results.Select(r => r.Outcome).ToArray());
        Assert.Equal(body, results[3].Body.ToArray());
    }

    [Fact]
    public void Accept_Rfc7959Figure9SmallerSzxMidTransfer_CompletesContiguously()
    {
        // RFC 7959 Figure 9: 1:0/1/128, then the sender drops to 32-byte blocks and rescales NUM: 1:4/1/32, 1:5/1/32, 1:6/0/32.
        var reassembler = new Block1Reassembler(_time);
        byte[] body = Body(128 + 32 + 32 + 20);

        Assert.Equal(Block1Outcome.Continue, reassembler.Accept(Meter, Path, Block(0, true, 3), body.AsSpan(0, 128)).Outcome);
        Assert.Equal(Block1Outcome.Continue, reassembler.Accept(Meter, Path, Block(4, true, 1), body.AsSpan(128, 32)).Outcome);
        Assert.Equal(Block1Outcome.Continue, reassembler.Accept(Meter, Path, Block(5, true, 1), body.AsSpan(160, 32)).Outcome);
        Block1Result last = reassembler.Accept(Meter, Path, Block(6, false, 1), body.AsSpan(192));

        Assert.Equal(Block1Outcome.Complete, last.Outcome);
        Assert.Equal("6/0/32", last.Block.ToString());
        Assert.Equal(body, last.Body.ToArray());
    }

    [Fact]
    public void Accept_GapInSequence_Is408AndTransferSurvives()
    {
        var reassembler = new Block1Reassembler(_time);
        byte[] body = Body(64 * 3);
        reassembler.Accept(Meter, Path, Block(0, true, 2), body.AsSpan(0, 64));

        Block1Result skipped = reassembler.Accept(Meter, Path, Block(2, false, 2), body.AsSpan(128, 64));

        Assert.Equal(Block1Outcome.Error, skipped.Outcome);
        Assert.Equal(CoapCode.RequestEntityIncomplete, skipped.ResponseCode);
        Assert.Equal(Block1Outcome.Continue, reassembler.Accept(Meter, Path, Block(1, true, 2), body.AsSpan(64, 64)).Outcome);
        Assert.Equal(body, reassembler.Accept(Meter, Path, Block(2, false, 2), body.AsSpan(128, 64)).Body.ToArray());
    }

    [Fact]
    public void Accept_BlockWithoutTransfer_Is408()
    {
        var reassembler = new Block1Reassembler(_time);

        Block1Result result = reassembler.Accept(Meter, Path, Block(1, true, 2), Body(64));

        Assert.Equal(CoapCode.RequestEntityIncomplete, result.ResponseCode);
        Assert.Equal(0, reassembler.Count);
    }

    [Fact]
    public void Accept_RepeatOfBlockJustTaken_ContinuesWithoutAppending()
    {
        // The ACK to block 1 was lost and the client re-sent it under a new Message ID.
        var reassembler = new Block1Reassembler(_time);
        byte[] body = Body(64 * 2 + 5);
        reassembler.Accept(Meter, Path, Block(0, true, 2), body.AsSpan(0, 64));
        reassembler.Accept(Meter, Path, Block(1, true, 2), body.AsSpan(64, 64));

        Block1Result repeat = reassembler.Accept(Meter, Path, Block(1, true, 2), body.AsSpan(64, 64));
        Block1Result last = reassembler.Accept(Meter, Path, Block(2, false, 2), body.AsSpan(128));

        Assert.Equal(Block1Outcome.Continue, repeat.Outcome);
        Assert.Equal(body, last.Body.ToArray());
    }

    [Fact]
    public void Accept_BodyOverMaximum_Is413AndTransferDropped()
    {
        var reassembler = new Block1Reassembler(_time, maxBodySize: 256, TimeSpan.FromSeconds(10), maxTransfers: 8);
        byte[] body = Body(64 * 5);
        for (int num = 0; num < 4; num++)
        {
            Assert.Equal(Block1Outcome.Continue, reassembler.Accept(Meter, Path, Block(num, true, 2), body.AsSpan(num * 64, 64)).Outcome);
        }

        Block1Result tooLarge = reassembler.Accept(Meter, Path, Block(4, false, 2), body.AsSpan(256, 64));

        Assert.Equal(Block1Outcome.Error, tooLarge.Outcome);
        Assert.Equal(CoapCode.RequestEntityTooLarge, tooLarge.ResponseCode);
        Assert.Equal(0, reassembler.Count);
        Assert.Empty(reassembler.PurgeExpired());
    }

    [Fact]
    public void Accept_Size1OverMaximumOnFirstBlock_Is413Early()
    {
        // RFC 7959 §4: Size1 in a Block1 request is the client's size estimate.
        var reassembler = new Block1Reassembler(_time);

        Block1Result result = reassembler.Accept(Meter, Path, Block(0, true, 6), Body(1024), contentFormat: 42, size1: 5000);

        Assert.Equal(CoapCode.RequestEntityTooLarge, result.ResponseCode);
        Assert.Equal(0, reassembler.Count);
    }

    [Fact]
    public void PurgeExpired_TransferIdleForTimeout_IsReportedOnce()
    {
        var reassembler = new Block1Reassembler(_time);
        byte[] body = Body(64 * 2);
        reassembler.Accept(Meter, Path, Block(0, true, 2), body.AsSpan(0, 64));
        _time.Advance(TimeSpan.FromSeconds(5));
        reassembler.Accept(Meter, Path, Block(1, true, 2), body.AsSpan(64, 64));
        DateTimeOffset lastBlockAt = _time.GetUtcNow();

        _time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.Empty(reassembler.PurgeExpired());
        _time.Advance(TimeSpan.FromSeconds(0.1));
        IReadOnlyList<AbandonedBlock1Transfer> abandoned = reassembler.PurgeExpired();

        AbandonedBlock1Transfer transfer = Assert.Single(abandoned);
        Assert.Equal(Meter, transfer.Source);
        Assert.Equal(Path, transfer.Path);
        Assert.Equal(body, transfer.Received.ToArray());
        Assert.Equal(2, transfer.BlocksReceived);
        Assert.Equal(lastBlockAt, transfer.LastBlockAt);
        Assert.Empty(reassembler.PurgeExpired());
        Assert.Equal(0, reassembler.Count);
        Assert.Equal(CoapCode.RequestEntityIncomplete, reassembler.Accept(Meter, Path, Block(2, false, 2), Body(3)).ResponseCode);
    }

    [Fact]
    public void Accept_BlockAfterTimeoutBeforeSweep_Is408AndStaleTransferIsReported()
    {
        var reassembler = new Block1Reassembler(_time);
        reassembler.Accept(Meter, Path, Block(0, true, 2), Body(64));
        _time.Advance(Block1Reassembler.DefaultTimeout);

        Block1Result late = reassembler.Accept(Meter, Path, Block(1, false, 2), Body(10));

        Assert.Equal(CoapCode.RequestEntityIncomplete, late.ResponseCode);
        AbandonedBlock1Transfer transfer = Assert.Single(reassembler.PurgeExpired());
        Assert.Equal(64, transfer.Received.Length);
    }

    [Fact]
    public void Accept_NewBlockZero_RestartsTheTransfer()
    {
        // RFC 7959 §2.5: a new sequence to the same resource "simply overwrites the context".
        var reassembler = new Block1Reassembler(_time);
        byte[] stale = Body(128, seed: 1);
        byte[] fresh = Body(64 + 7, seed: 2);
        reassembler.Accept(Meter, Path, Block(0, true, 2), stale.AsSpan(0, 64));
        reassembler.Accept(Meter, Path, Block(1, true, 2), stale.AsSpan(64, 64));

        Assert.Equal(Block1Outcome.Continue, reassembler.Accept(Meter, Path, Block(0, true, 2), fresh.AsSpan(0, 64)).Outcome);
        Block1Result last = reassembler.Accept(Meter, Path, Block(1, false, 2), fresh.AsSpan(64));

        Assert.Equal(fresh, last.Body.ToArray());
        Assert.Empty(reassembler.PurgeExpired());
    }

    [Fact]
    public void Accept_SingleBlockTransfer_CompletesAtOnce()
    {
        var reassembler = new Block1Reassembler(_time);
        byte[] body = Body(40);

        Block1Result result = reassembler.Accept(Meter, Path, Block(0, false, 2), body);

        Assert.Equal(Block1Outcome.Complete, result.Outcome);
        Assert.Equal(body, result.Body.ToArray());
        Assert.Equal(0, reassembler.Count);
    }

    [Fact]
    public void Accept_NonFinalBlockOfWrongSize_Is400()
    {
        // RFC 7959 §2.3: "The block size implied by SZX MUST match the size of the payload in bytes, if the M bit is set."
        var reassembler = new Block1Reassembler(_time);

        Assert.Equal(CoapCode.BadRequest, reassembler.Accept(Meter, Path, Block(0, true, 2), Body(63)).ResponseCode);
        Assert.Equal(0, reassembler.Count);
    }

    [Fact]
    public void Accept_ContentFormatChangesMidTransfer_Is408()
    {
        // RFC 7959 §2.3: blocks with mismatching Content-Format MUST NOT be assembled into one request.
        var reassembler = new Block1Reassembler(_time);
        reassembler.Accept(Meter, Path, Block(0, true, 2), Body(64), contentFormat: 42);

        Assert.Equal(CoapCode.RequestEntityIncomplete, reassembler.Accept(Meter, Path, Block(1, false, 2), Body(8), contentFormat: 0).ResponseCode);
    }

    [Fact]
    public void Accept_InterleavedEndpointsAndPaths_AreIndependent()
    {
        var reassembler = new Block1Reassembler(_time);
        byte[] a = Body(64 + 1, seed: 3);
        byte[] b = Body(64 + 2, seed: 4);
        byte[] c = Body(64 + 3, seed: 5);
        reassembler.Accept(Meter, Path, Block(0, true, 2), a.AsSpan(0, 64));
        reassembler.Accept(OtherMeter, Path, Block(0, true, 2), b.AsSpan(0, 64));
        reassembler.Accept(Meter, "/ami/other", Block(0, true, 2), c.AsSpan(0, 64));

        Assert.Equal(3, reassembler.Count);
        Assert.Equal(b, reassembler.Accept(OtherMeter, Path, Block(1, false, 2), b.AsSpan(64)).Body.ToArray());
        Assert.Equal(c, reassembler.Accept(Meter, "/ami/other", Block(1, false, 2), c.AsSpan(64)).Body.ToArray());
        Assert.Equal(a, reassembler.Accept(Meter, Path, Block(1, false, 2), a.AsSpan(64)).Body.ToArray());
    }

    [Fact]
    public void Accept_TooManyTransfers_Is503()
    {
        var reassembler = new Block1Reassembler(_time, maxBodySize: 4096, TimeSpan.FromSeconds(10), maxTransfers: 1);
        reassembler.Accept(Meter, Path, Block(0, true, 2), Body(64));

        Assert.Equal(CoapCode.ServiceUnavailable, reassembler.Accept(OtherMeter, Path, Block(0, true, 2), Body(64)).ResponseCode);
        Assert.Equal(1, reassembler.Count);
    }

    [Theory]
    // Block1 with SZX 7 (4.00, RFC 7959 §2.2) and a 4-byte Block1 (4.02, RFC 7252 §5.4.3).
    [InlineData("D1 0E 0F", CoapCode.BadRequest)]
    [InlineData("D4 0E 00 00 00 0A", CoapCode.BadOption)]
    public void Accept_InvalidBlock1Option_IsRefused(string block1Option, byte code)
    {
        var reassembler = new Block1Reassembler(_time);
        byte[] frame = [.. Hex.Bytes("40 02 00 01"), .. Hex.Bytes(block1Option), .. Hex.Bytes("FF 01")];
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(frame, out CoapMessageView request));

        Block1Result result = reassembler.Accept(Meter, Path, request);

        Assert.Equal(Block1Outcome.Error, result.Outcome);
        Assert.Equal(code, result.ResponseCode);
    }

    [Fact]
    public void Accept_RequestWithoutBlock1_IsCompleteWithoutBlock()
    {
        var reassembler = new Block1Reassembler(_time);
        byte[] frame = Hex.Bytes("42 02 00 01  CA FE  B3 61 6D 69  02 65 76  11 2A  FF DB 08");
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(frame, out CoapMessageView request));

        Block1Result result = reassembler.Accept(Meter, Path, request);

        Assert.Equal(Block1Outcome.Complete, result.Outcome);
        Assert.Null(result.Block);
        Assert.Equal("DB08", Hex.Of(result.Body.Span));
    }

    [Fact]
    public void Accept_ContinueResult_WritesRfc7959Response()
    {
        // End to end: block 0/1/64 of a POST → "ACK 2.31 Continue, 1:0/1/64" echoing MID and token.
        var reassembler = new Block1Reassembler(_time);
        byte[] frame = EventBlock(0x0BAD, [0x77], Block(0, true, 2), Body(64));
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(frame, out CoapMessageView request));
        Block1Result result = reassembler.Accept(Meter, Path, request);
        var buffer = new byte[32];

        Assert.Equal(CoapCode.Continue, result.ResponseCode);
        Assert.True(CoapMessage.TryWriteContinue(buffer, request.MessageId, request.Token, result.Block!.Value, out int written));

        Assert.Equal("615F0BAD77D10E0A", Hex.Of(buffer.AsSpan(0, written)));
    }

    [Fact]
    public async Task Accept_TwoWorkersManyEndpoints_EveryBodyCompletesIntact()
    {
        var reassembler = new Block1Reassembler(TimeProvider.System);
        var endpoints = Enumerable.Range(1, 200).Select(i => CoapEndpoint.From(IPAddress.Parse($"10.0.{i / 250}.{i % 250}"), 5683)).ToArray();
        var failures = 0;

        Task Worker(int parity) => Task.Run(() =>
        {
            for (int num = 0; num < 3; num++)
            {
                for (int e = parity; e < endpoints.Length; e += 2)
                {
                    byte[] body = Body(64 * 2 + 9, seed: e);
                    int offset = num * 64;
                    Block1Result result = reassembler.Accept(endpoints[e], Path, Block(num, num < 2, 2), body.AsSpan(offset, Math.Min(64, body.Length - offset)));
                    bool good = num < 2 ? result.Outcome == Block1Outcome.Continue : result.Body.Span.SequenceEqual(body);
                    if (!good)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            }
        });

        await Task.WhenAll(Worker(0), Worker(1));

        Assert.Equal(0, failures);
        Assert.Equal(0, reassembler.Count);
    }

    private static CoapBlockOption Block(int number, bool more, int szx) => new(number, more, szx);

    private static byte[] Body(int length, int seed = 0) =>
        Enumerable.Range(0, length).Select(i => (byte)((i * 31) + seed)).ToArray();

    private static byte[] EventBlock(ushort messageId, byte[] token, CoapBlockOption block, ReadOnlySpan<byte> payload)
    {
        var buffer = new byte[1200];
        Assert.True(CoapMessage.TryWriteEventPost(buffer, CoapType.Confirmable, messageId, token, block, payload, out int written));
        return buffer[..written];
    }
}
