using OpsConsole.Engine.Protocols.Dlms;

namespace OpsConsole.Engine.Tests.Dlms;

public class CosemDateTimeTests
{
    private static DateTimeOffset Utc(int y, int mo, int d, int h, int mi, int s, int ms = 0) => new(y, mo, d, h, mi, s, ms, TimeSpan.Zero);

    // Field layout per wire-format.md §3 / Green Book: YYYY MM DD WD hh mm ss cc DEV(2) ST.
    [Theory]
    [InlineData("07 E8 05 01 03 0C 00 00 00 00 00 00", 2024, 5, 1, 12, 0, 0, 0)]       // UTC, deviation 0
    [InlineData("07 E8 05 01 FF 0C 00 00 FF 00 00 FF", 2024, 5, 1, 12, 0, 0, 0)]       // dow, hundredths, status not specified
    [InlineData("07 E8 05 01 03 0B 3B 3B 32 00 00 00", 2024, 5, 1, 11, 59, 59, 500)]   // hundredths 50 = 500 ms
    [InlineData("07 E8 02 1D 04 17 3B 3B 63 00 00 00", 2024, 2, 29, 23, 59, 59, 990)]  // leap day, last hundredth
    [InlineData("07 E8 05 01 03 0C 00 00 00 80 00 00", 2024, 5, 1, 12, 0, 0, 0)]       // deviation 0x8000 read as UTC
    public void TryParse_ValidUtc_GivesInstant(string hex, int y, int mo, int d, int h, int mi, int s, int ms)
    {
        Assert.True(CosemDateTime.TryParse(Hex.Bytes(hex), out var value));
        Assert.Equal(Utc(y, mo, d, h, mi, s, ms), value.Utc);
        Assert.Equal(TimeSpan.Zero, value.Utc.Offset);
    }

    // COSEM deviation: local time = UTC − deviation, so UTC = local + deviation (wire-format.md §3).
    // Central European Time (UTC+1) has deviation −60 (FF C4): local 13:00 is 12:00 UTC.
    // US Eastern Standard Time (UTC−5) has deviation +300 (01 2C): local 07:00 is 12:00 UTC.
    [Theory]
    [InlineData("07 E8 05 01 03 0D 00 00 00 FF C4 00")]
    [InlineData("07 E8 05 01 03 07 00 00 00 01 2C 00")]
    [InlineData("07 E8 05 02 04 00 00 00 00 FD 30 00")] // 00:00 on 2 May, deviation −720 → 12:00 UTC on 1 May
    public void TryParse_Deviation_IsAddedToLocalTime(string hex)
    {
        Assert.True(CosemDateTime.TryParse(Hex.Bytes(hex), out var value));
        Assert.Equal(Utc(2024, 5, 1, 12, 0, 0), value.Utc);
    }

    [Theory]
    [InlineData("FF FF 05 01 03 0C 00 00 00 00 00 00")] // year not specified
    [InlineData("00 00 05 01 03 0C 00 00 00 00 00 00")] // year 0
    [InlineData("07 E8 0D 01 03 0C 00 00 00 00 00 00")] // month 13
    [InlineData("07 E8 00 01 03 0C 00 00 00 00 00 00")] // month 0
    [InlineData("07 E8 FF 01 03 0C 00 00 00 00 00 00")] // month not specified
    [InlineData("07 E8 FD 01 03 0C 00 00 00 00 00 00")] // DST end (special)
    [InlineData("07 E8 05 00 03 0C 00 00 00 00 00 00")] // day 0
    [InlineData("07 E8 05 20 03 0C 00 00 00 00 00 00")] // 32 May
    [InlineData("07 E7 02 1D 03 0C 00 00 00 00 00 00")] // 29 Feb 2023
    [InlineData("07 E8 05 FE 03 0C 00 00 00 00 00 00")] // last day of month (special)
    [InlineData("07 E8 05 01 08 0C 00 00 00 00 00 00")] // day-of-week 8
    [InlineData("07 E8 05 01 00 0C 00 00 00 00 00 00")] // day-of-week 0
    [InlineData("07 E8 05 01 03 18 00 00 00 00 00 00")] // hour 24
    [InlineData("07 E8 05 01 03 19 00 00 00 00 00 00")] // hour 25
    [InlineData("07 E8 05 01 03 FF 00 00 00 00 00 00")] // hour not specified
    [InlineData("07 E8 05 01 03 0C 3C 00 00 00 00 00")] // minute 60
    [InlineData("07 E8 05 01 03 0C FF 00 00 00 00 00")] // minute not specified
    [InlineData("07 E8 05 01 03 0C 00 3C 00 00 00 00")] // second 60
    [InlineData("07 E8 05 01 03 0C 00 FF 00 00 00 00")] // second not specified
    [InlineData("07 E8 05 01 03 0C 00 00 64 00 00 00")] // hundredths 100
    [InlineData("07 E8 05 01 03 0C 00 00 00 02 D1 00")] // deviation +721
    [InlineData("07 E8 05 01 03 0C 00 00 00 FD 2F 00")] // deviation −721
    [InlineData("27 0F 0C 1F 05 17 3B 00 00 02 D0 00")] // 9999-12-31 23:59 local + 720 min leaves the calendar
    [InlineData("07 E8 05 01 03 0C 00 00 00 00 00")]    // 11 bytes
    [InlineData("07 E8 05 01 03 0C 00 00 00 00 00 00 00")] // 13 bytes
    public void TryParse_InvalidOrUnspecifiedField_Refused(string hex)
    {
        Assert.False(CosemDateTime.TryParse(Hex.Bytes(hex), out _));
    }

