namespace OpsConsole.Engine.Storage;

/// <summary>
/// An operator operation or remap as persisted (<see cref="IOperatorActionStore"/>), replayed
/// at start at the point of the event stream where it was applied live (<see cref="AfterEvent"/>), so that
/// a restart rebuilds the same outages. Applied to the correlator by
/// <see cref="Correlation.Hosting.OperatorActionReplay.ApplyTo"/>; kept free of correlation types so that storage
/// does not depend on correlation.
/// </summary>
public sealed class OperatorAction
{
    public const string RemapKind = "remap";
    public const string AcknowledgeKind = "acknowledge";
    public const string DispatchKind = "dispatch";
    public const string RestoreKind = "restore";
    public const string ClearKind = "clear";

    /// <summary>Restoration verification: <see cref="Meter"/> (comma-separated ids) found still off become nested outages of <see cref="OutageId"/>.</summary>
    public const string NestKind = "nest";

    /// <summary>An admin mutes <see cref="Meter"/> until <see cref="UntilTicks"/>, <see cref="Note"/> saying why.</summary>
    public const string MuteKind = "mute";

    /// <summary>An admin lifts <see cref="Meter"/>'s mute.</summary>
    public const string UnmuteKind = "unmute";

    /// <summary>Sequence in the store (assigned on insert): the tie-break of equal times.</summary>
    public int Id { get; set; }

    public string Kind { get; set; } = "";

    /// <summary>UTC ticks of the operation.</summary>
    public long AtTicks { get; set; }

    public string Actor { get; set; } = "";

    public string? OutageId { get; set; }

    public string? Meter { get; set; }

    public string? Transformer { get; set; }

    public string? Crew { get; set; }

    public string? Note { get; set; }

    /// <summary>A mute's end (UTC ticks); 0 for other kinds.</summary>
    public long UntilTicks { get; set; }

    /// <summary>
    /// Where the action was applied live: the <see cref="Events.EventKey"/> bytes of the last event the
    /// correlator had taken into account (correlated or recorded as a test) before it; empty when there was none
    /// yet. The replay applies the action right after that event, not by time: an event received just before the
    /// action but handed to correlation just after it must stay after it. <see langword="null"/> in actions stored
    /// before this was recorded: those are replayed by time.
    /// </summary>
    public byte[]? AfterEvent { get; set; }

    public DateTimeOffset At => new(AtTicks, TimeSpan.Zero);
}
