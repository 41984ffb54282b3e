namespace OpsConsole.Engine.Correlation;

/// <summary>
/// Customers given back their supply at one moment, for the IEEE 1366 indices (customer minutes
/// interrupted = Σ customers × (<see cref="At"/> − the outage's <c>StartedAt</c>)).
/// </summary>
public sealed record RestorationStep(DateTimeOffset At, int CustomersRestored);
