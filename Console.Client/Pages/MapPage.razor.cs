using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using OpsConsole.Console.Client.Map;
using OpsConsole.Console.Client.Outages;

namespace OpsConsole.Console.Client.Pages;

/// <summary>
/// The network on a Leaflet map (drawn by opsmap.js on a canvas) with the details of the
/// element a user clicks: kind, customers below, upstream chain.
/// </summary>
public partial class MapPage
{
    private const string ModulePath = "./_content/OpsConsole.Console.Client/opsmap.js";

    private ElementReference _mapElement;
    private IJSObjectReference? _module;
    private IJSObjectReference? _map;
    private DotNetObjectReference<MapPage>? _self;
    private ElementDetails? _selected;
    private string? _notFound;
    private string _status = "Loading the network…";

    [Inject]
    public required INetworkMapSource Source { get; set; }

    [Inject]
    public required IJSRuntime JS { get; set; }

    /// <summary>The unmapped-meter count, remaps applied, pushed as admins map meters.</summary>
    [Inject]
    public required IUnmappedMeterCount Unmapped { get; set; }

    /// <summary>The open outages, pushed over the circuit as they change (no polling).</summary>
    [Inject]
    public required IOutageBoardSource Outages { get; set; }

    /// <summary>An outage to zoom to once drawn (from the board's "Show on map").</summary>
    [SupplyParameterFromQuery(Name = "outage")]
    public string? OutageId { get; set; }

    private OutageRow? _selectedOutage;
    private bool _drawn;
    private IDisposable? _subscription;

    private NetworkSummary Summary { get; set; } = null!;

    private int _unmapped;
    private IDisposable? _unmappedSubscription;

    protected override void OnParametersSet() => Summary = Source.GetSummary();

    protected override async Task OnInitializedAsync()
    {
        Summary = Source.GetSummary(); // the first render comes while the count is read, before OnParametersSet
        _unmapped = await Unmapped.GetAsync();
    }

    /// <summary>Unmapped meters drawn with a line to their top suggestion, at most.</summary>
    public const int UnmappedLines = 200;

    private Task OnUnmappedChangedAsync(int count) => InvokeAsync(async () =>
    {
        _unmapped = count;
        StateHasChanged();
        await PushUnmappedAsync();
    });

    private async Task PushUnmappedAsync()
    {
        if (_map is null || !_drawn)
        {
            return;
        }

        try
        {
            await _map.InvokeVoidAsync("setUnmapped", await Unmapped.TopSuggestionLinesAsync(UnmappedLines));
        }
        catch (JSDisconnectedException)
        {
            // The tab is gone; DisposeAsync unsubscribes.
        }
    }

    /// <summary>Called by the map when an element is clicked, and by the details panel's links.</summary>
    [JSInvokable]
    public async Task SelectElement(string id)
    {
        _selected = await Source.GetDetailsAsync(id);
        _notFound = _selected is null ? id : null;
        if (_selected is not null && _map is not null)
        {
            // The map holds only the tiles in view: it is told where the element is.
            await _map.InvokeVoidAsync("highlight", id, _selected.Longitude, _selected.Latitude);
        }

        StateHasChanged();
    }

    /// <summary>
    /// Called by the map once the first view of the network is drawn (it loads the network by area and level of
    /// detail as the view moves): outages go on top, and the one asked for is shown.
    /// </summary>
    [JSInvokable]
    public async Task NetworkDrawn(int meterMinZoom)
    {
        _status = $"Drawn by area: {Summary.Transformers} transformers, {Summary.Devices} devices, {Summary.Lines} line segments; " +
            $"the {Summary.Meters} meters appear from zoom {meterMinZoom}.";
        _drawn = true;
        StateHasChanged();
        await ShowOutagesWhenReadyAsync();
    }

    /// <summary>
    /// Draws the outages and zooms to the one in the address once the map is both drawn and handed back:
    /// opsmap.js's create() reports NetworkDrawn before it returns the map object, so whichever of the two
    /// comes second does it (once).
    /// </summary>
    private async Task ShowOutagesWhenReadyAsync()
    {
        if (_map is null || !_drawn)
        {
            return;
        }

        await PushOutagesAsync();
        await PushUnmappedAsync();
        if (!string.IsNullOrEmpty(OutageId))
        {
            await SelectOutage(OutageId);
        }
    }

    /// <summary>Called by the map when an outage marker is clicked (and for the address's outage): details, and the view fitted to it.</summary>
    [JSInvokable]
    public async Task SelectOutage(string id)
    {
        _selectedOutage = Outages.Current.Rows.FirstOrDefault(r => r.Id == id);
        if (_selectedOutage is not null)
        {
            await SelectElement(_selectedOutage.DeviceId);
            if (_map is not null)
            {
                await _map.InvokeAsync<bool>("zoomToOutage", id);
            }
        }

        StateHasChanged();
    }

    private Task OnOutagesChangedAsync() => InvokeAsync(PushOutagesAsync);

    private async Task PushOutagesAsync()
    {
        if (_map is null || !_drawn)
        {
            return;
        }

        try
        {
            await _map.InvokeVoidAsync("setOutages", Outages.GetMapOverlay());
        }
        catch (JSDisconnectedException)
        {
            // The tab is gone; DisposeAsync unsubscribes.
        }
    }

    /// <summary>Called by the map when the network's summary could not be loaded.</summary>
    [JSInvokable]
    public void NetworkFailed(string message)
    {
        _status = "The network could not be drawn: " + message;
        StateHasChanged();
    }

    private async Task ClearSelection()
    {
        _selected = null;
        _notFound = null;
        if (_map is not null)
        {
            await _map.InvokeVoidAsync("highlight", (string?)null, 0.0, 0.0);
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }

        _self = DotNetObjectReference.Create(this);
        _subscription = Outages.Subscribe(OnOutagesChangedAsync);
        _unmappedSubscription = Unmapped.Subscribe(OnUnmappedChangedAsync);
        _module = await JS.InvokeAsync<IJSObjectReference>("import", ModulePath);
        _map = await _module.InvokeAsync<IJSObjectReference>("create", _mapElement, _self, Source.NetworkUrl, Source.TileUrl);
        await ShowOutagesWhenReadyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        _subscription?.Dispose();
        _unmappedSubscription?.Dispose();
        try
        {
            if (_map is not null)
            {
                await _map.InvokeVoidAsync("dispose");
                await _map.DisposeAsync();
            }

            if (_module is not null)
            {
                await _module.DisposeAsync();
            }
        }
        catch (JSDisconnectedException)
        {
            // The circuit is gone with the browser tab: nothing left to clean up there.
        }

        _self?.Dispose();
    }
}
