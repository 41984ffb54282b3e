using OpsConsole.Engine.Domain;

namespace OpsConsole.Engine.Protocols.Dlms;

/// <summary>
/// What <see cref="FrameDecoder.Decode"/> found: the status, and every field known at the point the
/// decode stopped, for the event-processor log (wire-format.md §5: "where known, the meter").
/// </summary>
public readonly record struct FrameDecodeResult
{
    /// <summary>The outcome.</summary>
    public FrameDecodeStatus Status { get; init; }

    /// <summary>The precise cause; <see cref="DlmsFrameError.None"/> for <see cref="FrameDecodeStatus.Ok"/>, <see cref="FrameDecodeStatus.UnknownSystemTitle"/> and <see cref="FrameDecodeStatus.RogueGuid"/>.</summary>
    public DlmsFrameError Error { get; init; }

    /// <summary>The decoded event (<see cref="FrameDecodeStatus.Ok"/>, and <see cref="FrameDecodeStatus.RogueGuid"/> for the audit log).</summary>
    public MeterEvent Event { get; init; }

    /// <summary>The system title (big-endian value of its 8 bytes), when the frame got that far.</summary>
    public ulong? SystemTitle { get; init; }

    /// <summary>The invocation counter, when the frame got that far. Replay checks are the ingest stage's.</summary>
    public uint? InvocationCounter { get; init; }

    /// <summary>The GUID registered for the system title, once the lookup succeeded.</summary>
    public Guid? RegisteredMeterId { get; init; }

    /// <summary>The first plaintext byte for <see cref="FrameDecodeStatus.NotADataNotification"/> (null when the plaintext is empty).</summary>
    public byte? PlaintextTag { get; init; }

    /// <summary>True for <see cref="FrameDecodeStatus.Ok"/>.</summary>
    public bool IsOk => Status == FrameDecodeStatus.Ok;
}
