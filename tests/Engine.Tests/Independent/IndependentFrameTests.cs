using System.Diagnostics;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Ingest.Processing;
using OpsConsole.Engine.Protocols;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Tests.Ingest.Processing;

namespace OpsConsole.Engine.Tests.Independent;

/// <summary>
/// The head-end against frames it did not write: encode_frames.py builds them from wire-format.md with
/// pyca/cryptography, without the product's code, and frames.json holds its output. The decoder must
/// accept them as the inputs say, and the product's writer must produce the same bytes from the same
/// inputs (the contract fixes every byte once the inputs are given: day-of-week filled in, clock status 0).
/// </summary>
public sealed class IndependentFrameTests
{
    public static TheoryData<string> Accepted() => [.. IndependentFrames.All.Where(f => !f.CorruptTag).Select(f => f.Name)];

    public static TheoryData<string> Encodable() => Accepted();

    [Fact]
    public void Fixtures_CoverLastGaspNonPowerUpConTestPowerDownBlock1AndWrongTag()
    {
        var all = IndependentFrames.All;
        Assert.Contains(all, f => f.Type == CoapType.NonConfirmable && f.Event.EventCode == MeterEventCode.PowerDown && !f.CorruptTag);
        Assert.Contains(all, f => f.Type == CoapType.Confirmable && f.Event.EventCode == MeterEventCode.PowerUp);
        Assert.Contains(all, f => f.Event.EventCode == MeterEventCode.TestPowerDown);
        Assert.Contains(all, f => f.Block1SizeExponent is not null && f.Datagrams.Count >= 2);
        Assert.Contains(all, f => f.Event.SendTime is null);
        Assert.Contains(all, f => f.CorruptTag);
    }

    [PythonCryptographyFact]
    public void Fixtures_AreExactlyWhatTheIndependentEncoderPrints()
    {
        var start = new ProcessStartInfo(IndependentFrames.Python, [IndependentFrames.ScriptPath])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();

        Assert.True(process.ExitCode == 0, $"encode_frames.py exited {process.ExitCode}: {stderr.Result}");
        Assert.Equal(File.ReadAllText(IndependentFrames.FixturePath), stdout.Result);
    }

    [Theory]
    [MemberData(nameof(Accepted))]
    public async Task Decoder_IndependentFrame_AcceptedWithTheEncodedMeterCodeIdAndTimes(string name)
    {
        var frame = IndependentFrames.Named(name);
        await using var f = NewHeadEnd(frame);

        DatagramResult last = default;
        for (int i = 0; i < frame.Datagrams.Count; i++)
        {
            last = f.Process(frame.Datagrams[i]);
            if (i < frame.Datagrams.Count - 1)
            {
                // RFC 7959: every block but the last gets 2.31 Continue with its Block1 echoed.
                Assert.Equal(DatagramOutcome.Control, last.Outcome);
                var cont = Answer.Parse(f.Sent(last));
                Assert.Equal((CoapType.Acknowledgement, CoapCode.Continue), (cont.Type, cont.Code));
                Assert.Equal(new CoapBlockOption(i, true, frame.Block1SizeExponent!.Value), cont.Block1);
            }
        }

        Assert.Equal(DatagramOutcome.Persist, last.Outcome);
        var recorded = last.Event!;
        Assert.Equal(frame.Event, recorded.Event); // meter, code, event id, epoch, both times, mV, RSSI, invoke id
        Assert.Equal((frame.SystemTitle, frame.Counter), (recorded.SystemTitle, recorded.InvocationCounter));
        Assert.Equal(0, f.Stats.Snapshot().RejectedTotal);
        if (frame.Type == CoapType.NonConfirmable)
        {
            Assert.Equal(0, last.ResponseLength);
        }
        else
        {
            Assert.True(last.SendAfterDurable);
            var ack = Answer.Parse(f.Sent(last));
            Assert.Equal((CoapType.Acknowledgement, CoapCode.Changed), (ack.Type, ack.Code));
            Assert.Equal((ushort)(frame.MessageId + frame.Datagrams.Count - 1), ack.MessageId);
            Assert.Equal(frame.Token, ack.Token);
        }
    }

    [Fact]
    public async Task Decoder_IndependentFrameWithWrongTag_Unauthorized401AuthFailedNothingRecorded()
    {
        var frame = IndependentFrames.All.Single(f => f.CorruptTag);
        await using var f = NewHeadEnd(frame);

        var result = f.Process(Assert.Single(frame.Datagrams));

        Assert.Equal(DatagramOutcome.Rejected, result.Outcome);
        Assert.Null(result.Event);
        var answer = Answer.Parse(f.Sent(result));
        Assert.Equal((CoapType.Acknowledgement, CoapCode.Unauthorized, frame.MessageId), (answer.Type, answer.Code, answer.MessageId));
        Assert.Equal(1, f.Stats.Snapshot().Rejected[nameof(RejectReason.ERR_AUTH_FAILED)]);
        var line = Assert.Single(await f.LogLinesAsync());
        Assert.Contains(" ERR_AUTH_FAILED ", line, StringComparison.Ordinal);
        Assert.Contains(" meter=IM1", line, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Encodable))]
    public void Writer_SameInputs_ByteIdenticalToTheIndependentFrame(string name)
    {
        var frame = IndependentFrames.Named(name);
        var keys = MeterKeys.Derive(IndependentFrames.MasterKey, frame.MeterId);

        var apdu = MeterFrameWriter.Apdu(frame.Event, frame.SystemTitle, frame.Counter, keys);

        Assert.Equal(Convert.ToHexString(frame.Apdu), Convert.ToHexString(apdu));
        if (frame.Block1SizeExponent is not int szx)
        {
            var datagram = MeterFrameWriter.Post(frame.Type, frame.MessageId, frame.Token, apdu);
            Assert.Equal(Convert.ToHexString(Assert.Single(frame.Datagrams)), Convert.ToHexString(datagram));
            return;
        }

        int size = 1 << (szx + 4);
        var blocks = apdu.Chunk(size).ToArray();
        Assert.Equal(frame.Datagrams.Count, blocks.Length);
        for (int n = 0; n < blocks.Length; n++)
        {
            var buffer = new byte[blocks[n].Length + 64];
            var block = new CoapBlockOption(n, n + 1 < blocks.Length, szx);
            Assert.True(CoapMessage.TryWriteEventPost(buffer, frame.Type, (ushort)(frame.MessageId + n), frame.Token, block, blocks[n], out int written));
            Assert.Equal(Convert.ToHexString(frame.Datagrams[n]), Convert.ToHexString(buffer.AsSpan(0, written)));
        }
    }

    /// <summary>An ingest stage keyed with the fixtures' master key, its clock just after the frame's send time.</summary>
    private static ProcessingFixture NewHeadEnd(IndependentFrame frame)
    {
        var f = new ProcessingFixture(masterKey: IndependentFrames.MasterKey, geoJson: IndependentFrames.TopologyGeoJson());
        var receivedAt = frame.Event.EffectiveSendTime + TimeSpan.FromMilliseconds(120);
        f.Time.Advance(receivedAt - f.Time.GetUtcNow());
        return f;
    }
}
