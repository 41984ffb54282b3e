using System.Globalization;

namespace OpsConsole.Console.Client.Meters;

/// <summary>
/// A meter's mute in force, as every view that shows the meter states it (outage detail, map, unmapped queue): an admin
/// muted it as a chronic false gasper, so its last gasps are stored but take no part in correlation until <see cref="Until"/>.
/// </summary>
public sealed record MeterMuteView(DateTimeOffset Until, string By, string Reason)
{
    /// <summary>"Muted until 2026-12-31 00:00 UTC — flaky capacitor (by ada)".</summary>
    public string Text => string.Create(CultureInfo.InvariantCulture, $"Muted until {Until.UtcDateTime:yyyy-MM-dd HH:mm} UTC — {Reason} (by {By})");
}
