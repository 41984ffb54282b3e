namespace OpsConsole.Engine.Correlation;

/// <summary>
/// One entry of an outage's history: a state change, or an event that changed the outage
/// without changing its state (a level change, a merge, a remap), then with <see cref="From"/> equal to <see cref="State"/>.
/// </summary>
/// <param name="From">The state before; <see langword="null"/> for the entry that created the outage.</param>
/// <param name="State">The state after.</param>
/// <param name="At">When, in engine time (event receive times and <c>Advance</c> times; operator-supplied for operator actions).</param>
/// <param name="Actor"><c>"engine"</c>, or the user or API client that acted.</param>
/// <param name="Note">Crew, reason or what happened, when there is something to say.</param>
public sealed record OutageTransition(OutageState? From, OutageState State, DateTimeOffset At, string Actor, string? Note);
