using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols.Dlms;

namespace OpsConsole.Engine.Tests.Dlms;

public class DataNotificationTests
{
    // Offsets into DlmsFixtures.NotificationPlaintext (with send time), wire-format.md §3.
    private const int SendTimeLength = 5;
    private const int StructureTag = 18;
    private const int StructureCount = 19;
    private const int GuidTag = 20;
    private const int GuidLength = 21;
    private const int GuidBytes = 22;
    private const int EventCodeTag = 38;
    private const int EventIdTag = 40;
    private const int EpochTag = 45;
    private const int EventTimeTag = 48;
    private const int EventTimeLength = 49;
    private const int EventTimeMonth = 52;
    private const int CapacitorTag = 62;
    private const int RssiTag = 65;

    private static byte[] Plaintext => (byte[])DlmsFixtures.NotificationPlaintext.Clone();

    private static byte[] With(int offset, byte value)
    {
        var bytes = Plaintext;
        bytes[offset] = value;
        return bytes;
    }

    [Fact]
    public void TryParse_ReferenceNotification_ReadsEveryField()
    {
        Assert.True(DataNotification.TryParse(DlmsFixtures.NotificationPlaintext, out var ev, out var error));
        Assert.Equal(DlmsFrameError.None, error);
        Assert.Equal(DlmsFixtures.NotificationEvent, ev);
        Assert.True(ev.IsHighPriority);
        Assert.Equal(1u, ev.InvokeId);
        Assert.Equal(ev.SendTime, ev.EffectiveSendTime);
    }

    [Fact]
    public void TryWrite_ReferenceEvent_GivesTheIndependentlyComputedBytes()
    {
        var buffer = new byte[DataNotification.MaxLength];
        Assert.True(DataNotification.TryWrite(DlmsFixtures.NotificationEvent, buffer, out int written));
        Assert.Equal(DataNotification.MaxLength, written);
        Assert.Equal(Hex.Of(DlmsFixtures.NotificationPlaintext), Hex.Of(buffer.AsSpan(0, written)));
    }

    [Fact]
    public void TryWrite_GuidFromCanonicalString_IsInNetworkByteOrder()
    {
        // "4faa59a2-e276-509b-bdc4-9d6ddc1abe43" → 4F AA 59 A2 E2 76 50 9B BD C4 9D 6D DC 1A BE 43 (RFC 4122),
        // not System.Guid's little-endian layout A2 59 AA 4F 76 E2 9B 50 …
        Assert.Equal(Hex.Of(DlmsFixtures.MeterGuidNetworkOrder), Hex.Of(DlmsFixtures.NotificationPlaintext.AsSpan(GuidBytes, 16)));
        Assert.NotEqual(Hex.Of(DlmsFixtures.MeterGuidNetworkOrder), Hex.Of(DlmsFixtures.MeterGuid.ToByteArray()));
    }

    [Fact]
    public void TryWrite_WithoutSendTime_WritesZeroLengthAndParsesToNull()
    {
        var ev = DlmsFixtures.NotificationEvent with { SendTime = null, EventCode = (MeterEventCode)42, RssiDbm = 5, InvokeIdAndPriority = 7 };
        var buffer = new byte[DataNotification.MaxLength];
        Assert.True(DataNotification.TryWrite(ev, buffer, out int written));
        Assert.Equal(DataNotification.LengthWithoutSendTime, written);
        Assert.Equal(0x00, buffer[SendTimeLength]);
        Assert.True(DataNotification.TryParse(buffer.AsSpan(0, written), out var parsed, out _));
        Assert.Equal(ev, parsed);
        Assert.Null(parsed.SendTime);
        Assert.Equal(parsed.EventTime, parsed.EffectiveSendTime);
        Assert.False(parsed.IsHighPriority);
    }

