namespace OpsConsole.Engine.Storage;

/// <summary>The correlator's latest checkpoint: at most one is kept; a new one replaces it.</summary>
public interface ICheckpointStore
{
    /// <summary>Where the checkpoint is kept, for log messages (no secrets).</summary>
    string Location { get; }

    /// <summary>Replaces the stored checkpoint, all or nothing; when this returns it is on disk (it survives a crash).</summary>
    void Save(CorrelationCheckpoint checkpoint);

    /// <summary>
    /// The stored checkpoint, or null when there is none. Throws <see cref="InvalidDataException"/> saying why when one is
    /// stored but cannot be read (damaged, cut short, another format version): the caller then replays everything.
    /// </summary>
    CorrelationCheckpoint? Load();

    void Delete();
}

/// <summary>
/// The correlator's state at one point of the live stream, and that point: the last event it took into account and
/// the last operator action applied. A start restores <see cref="State"/> and replays only what came after.
/// </summary>
/// <param name="TakenAt">Wall-clock time it was taken.</param>
/// <param name="State">The engine's bytes (<c>OutageCorrelator.WriteCheckpoint</c>; versioned and checked on their own).</param>
/// <param name="LastTaken">The <c>EventKey</c> bytes of the last event the correlator had taken into account; empty when none.</param>
/// <param name="LastActionId">The id of the last operator action applied (0: none).</param>
/// <param name="EventsTaken">Events handed to the correlator up to this point, counted over every start (diagnostics).</param>
public sealed record CorrelationCheckpoint(DateTimeOffset TakenAt, byte[] State, byte[] LastTaken, int LastActionId, long EventsTaken);
