using Bunit;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using OpsConsole.Console.Client.Map;
using OpsConsole.Console.Client.Pages;
using OpsConsole.Console.Server.Map;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.LiteDb;
using OpsConsole.Engine.Topology;

namespace OpsConsole.Server.Tests;

/// <summary>The map page and the details panel over a real in-memory topology (no browser).</summary>
public sealed class MapPageTests : IAsyncLifetime
{
    private readonly BunitContext _ctx = new();
    private readonly TempFolder _folder = new();
    private readonly LiteStore _store;
    private readonly OutageBoardTests.FakeBoard _outages = OutageBoardTests.FakeBoard.Empty();
    private readonly FakeUnmappedCount _unmapped = new() { Count = 1 };

    public MapPageTests()
    {
        // As the server runs: the full features in the store, a lean index in memory.
        _store = new LiteStore(_folder.Path);
        var topologyStore = new LiteTopologyStore(_store, TimeProvider.System);
        var features = SmallNetwork.Import().Features;
        topologyStore.Save(features, "small");
        var state = new TopologyState();
        state.Replace(OpsConsole.Gis.Topology.NetworkTopology.Build(features, keepExtraProperties: false));
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _ctx.Services.AddMudServices();
        _ctx.Services.AddSingleton<OpsConsole.Console.Client.Outages.IOutageBoardSource>(_outages);
        _ctx.Services.AddSingleton<INetworkMapSource>(new TopologyMapSource(state, topologyStore, Options.Create(new MapOptions())));
        _ctx.Services.AddSingleton<IUnmappedMeterCount>(_unmapped);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _ctx.DisposeAsync();
        _store.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public void MapPage_ShowsTheNetworkCounts()
    {
        var cut = _ctx.Render<MapPage>();

        var text = cut.Markup;
        Assert.Contains("Network: North Sub", text, StringComparison.Ordinal);
        Assert.Contains("3 transformers", text, StringComparison.Ordinal);
        Assert.Contains("5 meters", text, StringComparison.Ordinal);
        Assert.Contains("2 protective devices", text, StringComparison.Ordinal);
        Assert.Contains("1 unmapped meters", text, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[aria-label='Element details']"));
    }

    [Fact]
    public async Task MapPage_UnmappedCount_FollowsRemapsLive()
    {
        _ctx.JSInterop.SetupModule("./_content/OpsConsole.Console.Client/opsmap.js");
        var cut = _ctx.Render<MapPage>();
        Assert.Equal("1 unmapped meters", cut.Find("[aria-label='Unmapped meters']").TextContent.Trim());

        await _unmapped.PushAsync(3);
        Assert.Equal("3 unmapped meters", cut.Find("[aria-label='Unmapped meters']").TextContent.Trim());

        await _unmapped.PushAsync(0); // the last one mapped: the chip goes
        Assert.Empty(cut.FindAll("[aria-label='Unmapped meters']"));
    }

    [Fact]
    public async Task MapPage_DrawsUnmappedMetersWithALineToTheirTopSuggestion_AndRedrawsAfterARemap()
    {
        var module = _ctx.JSInterop.SetupModule("./_content/OpsConsole.Console.Client/opsmap.js");
        var map = module.SetupModule("create", _ => true);
        map.Mode = JSRuntimeMode.Loose;
        _unmapped.Lines = [-89.01, 40.01, -89.002, 40.003];
        var cut = _ctx.Render<MapPage>();

        await cut.InvokeAsync(() => cut.Instance.NetworkDrawn(17));
        var first = Assert.Single(map.Invocations["setUnmapped"]);
        Assert.Equal(_unmapped.Lines, Assert.IsType<double[]>(first.Arguments[0]));

        _unmapped.Lines = [];
        await _unmapped.PushAsync(0); // mapped: the line goes with the count
        cut.WaitForAssertion(() => Assert.Equal(2, map.Invocations["setUnmapped"].Count));
        Assert.Empty(Assert.IsType<double[]>(map.Invocations["setUnmapped"][1].Arguments[0]));
    }

    [Fact]
    public void MapPage_StartsTheMapWithTheNetworkFeed()
    {
        var module = _ctx.JSInterop.SetupModule("./_content/OpsConsole.Console.Client/opsmap.js");

        _ctx.Render<MapPage>();

        var create = module.VerifyInvoke("create");
        Assert.Equal("console/network/", create.Arguments[2]);
        Assert.Equal("", create.Arguments[3]);
    }

    [Fact]
    public async Task MapPage_PushesTheOutagesOnceDrawn_AndAgainWhenTheyChange()
    {
        var module = _ctx.JSInterop.SetupModule("./_content/OpsConsole.Console.Client/opsmap.js");
        var map = module.SetupModule("create", _ => true);
        map.Mode = JSRuntimeMode.Loose;
        _outages.Set(new OpsConsole.Console.Client.Outages.OutageRow("O-1", OpsConsole.Console.Client.Outages.OutageLevelView.Transformer, "T1", "T1", "F1", OpsConsole.Console.Client.Outages.OutageStateView.Confirmed, 3, 2, 1, DateTimeOffset.UnixEpoch, 10, 2));
        var cut = _ctx.Render<MapPage>();

        await cut.InvokeAsync(() => cut.Instance.NetworkDrawn(17));
        var first = Assert.Single(map.Invocations["setOutages"]);
        var items = Assert.IsAssignableFrom<IReadOnlyList<OpsConsole.Console.Client.Outages.OutageMapItem>>(first.Arguments[0]);
        Assert.Equal("O-1", Assert.Single(items).Id);

        _outages.Set(); // the storm is restored: the page pushes without being asked
        cut.WaitForAssertion(() => Assert.Equal(2, map.Invocations["setOutages"].Count));
        Assert.Empty(Assert.IsAssignableFrom<IReadOnlyList<OpsConsole.Console.Client.Outages.OutageMapItem>>(map.Invocations["setOutages"][1].Arguments[0]));
    }

    [Fact]
    public async Task MapPage_OpenedForAnOutage_DrawsAndZoomsToIt_ThoughTheMapReportsDrawnBeforeCreateReturns()
    {
        // As opsmap.js does it: create() awaits NetworkDrawn and only then hands the map object back.
        var js = new GatedMapRuntime();
        _ctx.Services.AddSingleton<Microsoft.JSInterop.IJSRuntime>(js);
        _outages.Set(new OpsConsole.Console.Client.Outages.OutageRow("O-1", OpsConsole.Console.Client.Outages.OutageLevelView.Transformer, "T1", "T1", "F1", OpsConsole.Console.Client.Outages.OutageStateView.Confirmed, 3, 2, 1, DateTimeOffset.UnixEpoch, 10, 2));
        _ctx.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().NavigateTo("map?outage=O-1");
        var cut = _ctx.Render<MapPage>();
        cut.WaitForAssertion(() => Assert.True(js.CreateCalled));

        await cut.InvokeAsync(() => cut.Instance.NetworkDrawn(17));
        Assert.Empty(js.MapCalls);
        js.ReturnTheMap();

        cut.WaitForAssertion(() => Assert.Equal(["setOutages", "setUnmapped", "highlight", "zoomToOutage"], js.MapCalls.Select(c => c.Name)));
        var pushed = Assert.IsAssignableFrom<IReadOnlyList<OpsConsole.Console.Client.Outages.OutageMapItem>>(js.MapCalls[0].Args[0]);
        Assert.Equal("O-1", Assert.Single(pushed).Id);
        Assert.Equal("O-1", js.MapCalls[3].Args[0]);
        Assert.Contains("Outage O-1: Transformer", cut.Find("[aria-label='Selected outage']").TextContent, StringComparison.Ordinal);
    }

    /// <summary>
    /// A JS runtime for the map page alone: import gives the module, whose create() waits until
    /// <see cref="ReturnTheMap"/> and then gives a map object that records what the page asks of it.
    /// </summary>
    private sealed class GatedMapRuntime : Microsoft.JSInterop.IJSRuntime
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<(string Name, object?[] Args)> _mapCalls = [];

        public volatile bool CreateCalled;

        public IReadOnlyList<(string Name, object?[] Args)> MapCalls
        {
            get
            {
                lock (_mapCalls)
                {
                    return [.. _mapCalls];
                }
            }
        }

        public void ReturnTheMap() => _gate.SetResult();

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) =>
            identifier == "import" ? new((TValue)(object)new Reference(this, isModule: true)) : default;

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) => InvokeAsync<TValue>(identifier, args);

