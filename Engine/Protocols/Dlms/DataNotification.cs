using System.Buffers.Binary;
using OpsConsole.Engine.Domain;

namespace OpsConsole.Engine.Protocols.Dlms;

/// <summary>
/// The plaintext APDU of wire-format.md §3: a DLMS/COSEM <c>Data-Notification</c> whose
/// notification-body is a <c>structure</c> of exactly 7 elements.
/// </summary>
/// <remarks>
/// <code>
/// 0F                      Data-Notification tag
/// xx xx xx xx             long-invoke-id-and-priority, big-endian
/// 00 | 0C + 12 bytes      date-time (send time): an octet-string of length 0 or 12
/// 02 07                   structure of 7 elements
///   09 10 + 16 bytes      meter GUID, network byte order
///   11 xx                 event code
///   06 xx xx xx xx        event id
///   12 xx xx              epoch
///   09 0C + 12 bytes      event time (COSEM date-time as an octet-string, not the 0x19 type)
///   12 xx xx              capacitor mV
///   0F xx                 RSSI, dBm, signed
/// </code>
/// Parsing is strict: any other tag, length, element count or trailing byte is a typed
/// <see cref="DlmsFrameError"/>. Nothing is allocated.
/// </remarks>
public static class DataNotification
{
    /// <summary>The Data-Notification APDU tag.</summary>
    public const byte Tag = 0x0F;

    /// <summary>Elements in the notification-body structure.</summary>
    public const int ElementCount = 7;

    /// <summary>Encoded length without a send time.</summary>
    public const int LengthWithoutSendTime = 55;

    /// <summary>Encoded length with a send time: the largest valid Data-Notification.</summary>
    public const int MaxLength = LengthWithoutSendTime + CosemDateTime.Size;

    private const int GuidSize = 16;

    /// <summary>
    /// Parses one Data-Notification that fills <paramref name="apdu"/> exactly. Never throws; on
    /// failure <paramref name="error"/> names the first field that is wrong.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> apdu, out MeterEvent value, out DlmsFrameError error)
    {
        value = default;
        var reader = new AxdrReader(apdu);

        if (!reader.TryReadTag(Tag))
        {
            return Fail(DlmsFrameError.NotADataNotification, out error);
        }

        if (!reader.TryReadUInt32(out uint invokeIdAndPriority))
        {
            return Fail(DlmsFrameError.EndOfData, out error);
        }

        DateTimeOffset? sendTime = null;
        if (!reader.TryReadLength(out int dateTimeLength))
        {
            return Fail(reader.Error, DlmsFrameError.InvalidSendTime, out error);
        }

        if (dateTimeLength == CosemDateTime.Size)
        {
            if (!reader.TryReadDateTimeValue(out var send))
            {
                return Fail(reader.Error, DlmsFrameError.InvalidSendTime, out error);
            }

            sendTime = send.Utc;
        }
        else if (dateTimeLength != 0)
        {
            return Fail(DlmsFrameError.InvalidSendTime, out error);
        }

        if (!reader.TryReadStructure(out int count))
        {
            return Fail(
                reader.Error,
                reader.Error == AxdrError.InvalidLengthEncoding ? DlmsFrameError.InvalidLengthEncoding : DlmsFrameError.NotAStructure,
                out error);
        }

        if (count != ElementCount)
        {
            return Fail(DlmsFrameError.WrongElementCount, out error);
        }

        if (!reader.TryReadOctetString(GuidSize, out var guidBytes))
        {
            return Fail(reader.Error, DlmsFrameError.InvalidMeterGuid, out error);
        }

        if (!reader.TryReadUnsigned(out byte eventCode))
        {
            return Fail(reader.Error, DlmsFrameError.InvalidEventCode, out error);
        }

        if (!reader.TryReadDoubleLongUnsigned(out uint eventId))
        {
            return Fail(reader.Error, DlmsFrameError.InvalidEventId, out error);
        }

        if (!reader.TryReadLongUnsigned(out ushort epoch))
        {
            return Fail(reader.Error, DlmsFrameError.InvalidEpoch, out error);
        }

        if (!reader.TryReadDateTimeOctetString(out var eventTime))
        {
            return Fail(reader.Error, DlmsFrameError.InvalidEventTime, out error);
        }

        if (!reader.TryReadLongUnsigned(out ushort capacitorMv))
        {
            return Fail(reader.Error, DlmsFrameError.InvalidCapacitorVoltage, out error);
        }

        if (!reader.TryReadInteger(out sbyte rssi))
        {
            return Fail(reader.Error, DlmsFrameError.InvalidRssi, out error);
        }

        if (!reader.IsAtEnd)
        {
            return Fail(DlmsFrameError.TrailingBytes, out error);
        }

        value = new MeterEvent(
            new Guid(guidBytes, bigEndian: true),
            (MeterEventCode)eventCode,
            eventId,
            epoch,
            sendTime,
            eventTime.Utc,
            capacitorMv,
            rssi,
            invokeIdAndPriority);
        error = DlmsFrameError.None;
        return true;
    }

