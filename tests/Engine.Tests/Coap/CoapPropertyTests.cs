using OpsConsole.Engine.Protocols.Coap;

namespace OpsConsole.Engine.Tests.Coap;

/// <summary>Seeded property checks: writer and parser agree, and no input makes the parser throw.</summary>
public class CoapPropertyTests
{
    [Fact]
    public void WriteThenParse_RandomMessages_RoundTripExactly()
    {
        var random = new Random(7252);
        var buffer = new byte[4096];
        for (int iteration = 0; iteration < 10_000; iteration++)
        {
            RandomMessage expected = RandomMessage.Create(random);
            int written = expected.Write(buffer);

            CoapParseStatus status = CoapMessage.TryParse(buffer.AsSpan(0, written), out CoapMessageView actual);

            Assert.True(status == CoapParseStatus.Ok, $"iteration {iteration}: {status} {actual.FormatError}");
            Assert.Equal(expected.Type, actual.Type);
            Assert.Equal(expected.Code, actual.Code);
            Assert.Equal(expected.MessageId, actual.MessageId);
            Assert.Equal(Hex.Of(expected.Token), Hex.Of(actual.Token));
            Assert.Equal(Hex.Of(expected.Payload), Hex.Of(actual.Payload));
            int index = 0;
            foreach (CoapOption option in actual.Options)
            {
                Assert.True(index < expected.Options.Count, $"iteration {iteration}: extra option {option.Number}");
                Assert.Equal(expected.Options[index].Number, option.Number);
                Assert.Equal(Hex.Of(expected.Options[index].Value), Hex.Of(option.Value));
                index++;
            }

            Assert.Equal(expected.Options.Count, index);
        }
    }

    [Fact]
    public void TryParse_RandomAndMutatedDatagrams_NeverThrowsAndOkReencodesIdentically()
    {
        var random = new Random(7959);
        var buffer = new byte[4096];
        var rewritten = new byte[70_000];
        int ok = 0;
        int formatErrors = 0;
        for (int iteration = 0; iteration < 100_000; iteration++)
        {
            byte[] datagram = iteration % 3 == 0
                ? RandomBytes(random, random.Next(0, 48))
                : Mutate(random, buffer.AsSpan(0, RandomMessage.Create(random).Write(buffer)).ToArray());

            CoapParseStatus status = CoapMessage.TryParse(datagram, out CoapMessageView message);

            switch (status)
            {
                case CoapParseStatus.Ok:
                    ok++;
                    Assert.Equal(CoapFormatError.None, message.FormatError);
                    Assert.Equal(Hex.Of(datagram), Hex.Of(Reencode(message, rewritten)));
                    CoapOptionPolicy.TryFindUnrecognizedCritical(message, out _);
                    message.TryGetBlock1(out _);
                    message.TryGetContentFormat(out _);
                    CoapUriPath.AmiEvents.Matches(message);
                    break;
                case CoapParseStatus.FormatError:
                    formatErrors++;
                    Assert.NotEqual(CoapFormatError.None, message.FormatError);
                    Assert.Equal(0, message.Options.Count());
                    Assert.True(message.Payload.IsEmpty);
                    Assert.Equal(datagram[0] & 0x0F, message.TokenLength);
                    break;
                case CoapParseStatus.HeaderTruncated:
                    Assert.True(datagram.Length < CoapMessage.HeaderLength);
                    break;
                case CoapParseStatus.UnsupportedVersion:
                    Assert.NotEqual(1, datagram[0] >> 6);
                    break;
            }
        }

        // The corpus reaches both sides of the parser, not just one.
        Assert.True(ok > 10_000, $"ok {ok}");
        Assert.True(formatErrors > 10_000, $"format errors {formatErrors}");
    }

    private static ReadOnlySpan<byte> Reencode(in CoapMessageView message, byte[] destination)
    {
        var writer = new CoapWriter(destination);
        Assert.True(writer.TryWriteHeader(message.Type, message.Code, message.MessageId, message.Token));
        foreach (CoapOption option in message.Options)
        {
            Assert.True(writer.TryWriteOption(option.Number, option.Value));
        }

        if (!message.IsEmpty)
        {
            Assert.True(writer.TryWritePayload(message.Payload));
        }

        return destination.AsSpan(0, writer.Written);
    }

    private static byte[] Mutate(Random random, byte[] datagram)
    {
        int mutations = random.Next(1, 4);
        for (int m = 0; m < mutations && datagram.Length > 0; m++)
        {
            int at = random.Next(datagram.Length);
            switch (random.Next(6))
            {
                case 0:
                    datagram[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    datagram = datagram[..at];
                    break;
                case 2:
                    datagram = [.. datagram[..at], (byte)random.Next(256), .. datagram[at..]];
                    break;
                case 3:
                    datagram[at] = (byte)(random.Next(4) switch { 0 => 0xFF, 1 => 0xF0, 2 => 0x0F, _ => 0xDE });
                    break;
                case 4:
                    datagram = [.. datagram, .. RandomBytes(random, random.Next(1, 8))];
                    break;
                default:
                    datagram = [.. datagram[..at], .. datagram[Math.Min(datagram.Length, at + random.Next(1, 4))..]];
                    break;
            }
        }

        return datagram;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private sealed record RandomMessage(
        CoapType Type, byte Code, ushort MessageId, byte[] Token, List<(ushort Number, byte[] Value)> Options, byte[] Payload)
    {
        public static RandomMessage Create(Random random)
        {
            var type = (CoapType)random.Next(4);
            byte code = random.Next(10) == 0 ? CoapCode.Empty : (byte)random.Next(1, 256);
            var messageId = (ushort)random.Next(65536);
            if (code == CoapCode.Empty)
            {
                return new RandomMessage(type, code, messageId, [], [], []);
            }

            byte[] token = RandomBytes(random, random.Next(0, 9));
            var options = new List<(ushort, byte[])>();
            int number = 0;
            int count = random.Next(0, 9);
            for (int i = 0; i < count; i++)
            {
                int delta = random.Next(6) switch
                {
                    0 => 0,                          // a repeat
                    1 or 2 => random.Next(1, 13),    // literal nibble
                    3 => random.Next(13, 269),       // one extension byte
                    4 => random.Next(269, 1200),     // two extension bytes
                    _ => random.Next(1, 40),
                };
                if (number + delta > ushort.MaxValue)
                {
                    break;
                }

                number += delta;
                int length = random.Next(10) switch
                {
                    < 6 => random.Next(0, 13),
                    < 9 => random.Next(13, 269),
                    _ => random.Next(269, 400),
                };
                options.Add(((ushort)number, RandomBytes(random, length)));
            }

            byte[] payload = random.Next(3) == 0 ? [] : RandomBytes(random, random.Next(1, 300));
            return new RandomMessage(type, code, messageId, token, options, payload);
        }

        public int Write(Span<byte> destination)
        {
            var writer = new CoapWriter(destination);
            Assert.True(writer.TryWriteHeader(Type, Code, MessageId, Token));
            foreach ((ushort number, byte[] value) in Options)
            {
                Assert.True(writer.TryWriteOption(number, value));
            }

            if (Code != CoapCode.Empty)
            {
                Assert.True(writer.TryWritePayload(Payload));
            }

            return writer.Written;
        }
    }
}