        private sealed class Reference(GatedMapRuntime runtime, bool isModule) : Microsoft.JSInterop.IJSObjectReference
        {
            public async ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args)
            {
                if (isModule && identifier == "create")
                {
                    runtime.CreateCalled = true;
                    await runtime._gate.Task;
                    return (TValue)(object)new Reference(runtime, isModule: false);
                }

                if (!isModule)
                {
                    lock (runtime._mapCalls)
                    {
                        runtime._mapCalls.Add((identifier, args ?? []));
                    }
                }

                return default!;
            }

            public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) => InvokeAsync<TValue>(identifier, args);

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task SelectingATransformer_ShowsKindCustomersCriticalAndUpstreamChain()
    {
        var cut = _ctx.Render<MapPage>();

        await cut.InvokeAsync(() => cut.Instance.SelectElement("T1"));

        var panel = cut.Find("[aria-label='Element details']");
        Assert.Equal("transformer (25 kVA, phase A)", panel.QuerySelector("td[data-field=kind]")!.TextContent);
        Assert.Equal("3", panel.QuerySelector("td[data-field=customers]")!.TextContent);
        Assert.Contains("Critical customers", panel.TextContent, StringComparison.Ordinal);
        var chain = cut.FindAll("[aria-label='Upstream chain'] li").Select(li => li.TextContent.Trim()).ToList();
        Assert.Equal(["device: Fuse 2", "device: Breaker 1", "feeder: Feeder 1", "substation: North Sub"], chain);

        // Extra properties are not in the lean snapshot: the panel reads them from the store.
        var attributes = cut.Find("[aria-label='Attributes']").TextContent;
        Assert.Contains("owner", attributes, StringComparison.Ordinal);
        Assert.Contains("North Co-op", attributes, StringComparison.Ordinal);
        Assert.Contains("12.5", attributes, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FollowingAnUpstreamLink_ShowsThatElement()
    {
        var cut = _ctx.Render<MapPage>();
        await cut.InvokeAsync(() => cut.Instance.SelectElement("M2"));

        cut.FindAll("[aria-label='Upstream chain'] button").First(a => a.TextContent.Contains("Breaker 1", StringComparison.Ordinal)).Click();

        var panel = cut.Find("[aria-label='Element details']");
        Assert.Equal("device (breaker)", panel.QuerySelector("td[data-field=kind]")!.TextContent);
        Assert.Equal("4", panel.QuerySelector("td[data-field=customers]")!.TextContent);
    }

    [Fact]
    public async Task SelectingAnUnmappedMeter_SaysItsOutagesAreUnknown()
    {
        var cut = _ctx.Render<MapPage>();

        await cut.InvokeAsync(() => cut.Instance.SelectElement("M9"));

        Assert.Contains("Not mapped to a transformer", cut.Find("[aria-label='Element details']").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[aria-label='Upstream chain']"));
    }

    [Fact]
    public async Task SelectingAnUnknownId_SaysSo_AndClosingClearsThePanel()
    {
        var cut = _ctx.Render<MapPage>();

        await cut.InvokeAsync(() => cut.Instance.SelectElement("NOPE"));
        Assert.Contains("No element 'NOPE'", cut.Markup, StringComparison.Ordinal);

        await cut.InvokeAsync(() => cut.Instance.SelectElement("T2"));
        cut.Find("button[aria-label='Close details']").Click();
        Assert.Empty(cut.FindAll("[aria-label='Element details']"));
    }
}

/// <summary>The unmapped-meter count as a test sets it; <see cref="PushAsync"/> is what a remap does.</summary>
internal sealed class FakeUnmappedCount : IUnmappedMeterCount
{
    private readonly List<Func<int, Task>> _subscribers = [];

    public int Count { get; set; }

    public Task<int> GetAsync() => Task.FromResult(Count);

    public double[] Lines { get; set; } = [];

    public Task<double[]> TopSuggestionLinesAsync(int max) => Task.FromResult(Lines);

    public IDisposable Subscribe(Func<int, Task> onChange)
    {
        _subscribers.Add(onChange);
        return new Unsubscribe(() => _subscribers.Remove(onChange));
    }

    public async Task PushAsync(int count)
    {
        Count = count;
        foreach (var s in _subscribers.ToList())
        {
            await s(count);
        }
    }

    private sealed class Unsubscribe(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }
}
