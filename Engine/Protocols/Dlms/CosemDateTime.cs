using System.Buffers.Binary;

namespace OpsConsole.Engine.Protocols.Dlms;

/// <summary>
/// The 12-byte COSEM date-time (wire-format.md §3): year (uint16 BE), month, day, day-of-week
/// (1 = Monday, FF unspecified), hour, minute, second, hundredths, deviation (int16 BE, minutes,
/// <c>0x8000</c> unspecified), clock status.
/// </summary>
/// <remarks>
/// <para>
/// Values only come from <see cref="TryParse(ReadOnlySpan{byte}, out CosemDateTime)"/> or
/// <see cref="FromDateTimeOffset(DateTimeOffset, short)"/>, so every value is a concrete instant:
/// <see cref="Utc"/> never fails. The raw fields are kept so that <see cref="TryWrite"/> gives back the
/// bytes that were read.
/// </para>
/// <para>
/// What this contract accepts (a notification time must be a concrete instant):
/// year 1–9999, month 1–12, day 1–last day of that month, hour 0–23, minute 0–59, second 0–59
/// (the COSEM "not specified" <c>0xFF</c>/<c>0xFFFF</c> and the DST/last-day specials <c>0xFD</c>/<c>0xFE</c>
/// are refused); day-of-week 1–7 or <c>0xFF</c> (not cross-checked against the date: the date decides);
/// hundredths 0–99 or <c>0xFF</c> (read as 0); deviation −720…+720 or <c>0x8000</c> (read as 0, because
/// meters of this system send UTC, §3); clock status any value (kept, not interpreted).
/// </para>
/// <para>
/// Deviation is read the COSEM way, as the contract states: local time = UTC − deviation, hence
/// UTC = local + deviation minutes. Resolution is 10 ms.
/// </para>
/// </remarks>
public readonly record struct CosemDateTime
{
    /// <summary>Encoded size in bytes.</summary>
    public const int Size = 12;

    /// <summary>"Not specified" for the one-byte fields.</summary>
    public const byte NotSpecified = 0xFF;

    /// <summary>"Not specified" for the year.</summary>
    public const ushort YearNotSpecified = 0xFFFF;

    /// <summary>"Not specified" for the deviation (<c>0x8000</c>).</summary>
    public const short DeviationNotSpecified = short.MinValue;

    /// <summary>Largest deviation magnitude COSEM allows, in minutes.</summary>
    public const short MaxDeviationMinutes = 720;

    private const long TicksPerHundredth = TimeSpan.TicksPerMillisecond * 10;

    private CosemDateTime(
        ushort year, byte month, byte dayOfMonth, byte dayOfWeek, byte hour, byte minute, byte second,
        byte hundredths, short deviation, byte clockStatus, DateTimeOffset utc)
    {
        Year = year;
        Month = month;
        DayOfMonth = dayOfMonth;
        DayOfWeek = dayOfWeek;
        Hour = hour;
        Minute = minute;
        Second = second;
        Hundredths = hundredths;
        Deviation = deviation;
        ClockStatus = clockStatus;
        Utc = utc;
    }

    public ushort Year { get; }

    public byte Month { get; }

    public byte DayOfMonth { get; }

    /// <summary>1 = Monday … 7 = Sunday, or <see cref="NotSpecified"/>.</summary>
    public byte DayOfWeek { get; }

    public byte Hour { get; }

    public byte Minute { get; }

    public byte Second { get; }

    /// <summary>0–99, or <see cref="NotSpecified"/> (read as 0).</summary>
    public byte Hundredths { get; }

    /// <summary>Minutes, local time = UTC − deviation; or <see cref="DeviationNotSpecified"/> (read as 0).</summary>
    public short Deviation { get; }

    /// <summary>The COSEM clock status byte, as received.</summary>
    public byte ClockStatus { get; }

    /// <summary>The instant, in UTC (offset zero), at 10 ms resolution.</summary>
    public DateTimeOffset Utc { get; }

    /// <summary>
    /// Parses exactly <see cref="Size"/> bytes. Returns <see langword="false"/> when the span is not 12
    /// bytes long or a field is outside what the contract accepts (see the type's remarks); never throws.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> source, out CosemDateTime value)
    {
        value = default;
        if (source.Length != Size)
        {
            return false;
        }

        ushort year = BinaryPrimitives.ReadUInt16BigEndian(source);
        byte month = source[2];
        byte day = source[3];
        byte dayOfWeek = source[4];
        byte hour = source[5];
        byte minute = source[6];
        byte second = source[7];
        byte hundredths = source[8];
        short deviation = BinaryPrimitives.ReadInt16BigEndian(source[9..]);
        byte clockStatus = source[11];

        if (year is < 1 or > 9999
            || month is < 1 or > 12
            || day < 1 || day > DateTime.DaysInMonth(year, month)
            || (dayOfWeek is < 1 or > 7 && dayOfWeek != NotSpecified)
            || hour > 23
            || minute > 59
            || second > 59
            || (hundredths > 99 && hundredths != NotSpecified)
            || (deviation is < -MaxDeviationMinutes or > MaxDeviationMinutes && deviation != DeviationNotSpecified))
        {
            return false;
        }

        long ticks = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).Ticks;
        if (hundredths != NotSpecified)
        {
            ticks += hundredths * TicksPerHundredth;
        }

        if (deviation != DeviationNotSpecified)
        {
            ticks += deviation * TimeSpan.TicksPerMinute; // UTC = local + deviation
        }

        if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        value = new CosemDateTime(
            year, month, day, dayOfWeek, hour, minute, second, hundredths, deviation, clockStatus,
            new DateTimeOffset(ticks, TimeSpan.Zero));
        return true;
    }

    /// <summary>
    /// The date-time of <paramref name="instant"/> as a meter would send it: local time for the given
    /// <paramref name="deviation"/> (local = UTC − deviation; 0, the default, sends UTC as §3 requires),
    /// day-of-week filled in, hundredths truncated to 10 ms, clock status 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The deviation is beyond ±720 minutes, or the local time leaves years 1–9999.</exception>
    public static CosemDateTime FromDateTimeOffset(DateTimeOffset instant, short deviation = 0)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(deviation, MaxDeviationMinutes);
        ArgumentOutOfRangeException.ThrowIfLessThan(deviation, (short)-MaxDeviationMinutes);

        long utcTicks = instant.UtcTicks;
        utcTicks -= utcTicks % TicksPerHundredth;
        long localTicks = utcTicks - (deviation * TimeSpan.TicksPerMinute);
        if (localTicks < new DateTime(1, 1, 1).Ticks || localTicks > DateTime.MaxValue.Ticks)
        {
            throw new ArgumentOutOfRangeException(nameof(instant), "The local time is outside years 1–9999.");
        }

        var local = new DateTime(localTicks, DateTimeKind.Unspecified);
        byte dayOfWeek = (byte)(local.DayOfWeek == System.DayOfWeek.Sunday ? 7 : (int)local.DayOfWeek);
        byte hundredths = (byte)(local.Ticks % TimeSpan.TicksPerSecond / TicksPerHundredth);
        return new CosemDateTime(
            (ushort)local.Year, (byte)local.Month, (byte)local.Day, dayOfWeek, (byte)local.Hour, (byte)local.Minute,
            (byte)local.Second, hundredths, deviation, clockStatus: 0, new DateTimeOffset(utcTicks, TimeSpan.Zero));
    }

    /// <summary>Writes the 12 bytes; <see langword="false"/> when <paramref name="destination"/> is shorter than <see cref="Size"/>.</summary>
    public bool TryWrite(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, Year);
        destination[2] = Month;
        destination[3] = DayOfMonth;
        destination[4] = DayOfWeek;
        destination[5] = Hour;
        destination[6] = Minute;
        destination[7] = Second;
        destination[8] = Hundredths;
        BinaryPrimitives.WriteInt16BigEndian(destination[9..], Deviation);
        destination[11] = ClockStatus;
        return true;
    }
}
