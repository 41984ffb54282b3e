namespace OpsConsole.Console.Client.Outages;

/// <summary>
/// A click on an outage's row, carrying the id the clicked element showed in the page (its <c>data-outage-id</c>,
/// read in the browser when the click happened; registered as the custom event <c>outageclick</c> in
/// <c>opsreconnect.js</c> before Blazor starts). The board's rows are re-sorted while a storm qualifies; an event bound
/// to a handler of the render that drew the row would reach whatever that row shows by the time the server handles it.
/// </summary>
public sealed class OutageClickEventArgs : EventArgs
{
    public string? OutageId { get; set; }
}