    [Fact]
    public void TryWrite_ShortDestination_ReturnsFalse()
    {
        Assert.False(DataNotification.TryWrite(DlmsFixtures.NotificationEvent, new byte[DataNotification.MaxLength - 1], out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void TryWrite_FieldsWithDeviation_ParseToTheSameInstant()
    {
        var sendLocal = CosemDateTime.FromDateTimeOffset(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero), deviation: -60);
        var eventLocal = CosemDateTime.FromDateTimeOffset(new DateTimeOffset(2024, 5, 1, 11, 59, 59, 500, TimeSpan.Zero), deviation: -60);
        var buffer = new byte[DataNotification.MaxLength];
        Assert.True(DataNotification.TryWrite(
            0x8000_0001, sendLocal, DlmsFixtures.MeterGuid, MeterEventCode.PowerDown, 42, 3, eventLocal, 3650, -87, buffer, out int written));
        Assert.True(DataNotification.TryParse(buffer.AsSpan(0, written), out var parsed, out _));
        Assert.Equal(DlmsFixtures.NotificationEvent, parsed);
    }

    [Fact]
    public void EventCodes_HaveTheContractValues()
    {
        Assert.Equal(1, (int)MeterEventCode.PowerDown);
        Assert.Equal(2, (int)MeterEventCode.PowerUp);
        Assert.Equal(231, (int)MeterEventCode.TestPowerDown);
    }

    public static TheoryData<string, byte[], DlmsFrameError> Rejections()
    {
        var data = new TheoryData<string, byte[], DlmsFrameError>
        {
            { "empty", [], DlmsFrameError.NotADataNotification },
            { "event-notification tag C2", With(0, 0xC2), DlmsFrameError.NotADataNotification },
            { "send time length 5", With(SendTimeLength, 0x05), DlmsFrameError.InvalidSendTime },
            { "send time length 0x80", With(SendTimeLength, 0x80), DlmsFrameError.InvalidSendTime },
            { "send time month 13", With(SendTimeLength + 3, 0x0D), DlmsFrameError.InvalidSendTime },
            { "body is an array (01)", With(StructureTag, 0x01), DlmsFrameError.NotAStructure },
            { "structure of 6", With(StructureCount, 0x06), DlmsFrameError.WrongElementCount },
            { "structure of 8", With(StructureCount, 0x08), DlmsFrameError.WrongElementCount },
            { "structure count 0x80", With(StructureCount, 0x80), DlmsFrameError.InvalidLengthEncoding },
            { "GUID as bit-string (04)", With(GuidTag, 0x04), DlmsFrameError.InvalidMeterGuid },
            { "GUID of 15 bytes", With(GuidLength, 0x0F), DlmsFrameError.InvalidMeterGuid },
            { "event code as long-unsigned (12)", With(EventCodeTag, 0x12), DlmsFrameError.InvalidEventCode },
            { "event id as double-long (05)", With(EventIdTag, 0x05), DlmsFrameError.InvalidEventId },
            { "epoch as unsigned (11)", With(EpochTag, 0x11), DlmsFrameError.InvalidEpoch },
            { "event time as date-time type (19)", With(EventTimeTag, 0x19), DlmsFrameError.InvalidEventTime },
            { "event time of 11 bytes", With(EventTimeLength, 0x0B), DlmsFrameError.InvalidEventTime },
            { "event time month 13", With(EventTimeMonth, 0x0D), DlmsFrameError.InvalidEventTime },
            { "capacitor as long (10)", With(CapacitorTag, 0x10), DlmsFrameError.InvalidCapacitorVoltage },
            { "RSSI as unsigned (11)", With(RssiTag, 0x11), DlmsFrameError.InvalidRssi },
            { "a trailing byte", [.. DlmsFixtures.NotificationPlaintext, 0x00], DlmsFrameError.TrailingBytes },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Rejections))]
    public void TryParse_MalformedNotification_RejectedWithReason(string scenario, byte[] apdu, DlmsFrameError expected)
    {
        Assert.False(DataNotification.TryParse(apdu, out var ev, out var error), scenario);
        Assert.Equal(expected, error);
        Assert.Equal(default, ev);
    }

    [Fact]
    public void TryParse_EveryProperPrefix_RejectedAsEndOfData()
    {
        var full = DlmsFixtures.NotificationPlaintext;
        for (int length = 1; length < full.Length; length++)
        {
            Assert.False(DataNotification.TryParse(full.AsSpan(0, length), out _, out var error));
            Assert.Equal(DlmsFrameError.EndOfData, error);
        }
    }
}
