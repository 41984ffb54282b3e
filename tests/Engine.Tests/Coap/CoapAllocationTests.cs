using OpsConsole.Engine.Protocols.Coap;

namespace OpsConsole.Engine.Tests.Coap;

public class CoapAllocationTests
{
    [Fact]
    public void ParseMatchAndAnswer_HappyPath_AllocatesNothing()
    {
        // A CON POST /ami/ev with Content-Format 42 and Block1 0/1/16, token CAFE (built by the writer below).
        var datagram = new byte[128];
        var response = new byte[32];
        Assert.True(CoapMessage.TryWriteEventPost(datagram, CoapType.Confirmable, 0x1234, [0xCA, 0xFE], new CoapBlockOption(0, true, 0), new byte[16], out int length));
        int checksum = 0;
        for (int i = 0; i < 10_000; i++)
        {
            checksum += Handle(datagram.AsSpan(0, length), response); // warm-up: JIT, statics, tiering: the steady state is measured
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            checksum += Handle(datagram.AsSpan(0, length), response);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.NotEqual(0, checksum);
    }

    private static int Handle(ReadOnlySpan<byte> datagram, Span<byte> response)
    {
        if (CoapMessage.TryParse(datagram, out CoapMessageView request) != CoapParseStatus.Ok
            || CoapOptionPolicy.TryFindUnrecognizedCritical(request, out _)
            || !CoapUriPath.AmiEvents.Matches(request)
            || !request.TryGetContentFormat(out ushort contentFormat)
            || request.TryGetBlock1(out CoapBlockOption block) != CoapBlockStatus.Ok)
        {
            return 0;
        }

        int options = 0;
        foreach (CoapOption option in request.Options)
        {
            options += option.Number;
        }

        CoapMessage.TryWriteContinue(response, request.MessageId, request.Token, block, out int written);
        return written + options + contentFormat + request.Payload.Length;
    }
}
