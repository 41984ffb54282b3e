using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Application.Outages;

/// <summary>One open outage as a board row: the outage with the names the network gives its element.</summary>
/// <param name="DeviceName">The failed element's name in the network, when it has one.</param>
/// <param name="Feeder">The feeder it lies on, when the element is in the network.</param>
/// <param name="Address">
/// Where to send a crew: the element's address in the network, else the address of the meter below it nearest to it
/// (<paramref name="AddressMeterId"/>); null when neither has one.
/// </param>
/// <param name="AddressMeterId">The meter whose address <paramref name="Address"/> is, when the element has none of its own.</param>
public sealed record OutageRowView(Outage Outage, string? DeviceName, string? Feeder, string? Address = null, string? AddressMeterId = null);

/// <summary>A customer behind an outage's failed element.</summary>
/// <param name="Reported">Its last gasp was correlated into the outage.</param>
/// <param name="Down">Not powered up since its last gasp.</param>
/// <param name="Critical">Marked critical in the network.</param>
/// <param name="LastEvent">Its latest stored event, when asked for (REST), else null.</param>
/// <param name="Mute">Its mute in force, if any: its last gasps are stored but take no part in correlation.</param>
public sealed record OutageMeterView(string MeterId, Guid Guid, bool Reported, bool Down, bool Critical, RecordedEvent? LastEvent, MeterMute? Mute = null);

/// <summary>One outage with every customer behind it (timeline: <see cref="Outage.History"/>).</summary>
public sealed record OutageDetailView(OutageRowView Row, IReadOnlyList<OutageMeterView> Meters);

/// <summary>
/// One open outage as the map draws it: the transformers at or below the failed element, and its customers that did
/// not report (the reporting ones are <see cref="Outage.ReportingMeterIds"/>).
/// </summary>
public sealed record OutageOverlayView(Outage Outage, IReadOnlyList<string> Transformers, IReadOnlyList<string> Silent);
