namespace OpsConsole.Engine.Correlation;

/// <summary>
/// A meter muted by an admin (a chronic false gasper): until <see cref="Until"/> its last gasps are stored but open no
/// outage and join none (<see cref="OutageCorrelator.Mute"/>).
/// </summary>
/// <param name="At">When it was muted (engine time).</param>
/// <param name="Until">When the mute ends: a last gasp received at or after it correlates again.</param>
/// <param name="Actor">Who muted it.</param>
/// <param name="Reason">Why (required).</param>
public sealed record MeterMute(DateTimeOffset At, DateTimeOffset Until, string Actor, string Reason);

/// <summary>A meter whose outages were cleared as false positives at least N times in the last M days.</summary>
/// <param name="MeterId">Topology id, or the GUID for a meter not in the topology.</param>
/// <param name="Clears">Its cleared outages in the period.</param>
/// <param name="LastClearAt">The latest of them.</param>
/// <param name="Mute">The mute in force, if any.</param>
public sealed record ChronicMeter(string MeterId, Guid Guid, int Clears, DateTimeOffset LastClearAt, MeterMute? Mute);
