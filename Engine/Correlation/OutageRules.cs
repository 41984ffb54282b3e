namespace OpsConsole.Engine.Correlation;

/// <summary>An operator action on an outage, as <see cref="OutageRules"/> allows it by state.</summary>
public enum OutageAction
{
    Acknowledge,
    Dispatch,
    Restore,
    Clear,
}

/// <summary>
/// Which operator action the engine accepts in which state: the one table <see cref="OutageCorrelator"/> applies and
/// the pages read to offer only what the server will accept (the server still decides: the outage may change meanwhile).
/// </summary>
public static class OutageRules
{
    private static readonly OutageState[] Open = [OutageState.Suspected, OutageState.Confirmed, OutageState.Acknowledged, OutageState.Dispatched];
    private static readonly OutageState[] AcknowledgeFrom = [OutageState.Confirmed];
    private static readonly OutageState[] DispatchFrom = [OutageState.Confirmed, OutageState.Acknowledged];

    /// <summary>The states <paramref name="action"/> may start from.</summary>
    public static IReadOnlyList<OutageState> From(OutageAction action) => action switch
    {
        OutageAction.Acknowledge => AcknowledgeFrom,
        OutageAction.Dispatch => DispatchFrom,
        OutageAction.Restore or OutageAction.Clear => Open,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "an outage action the engine does not know"),
    };

    /// <summary>True when the engine accepts <paramref name="action"/> on an outage in <paramref name="state"/>.</summary>
    public static bool Allows(OutageAction action, OutageState state) => From(action).Contains(state);
}
