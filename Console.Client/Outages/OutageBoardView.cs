namespace OpsConsole.Console.Client.Outages;

/// <summary>The board's filters and ordering, kept apart from the markup so they are plain to test.</summary>
public static class OutageBoardView
{
    /// <summary>The states an open outage can be in, in lifecycle order.</summary>
    public static readonly IReadOnlyList<OutageStateView> OpenStates =
        [OutageStateView.Suspected, OutageStateView.Confirmed, OutageStateView.Acknowledged, OutageStateView.Dispatched];

    /// <summary>The states of a closed outage.</summary>
    public static readonly IReadOnlyList<OutageStateView> ClosedStates =
        [OutageStateView.Restored, OutageStateView.Cleared, OutageStateView.Momentary];

    /// <summary>The state filter's value (<c>?state=</c>) for every closed outage.</summary>
    public const string AllClosed = "closed";

    /// <summary>The state filter's value (<c>?state=</c>) for every outage, open and closed.</summary>
    public const string All = "all";

    /// <summary>
    /// What a state filter from the address selects: open outages only (no filter, or an open state), closed ones too
    /// (a closed state, <see cref="AllClosed"/>, <see cref="All"/>), and the one state to keep, if any.
    /// </summary>
    public static (bool Open, bool Closed, OutageStateView? State) StateFilter(string? text)
    {
        if (string.Equals(text, All, StringComparison.OrdinalIgnoreCase))
        {
            return (true, true, null);
        }

        if (string.Equals(text, AllClosed, StringComparison.OrdinalIgnoreCase))
        {
            return (false, true, null);
        }

        return Parse<OutageStateView>(text) is { } state
            ? (OpenStates.Contains(state), ClosedStates.Contains(state), state)
            : (true, false, null);
    }

    /// <summary>
    /// The board's rows for a state filter, level, feeder and search: open outages by priority, then closed ones most
    /// recent first. <paramref name="closed"/> is read only when the filter asks for closed outages;
    /// <paramref name="withMeter"/> (the outages with a meter whose id contains the search) only when there is a search.
    /// </summary>
    public static IReadOnlyList<OutageRow> Rows(IReadOnlyList<OutageRow> open, Func<IReadOnlyList<OutageRow>> closed, string? state, OutageLevelView? level, string? feeder,
        string? search = null, Func<string, IReadOnlySet<string>>? withMeter = null)
    {
        ArgumentNullException.ThrowIfNull(closed);
        var (withOpen, withClosed, only) = StateFilter(state);
        string query = search?.Trim() ?? "";
        IReadOnlySet<string> meterHits = query.Length > 0 && withMeter is not null ? withMeter(query) : new HashSet<string>();
        IEnumerable<OutageRow> Found(IEnumerable<OutageRow> rows) => query.Length == 0 ? rows : rows.Where(r => Matches(r, query, meterHits));
        var rows = new List<OutageRow>();
        if (withOpen)
        {
            rows.AddRange(ByPriority(Found(Filter(open, only, level, feeder))));
        }

        if (withClosed)
        {
            rows.AddRange(Found(Filter(closed(), only, level, feeder)).OrderByDescending(r => r.StartedAt).ThenBy(r => r.Id, StringComparer.Ordinal));
        }

        return rows;
    }

    /// <summary>
    /// Whether a row answers the board's search (case-insensitive, part of a word is enough): its outage id, element id,
    /// element name or address contains <paramref name="query"/>, or it is one of <paramref name="withMeter"/> (the outages
    /// with a meter whose id contains it, which the server finds).
    /// </summary>
    public static bool Matches(OutageRow row, string query, IReadOnlySet<string> withMeter)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(withMeter);
        bool Has(string? text) => text is not null && text.Contains(query, StringComparison.OrdinalIgnoreCase);
        return Has(row.Id) || Has(row.DeviceId) || Has(row.DeviceName) || Has(row.Address) || withMeter.Contains(row.Id);
    }

    /// <summary>Where the board's address comes from, for its tooltip: empty for the element's own address.</summary>
    public static string AddressNote(OutageRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.AddressMeterId is { } meter && row.Address is not null ? $"Address of meter {meter}, the nearest below {row.DeviceId}" : "";
    }

    /// <summary>When an outage started, in UTC like the timelines: "18:05" today, "24 Nov 18:05" before.</summary>
    public static string Started(DateTimeOffset startedAt, DateTimeOffset now)
    {
        var at = startedAt.UtcDateTime;
        return at.Date == now.UtcDateTime.Date
            ? at.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture)
            : at.ToString("d MMM HH:mm", System.Globalization.CultureInfo.InvariantCulture);
    }

    public static readonly IReadOnlyList<OutageLevelView> Levels = Enum.GetValues<OutageLevelView>();

    /// <summary>Rows matching every filter given (null = any).</summary>
    public static IEnumerable<OutageRow> Filter(IEnumerable<OutageRow> rows, OutageStateView? state, OutageLevelView? level, string? feeder) =>
        rows.Where(r => (state is null || r.State == state)
            && (level is null || r.Level == level)
            && (string.IsNullOrEmpty(feeder) || r.Feeder == feeder));

    /// <summary>A filter value from the address (<c>?state=Confirmed</c>): null when absent or not a value of <typeparamref name="T"/>.</summary>
    public static T? Parse<T>(string? text)
        where T : struct, Enum =>
        !string.IsNullOrEmpty(text) && Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value) ? value : null;

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

    /// <summary>
    /// Restoration under way, as it happens: "Restoring: 120 of 134 back" once some of an open outage's reporting meters
    /// powered up; empty otherwise.
    /// </summary>
    public static string Restoration(OutageRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        int back = row.ReportingMeters - row.MetersDown;
        bool open = OpenStates.Contains(row.State);
        return open && back > 0 && row.MetersDown > 0 ? $"Restoring: {back} of {row.ReportingMeters} back" : "";
    }

    /// <summary>
    /// A customer behind the failed element as the detail lists it: a reporting meter is "down" until its power-up,
    /// then "back"; a silent one (no last gasp) behind an open outage is presumed out, not up: it sent nothing either way.
    /// </summary>
    public static string MeterStatus(OutageMeter meter, OutageStateView outage)
    {
        ArgumentNullException.ThrowIfNull(meter);
        if (meter.Reported)
        {
            return meter.Down ? "reported · down" : "reported · back";
        }

        return meter.Down ? "silent · down" : OpenStates.Contains(outage) ? "silent · presumed out" : "silent";
    }

    /// <summary>The colour of a state on the map, the board's chips and the legend.</summary>
    public static string StateHex(OutageStateView state) => state switch
    {
        OutageStateView.Suspected => "#ffb300",
        OutageStateView.Confirmed => "#d50000",
        OutageStateView.Acknowledged => "#ff4081",
        OutageStateView.Dispatched => "#00bfa5",
        _ => "#9e9e9e",
    };
}