    /// <summary>
    /// Writes <paramref name="value"/> as a meter of this system would: times in UTC with deviation 0
    /// (truncated to 10 ms), day-of-week filled in, clock status 0. <see langword="false"/> when
    /// <paramref name="destination"/> is too short (at most <see cref="MaxLength"/> bytes are needed).
    /// </summary>
    public static bool TryWrite(in MeterEvent value, Span<byte> destination, out int bytesWritten)
    {
        CosemDateTime? sendTime = value.SendTime is { } send ? CosemDateTime.FromDateTimeOffset(send) : null;
        return TryWrite(
            value.InvokeIdAndPriority,
            sendTime,
            value.MeterId,
            value.EventCode,
            value.EventId,
            value.Epoch,
            CosemDateTime.FromDateTimeOffset(value.EventTime),
            value.CapacitorMillivolts,
            value.RssiDbm,
            destination,
            out bytesWritten);
    }

    /// <summary>
    /// Writes a Data-Notification field by field, with the date-times exactly as given (any deviation
    /// or clock status), for simulators and tests. <see langword="false"/> when <paramref name="destination"/> is too short.
    /// </summary>
    public static bool TryWrite(
        uint invokeIdAndPriority,
        CosemDateTime? sendTime,
        Guid meterId,
        MeterEventCode eventCode,
        uint eventId,
        ushort epoch,
        CosemDateTime eventTime,
        ushort capacitorMillivolts,
        sbyte rssiDbm,
        Span<byte> destination,
        out int bytesWritten)
    {
        int length = sendTime.HasValue ? MaxLength : LengthWithoutSendTime;
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        var d = destination;
        d[0] = Tag;
        BinaryPrimitives.WriteUInt32BigEndian(d[1..], invokeIdAndPriority);
        int p = 5;
        if (sendTime is { } send)
        {
            d[p++] = CosemDateTime.Size;
            send.TryWrite(d[p..]);
            p += CosemDateTime.Size;
        }
        else
        {
            d[p++] = 0x00;
        }

        d[p++] = AxdrType.Structure;
        d[p++] = ElementCount;

        d[p++] = AxdrType.OctetString;
        d[p++] = GuidSize;
        meterId.TryWriteBytes(d.Slice(p, GuidSize), bigEndian: true, out _);
        p += GuidSize;

        d[p++] = AxdrType.Unsigned;
        d[p++] = (byte)eventCode;

        d[p++] = AxdrType.DoubleLongUnsigned;
        BinaryPrimitives.WriteUInt32BigEndian(d[p..], eventId);
        p += sizeof(uint);

        d[p++] = AxdrType.LongUnsigned;
        BinaryPrimitives.WriteUInt16BigEndian(d[p..], epoch);
        p += sizeof(ushort);

        d[p++] = AxdrType.OctetString;
        d[p++] = CosemDateTime.Size;
        eventTime.TryWrite(d[p..]);
        p += CosemDateTime.Size;

        d[p++] = AxdrType.LongUnsigned;
        BinaryPrimitives.WriteUInt16BigEndian(d[p..], capacitorMillivolts);
        p += sizeof(ushort);

        d[p++] = AxdrType.Integer;
        d[p++] = unchecked((byte)rssiDbm);

        bytesWritten = p;
        return true;
    }

    private static bool Fail(DlmsFrameError reason, out DlmsFrameError error)
    {
        error = reason;
        return false;
    }

    // A read that stopped at the end of the plaintext is EndOfData wherever it happened; anything else
    // is the field's own reason.
    private static bool Fail(AxdrError readerError, DlmsFrameError fieldReason, out DlmsFrameError error)
    {
        error = readerError == AxdrError.EndOfData ? DlmsFrameError.EndOfData : fieldReason;
        return false;
    }
}