    [Fact]
    public void TryParse_DayOfWeekInconsistentWithDate_AcceptedBecauseTheDateDecides()
    {
        // 2024-05-01 is a Wednesday (3); a meter that says Monday still names the same day.
        Assert.True(CosemDateTime.TryParse(Hex.Bytes("07 E8 05 01 01 0C 00 00 00 00 00 00"), out var value));
        Assert.Equal(Utc(2024, 5, 1, 12, 0, 0), value.Utc);
    }

    [Fact]
    public void TryWrite_ParsedValue_GivesBackTheSameBytes()
    {
        var bytes = Hex.Bytes("07 E8 05 01 FF 0D 00 00 FF 80 00 C3");
        Assert.True(CosemDateTime.TryParse(bytes, out var value));
        var written = new byte[CosemDateTime.Size];
        Assert.True(value.TryWrite(written));
        Assert.Equal(bytes, written);
    }

    [Fact]
    public void FromDateTimeOffset_Utc_WritesDeviationZeroAndDayOfWeek()
    {
        var value = CosemDateTime.FromDateTimeOffset(Utc(2024, 5, 1, 11, 59, 59, 507));
        var written = new byte[CosemDateTime.Size];
        Assert.True(value.TryWrite(written));
        Assert.Equal("07E80501030B3B3B32000000", Hex.Of(written)); // 507 ms truncated to 50 hundredths
        Assert.Equal(Utc(2024, 5, 1, 11, 59, 59, 500), value.Utc);
    }

    [Fact]
    public void FromDateTimeOffset_Sunday_WritesSeven()
    {
        var value = CosemDateTime.FromDateTimeOffset(Utc(2024, 5, 5, 0, 0, 0));
        Assert.Equal(7, value.DayOfWeek);
    }

    [Fact]
    public void FromDateTimeOffset_WithDeviation_WritesLocalTimeAndParsesBack()
    {
        var instant = Utc(2024, 5, 1, 12, 0, 0);
        var cet = CosemDateTime.FromDateTimeOffset(instant, deviation: -60);
        var written = new byte[CosemDateTime.Size];
        Assert.True(cet.TryWrite(written));
        Assert.Equal("07E80501030D000000FFC400", Hex.Of(written)); // local 13:00, deviation −60
        Assert.True(CosemDateTime.TryParse(written, out var parsed));
        Assert.Equal(instant, parsed.Utc);
    }

    [Fact]
    public void FromDateTimeOffset_NonUtcOffset_UsesTheInstant()
    {
        var instant = new DateTimeOffset(2024, 5, 1, 14, 0, 0, TimeSpan.FromHours(2));
        Assert.Equal(Utc(2024, 5, 1, 12, 0, 0), CosemDateTime.FromDateTimeOffset(instant).Utc);
        Assert.Equal(12, CosemDateTime.FromDateTimeOffset(instant).Hour);
    }

    [Fact]
    public void FromDateTimeOffset_DeviationBeyond720_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CosemDateTime.FromDateTimeOffset(Utc(2024, 1, 1, 0, 0, 0), 721));
    }

    [Fact]
    public void TryWrite_ShortDestination_ReturnsFalse()
    {
        Assert.False(CosemDateTime.FromDateTimeOffset(Utc(2024, 1, 1, 0, 0, 0)).TryWrite(new byte[11]));
    }
}
