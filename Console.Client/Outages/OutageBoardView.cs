namespace OpsConsole.Console.Client.Outages;

/// <summary>The board's filters and ordering, kept apart from the markup so they are plain to test.</summary>
public static class OutageBoardView
{
    /// <summary>The states an open outage can be in, in lifecycle order.</summary>
    public static readonly IReadOnlyList<string> OpenStates = ["Suspected", "Confirmed", "Acknowledged", "Dispatched"];

    public static readonly IReadOnlyList<string> Levels = ["Substation", "Feeder", "Device", "Transformer", "Meter", "Unknown"];

    /// <summary>Rows matching every filter given (null or empty = any).</summary>
    public static IEnumerable<OutageRow> Filter(IEnumerable<OutageRow> rows, string? state, string? level, string? feeder) =>
        rows.Where(r => (string.IsNullOrEmpty(state) || r.State == state)
            && (string.IsNullOrEmpty(level) || r.Level == level)
            && (string.IsNullOrEmpty(feeder) || r.Feeder == feeder));

    /// <summary>Highest priority first; then most critical customers, most customers, oldest.</summary>
    public static IEnumerable<OutageRow> ByPriority(IEnumerable<OutageRow> rows) =>
        rows.OrderByDescending(r => r.Priority).ThenByDescending(r => r.CriticalMeters).ThenByDescending(r => r.Meters).ThenBy(r => r.StartedAt).ThenBy(r => r.Id, StringComparer.Ordinal);

    /// <summary>"45 s", "12 min", "3 h 05 min".</summary>
    public static string Age(DateTimeOffset startedAt, DateTimeOffset now)
    {
        var age = now - startedAt;
        if (age < TimeSpan.Zero)
        {
            age = TimeSpan.Zero;
        }

        return age.TotalSeconds < 60 ? $"{(int)age.TotalSeconds} s"
            : age.TotalMinutes < 60 ? $"{(int)age.TotalMinutes} min"
            : $"{(int)age.TotalHours} h {age.Minutes:00} min";
    }

    /// <summary>The colour of a state on the map, the board's chips and the legend.</summary>
    public static string StateHex(string state) => state switch
    {
        "Suspected" => "#ffb300",
        "Confirmed" => "#d50000",
        "Acknowledged" => "#ff4081",
        "Dispatched" => "#00bfa5",
        _ => "#9e9e9e",
    };
}
