using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Tests.Storage;

internal static class StorageTestEvents
{
    public static readonly DateTimeOffset Start = new(2026, 11, 24, 18, 3, 11, TimeSpan.Zero);

    /// <summary>An event with every field set to a distinct, non-default value derived from <paramref name="n"/>.</summary>
    public static RecordedEvent Make(int n, int meter = 0, ulong? systemTitle = null, uint? ic = null) => new(
        new MeterEvent(
            MeterId(meter),
            n % 3 == 0 ? MeterEventCode.PowerDown : n % 3 == 1 ? MeterEventCode.PowerUp : (MeterEventCode)77,
            EventId: (uint)(1000 + n),
            Epoch: (ushort)(3 + meter),
            SendTime: n % 2 == 0 ? Start.AddTicks(123_456_789 + n) : null,
            EventTime: Start.AddMilliseconds(-10 * n),
            CapacitorMillivolts: (ushort)(3500 + n),
            RssiDbm: (sbyte)(-60 - (n % 60)),
            InvokeIdAndPriority: 0x8000_0000u | (uint)n),
        systemTitle ?? (0x4D45_5445_5200_0000UL + (ulong)meter),
        ic ?? (uint)(10 + n),
        Start.AddTicks(7 + (n * 10_001L)),
        $"10.1.2.{meter % 250}:{5000 + n}",
        (EventFlags)(n % 8),
        n % 4 == 0 ? null : $"ckt24-M-{meter}-ü");

    public static Guid MeterId(int meter) => new($"6f1c2a3b-4d5e-4f60-8a7b-{meter:x12}");

    public static List<RecordedEvent> Batch(int from, int count, int meter = 0) =>
        [.. Enumerable.Range(from, count).Select(n => Make(n, meter))];
}
