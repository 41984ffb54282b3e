using OpsConsole.Engine.Domain;

namespace OpsConsole.Engine.Correlation;

/// <summary>What the correlation engine knows about one meter.</summary>
/// <param name="MeterId">Topology id, or the GUID in canonical form for a meter not in the topology.</param>
/// <param name="Guid">The meter GUID.</param>
/// <param name="TransformerId">The transformer it is correlated under (remaps applied); <see langword="null"/> when unknown.</param>
/// <param name="Remapped">True when <see cref="TransformerId"/> comes from a remap, not from the topology.</param>
/// <param name="IsDown">A genuine last gasp arrived and no power-up since.</param>
/// <param name="LastEventCode">The last correlated event (power down, power up, test power down).</param>
/// <param name="LastEventAt">Its receive time.</param>
/// <param name="OutageId">The open outage it is down in, if any.</param>
/// <param name="Mute">The admin's mute in force at engine time (<see cref="OutageCorrelator.Mute"/>), if any: shown wherever the meter is.</param>
public sealed record MeterStatus(
    string MeterId,
    Guid Guid,
    string? TransformerId,
    bool Remapped,
    bool IsDown,
    MeterEventCode? LastEventCode,
    DateTimeOffset? LastEventAt,
    string? OutageId,
    MeterMute? Mute = null);
