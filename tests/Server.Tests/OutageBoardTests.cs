using System.Security.Claims;
using Bunit;
using Microsoft.AspNetCore.Components;
using MudBlazor.Services;
using OpsConsole.Console.Client.Outages;
using OpsConsole.Console.Client.Pages;

namespace OpsConsole.Server.Tests;

/// <summary>The outage board over in-memory state (no engine, no browser): order, filters, detail, actions, roles, alerts.</summary>
public sealed class OutageBoardTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 18, 30, 0, TimeSpan.Zero);
    private readonly BunitContext _ctx = new();
    private readonly FakeBoard _board = new();

    public OutageBoardTests()
    {
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _ctx.Services.AddMudServices();
        _ctx.Services.AddSingleton<IOutageBoardSource>(_board);
        _ctx.Services.AddSingleton<TimeProvider>(new FixedTime(Now));
        _board.Set(
            Row("O-1", "Transformer", "T1", "Feeder 1", "Suspected", meters: 3, critical: 0, priority: 3, minutesAgo: 1),
            Row("O-2", "Device", "D2", "Feeder 1", "Confirmed", meters: 40, critical: 1, priority: 90, minutesAgo: 12),
            Row("O-3", "Unknown", "M9", null, "Confirmed", meters: 1, critical: 0, priority: 1, minutesAgo: 3),
            Row("O-4", "Feeder", "F2", "F2", "Dispatched", meters: 500, critical: 2, priority: 600, minutesAgo: 30));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    private static OutageRow Row(string id, string level, string device, string? feeder, string state, int meters, int critical, int priority, int minutesAgo) =>
        new(id, Enum.Parse<OutageLevelView>(level), device, device + " name", feeder, Enum.Parse<OutageStateView>(state), meters, Math.Min(meters, 2), critical, Now.AddMinutes(-minutesAgo), priority, Math.Min(meters, 2));

    /// <summary>The layout's header strip and critical alerts (on every page; it needs no role of its own). Render a page first: it signs in.</summary>
    private IRenderedComponent<OpsConsole.Console.Client.Layout.OutageStatusStrip> RenderStrip(bool interactive = true)
    {
        _ctx.Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo(interactive ? "Server" : "Static", interactive));
        return _ctx.Render<OpsConsole.Console.Client.Layout.OutageStatusStrip>();
    }

    private IRenderedComponent<OutageBoardPage> RenderAs(string role, string url = "outages", bool interactive = true)
    {
        var auth = _ctx.AddAuthorization();
        auth.SetAuthorized(role == "admin" ? "ada" : "dana");
        auth.SetRoles(role);
        _ctx.Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo(interactive ? "Server" : "Static", interactive)); // the board's controls wait for the circuit
        _ctx.Services.GetRequiredService<NavigationManager>().NavigateTo(url);
        return _ctx.Render<OutageBoardPage>();
    }

    /// <summary>Clicks a row's cell and waits for its detail panel (the click handler is asynchronous).</summary>
    private static void OpenRow(IRenderedComponent<OutageBoardPage> cut, int index)
    {
        // What the browser sends (opsreconnect.js): the clicked cell's outage id, read from the page.
        var cell = cut.FindAll("tbody tr")[index].QuerySelector("td[data-label='Element']")!;
        cell.TriggerEvent("onoutageclick", new OutageClickEventArgs { OutageId = cell.GetAttribute("data-outage-id") });
        cut.WaitForElement("[aria-label='Outage details']");
    }

    private static string[] Elements(IRenderedComponent<OutageBoardPage> cut) =>
        [.. cut.FindAll("tbody tr td[data-label='Element']").Select(td => td.TextContent.Trim())];

    [Fact]
    public void Board_SortsByPriority_AndTheStripShowsTheHeaderFigures()
    {
        var cut = RenderAs("dispatcher");
        Assert.Equal(["F2 name", "D2 name", "T1 name", "M9 name"], Elements(cut));
        Assert.Equal("12 min", cut.FindAll("tbody tr")[1].QuerySelector("td[data-label='Age']")!.TextContent.Trim());

        var strip = RenderStrip();
        Assert.Contains("Active outages: 4", strip.Find("[aria-label='Active outages']").TextContent, StringComparison.Ordinal);
        Assert.Contains("Customers out: 544", strip.Find("[aria-label='Customers out']").TextContent, StringComparison.Ordinal);
        Assert.Contains("Critical customers out: 3", strip.Find("[aria-label='Critical customers out']").TextContent, StringComparison.Ordinal);
        // The time of these figures, which the connection-lost banner repeats when the page loses the server.
        Assert.Equal("18:30:00", strip.Find("[data-as-of]").GetAttribute("data-as-of"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SoundSwitch_WaitsForTheCircuit(bool interactive)
    {
        // Prerendered, a click would flip the page's copy only and be lost when the circuit connects.
        var cut = RenderStrip(interactive);

        var input = cut.FindAll("label").Single(l => l.TextContent.Contains("Sound on critical alerts", StringComparison.Ordinal)).QuerySelector("input")!;
        Assert.Equal(!interactive, input.HasAttribute("disabled"));
    }

    [Fact]
    public void Board_ClickingASortLabel_SortsByThatColumn()
    {
        var cut = RenderAs("dispatcher");

        cut.FindAll(".mud-table-sort-label").First(e => e.TextContent.Contains("Customers out", StringComparison.Ordinal)).Click();

        cut.WaitForAssertion(() => Assert.Equal(["M9 name", "T1 name", "D2 name", "F2 name"], Elements(cut)));
    }

    [Theory]
    [InlineData("outages?state=Confirmed", new[] { "D2 name", "M9 name" })]
    [InlineData("outages?level=Transformer", new[] { "T1 name" })]
    [InlineData("outages?feeder=Feeder%201", new[] { "D2 name", "T1 name" })]
    [InlineData("outages?state=Confirmed&feeder=Feeder%201", new[] { "D2 name" })]
    public void Board_FiltersFromTheAddress(string url, string[] expected)
    {
        var cut = RenderAs("dispatcher", url);

        Assert.Equal(expected, Elements(cut));
    }

    /// <summary>The rows of the constructor with addresses: D2's from its nearest meter, F2's its own; T1 and M9 have none.</summary>
    private void SetWithAddresses() => _board.Set(
        [.. _board.Current.Rows.Select(r => r.DeviceId switch
        {
            "D2" => r with { Address = "12 Elm St, Springfield", AddressMeterId = "M-77" },
            "F2" => r with { Address = "Substation Rd 1" },
            _ => r,
        })]);

    private static string Cell(IRenderedComponent<OutageBoardPage> cut, int row, string label) =>
        cut.FindAll("tbody tr")[row].QuerySelector($"td[data-label='{label}']")!.TextContent.Trim();

    [Fact]
    public void Board_ShowsEachOutagesAddressFeederStartAndAge()
    {
        SetWithAddresses();

        var cut = RenderAs("dispatcher");

        // By priority: F2, D2, T1, M9.
        Assert.Equal(["Substation Rd 1", "12 Elm St, Springfield", "", ""], Enumerable.Range(0, 4).Select(i => Cell(cut, i, "Address")));
        Assert.Equal(["F2", "Feeder 1", "Feeder 1", ""], Enumerable.Range(0, 4).Select(i => Cell(cut, i, "Feeder")));
        Assert.Equal("18:18", Cell(cut, 1, "Started")); // 12 minutes before 18:30 UTC
        Assert.Equal("12 min", Cell(cut, 1, "Age"));
        // Where a borrowed address comes from, on hover.
        Assert.Contains("M-77", cut.FindAll("tbody tr")[1].QuerySelector("td[data-label='Address']")!.GetAttribute("title"), StringComparison.Ordinal);
        Assert.Equal("D2", cut.FindAll("tbody tr")[1].QuerySelector("td[data-label='Element']")!.GetAttribute("title"));
    }

    [Fact]
    public void Started_GivesTheDateForAnOutageOfAnEarlierDay()
    {
        Assert.Equal("18:05", OutageBoardView.Started(Now.AddMinutes(-25), Now));
        Assert.Equal("23 Nov 22:30", OutageBoardView.Started(Now.AddHours(-20), Now));
    }

    [Fact]
    public void Detail_ShowsElementAddressFeederAndStart()
    {
        SetWithAddresses();
        var cut = RenderAs("dispatcher");

        OpenRow(cut, 1);

        var place = cut.Find("[aria-label='Where and since when']");
        Assert.Contains("D2 name (D2)", place.TextContent, StringComparison.Ordinal);
        Assert.Contains("12 Elm St, Springfield", place.QuerySelector("[aria-label='Address']")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("meter M-77, the nearest below", place.QuerySelector("[aria-label='Address']")!.TextContent, StringComparison.Ordinal);
        Assert.Equal("Feeder 1", place.QuerySelector("[aria-label='Feeder']")!.TextContent.Trim());
        Assert.Equal("2026-11-24 18:18:00 UTC · 12 min ago", place.QuerySelector("[aria-label='Started']")!.TextContent.Trim());
    }

    [Theory]
    [InlineData("outages?q=elm%20st", new[] { "D2 name" })]               // address, any case
    [InlineData("outages?q=o-4", new[] { "F2 name" })]                    // outage id
    [InlineData("outages?q=t1", new[] { "T1 name" })]                     // element id
    [InlineData("outages?q=M9%20NAME", new[] { "M9 name" })]              // element name
    [InlineData("outages?q=M-555", new[] { "D2 name", "T1 name" })]       // a meter behind two outages (the server finds them)
    [InlineData("outages?q=%20substation%20", new[] { "F2 name" })]        // trimmed
    [InlineData("outages?q=nowhere", new string[0])]
    [InlineData("outages?q=elm&feeder=F2", new string[0])]                // with the other filters
    [InlineData("outages?q=M-555&state=all", new[] { "D2 name", "T1 name", "D8 name" })]
    public void Search_FromTheAddress_MatchesIdNameAddressAndMeters(string url, string[] expected)
    {
        SetWithAddresses();
        AddClosed();
        _board.MeterHits["M-555"] = ["O-1", "O-2", "O-8"];

        var cut = RenderAs("dispatcher", url);

        Assert.Equal(expected, Elements(cut));
        Assert.NotEmpty(_board.MeterQueries); // every search asks the server for the meters too
        Assert.All(_board.MeterQueries, q => Assert.Equal(q.Trim(), q));
        if (expected.Length == 0)
        {
            Assert.Contains("match these filters", cut.Markup, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Search_Typed_GoesIntoTheAddress_AndFiltersTheBoard()
    {
        SetWithAddresses();
        var cut = RenderAs("dispatcher", "outages?level=Device");

        cut.Find("input[aria-label='Search outages'], [aria-label='Search outages'] input").Input("Elm");

        var nav = _ctx.Services.GetRequiredService<NavigationManager>();
        cut.WaitForAssertion(() => Assert.EndsWith("/outages?level=Device&q=Elm", nav.Uri, StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        cut.WaitForAssertion(() => Assert.Equal(["D2 name"], Elements(cut)));
    }

    private void AddClosed()
    {
        _board.Closed.Add(Row("O-9", "Transformer", "T9", "Feeder 1", "Restored", meters: 4, critical: 0, priority: 0, minutesAgo: 300));
        _board.Closed.Add(Row("O-8", "Device", "D8", "Feeder 3", "Cleared", meters: 30, critical: 0, priority: 0, minutesAgo: 90));
        _board.Closed.Add(Row("O-7", "Meter", "M7", "Feeder 1", "Momentary", meters: 1, critical: 0, priority: 0, minutesAgo: 60));
    }

    [Theory]
    [InlineData("outages?state=all", new[] { "F2 name", "D2 name", "T1 name", "M9 name", "M7 name", "D8 name", "T9 name" })]
    [InlineData("outages?state=closed", new[] { "M7 name", "D8 name", "T9 name" })]
    [InlineData("outages?state=Restored", new[] { "T9 name" })]
    [InlineData("outages?state=Cleared", new[] { "D8 name" })]
    [InlineData("outages?state=closed&feeder=Feeder%201", new[] { "M7 name", "T9 name" })]
    [InlineData("outages?state=all&level=Device", new[] { "D2 name", "D8 name" })]
    public void Board_StateFilterReachesClosedOutages_OpenByPriorityThenClosedMostRecentFirst(string url, string[] expected)
    {
        AddClosed();

        var cut = RenderAs("dispatcher", url);

        Assert.Equal(expected, Elements(cut));
        Assert.Contains($"{expected.Length} of", cut.Find(".oc-board-count").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Board_WithoutAStateFilter_ShowsOpenOutagesOnly_AndDoesNotReadClosedOnes()
    {
        AddClosed();

        var cut = RenderAs("dispatcher");

        Assert.Equal(["F2 name", "D2 name", "T1 name", "M9 name"], Elements(cut));
        Assert.Equal(0, _board.ClosedReads);
    }

    [Fact]
    public void Board_ClosedOutage_OpensItsDetail()
    {
        AddClosed();
        var cut = RenderAs("dispatcher", "outages?state=Restored");

        OpenRow(cut, 0);

        Assert.Contains("Explanation of O-9", cut.Find("[aria-label='Explanation']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Board_StateFilter_OffersClosedStatesAndAll()
    {
        var auth = _ctx.AddAuthorization();
        auth.SetAuthorized("dana");
        auth.SetRoles("dispatcher");
        _ctx.Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", true));
        var popovers = _ctx.Render<MudBlazor.MudPopoverProvider>(); // where a select's list is drawn
        var cut = _ctx.Render<OutageBoardPage>();

        cut.FindAll(".oc-board-filters .mud-select .mud-input-control")[0].QuerySelector(".mud-select-input, .mud-input-slot, input, div")!.MouseDown();

        popovers.WaitForAssertion(() =>
        {
            var items = popovers.FindAll(".mud-list-item").Select(i => i.TextContent.Trim()).ToArray();
            Assert.Equal(["Suspected", "Confirmed", "Acknowledged", "Dispatched", "Restored (closed)", "Cleared (closed)", "Momentary (closed)", "All closed", "All, open and closed"], items);
        });
    }

    [Fact]
    public void Board_ClickingARow_ShowsExplanationTimelineAndMeters()
    {
        var cut = RenderAs("dispatcher");

        OpenRow(cut, 1);

        var panel = cut.WaitForElement("[aria-label='Outage details']");
        Assert.Contains("Explanation of O-2", cut.Find("[aria-label='Explanation']").TextContent, StringComparison.Ordinal);
        Assert.Contains("Suspected → Confirmed", panel.QuerySelector("[aria-label='Timeline']")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("M-O-2-1", panel.TextContent, StringComparison.Ordinal);
        Assert.Contains("critical", panel.QuerySelector("[aria-label='Meters']")!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckPower_AsADispatcher_AsksEveryMeterOfTheOutage_AndShowsEachAnswer()
    {
        var cut = RenderAs("dispatcher");
        OpenRow(cut, 1);

        cut.FindAll("button").First(b => b.TextContent.Contains("Check power", StringComparison.Ordinal)).Click();

        var table = cut.WaitForElement("[aria-label='Power check']");
        Assert.Equal(["check power M-O-2-1,M-O-2-2 by dana"], _board.Calls);
        var rows = table.QuerySelectorAll("tr").Select(r => r.TextContent).ToList();
        Assert.Contains(rows, r => r.Contains("M-O-2-1", StringComparison.Ordinal) && r.Contains("on", StringComparison.Ordinal) && r.Contains("239.1 V", StringComparison.Ordinal) && r.Contains("2 h 0 min", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.Contains("M-O-2-2", StringComparison.Ordinal) && r.Contains("comm-failure", StringComparison.Ordinal));
        Assert.Contains("1 of 2 on", cut.Find("[aria-label='Outage details']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckPower_Refused_ShowsWhy()
    {
        _board.Refuse = "Your session has ended: sign in again.";
        var cut = RenderAs("dispatcher");
        OpenRow(cut, 1);

        cut.FindAll("button").First(b => b.TextContent.Contains("Check power", StringComparison.Ordinal)).Click();

        Assert.Contains("session has ended", cut.WaitForElement("[aria-label='Outage details'] [role='alert']").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[aria-label='Power check']"));
    }

    [Fact]
    public void ClearAsFalsePositive_IsOfferedToAdminsOnly()
    {
        var cut = RenderAs("dispatcher");
        OpenRow(cut, 1);

        Assert.DoesNotContain(cut.FindAll("button"), b => b.TextContent.Contains("Clear as false positive", StringComparison.Ordinal));
    }

    [Fact]
    public void ClearAsFalsePositive_Refused_ShowsWhyAndEachMetersAnswer()
    {
        _board.ClearVerdict = "not-energised";
        var cut = RenderAs("admin");
        OpenRow(cut, 1);

        cut.FindAll("button").First(b => b.TextContent.Contains("Clear as false positive", StringComparison.Ordinal)).Click();

        var table = cut.WaitForElement("[aria-label='Verification']");
        Assert.Equal(["clear O-2 by ada"], _board.Calls);
        Assert.Contains("M-O-2-2 (off)", cut.Find("[aria-label='Outage details'] [role='alert']").TextContent, StringComparison.Ordinal);
        var rows = table.QuerySelectorAll("tr").Select(r => r.TextContent).ToList();
        Assert.Contains(rows, r => r.Contains("M-O-2-1", StringComparison.Ordinal) && r.Contains("on", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.Contains("M-O-2-2", StringComparison.Ordinal) && r.Contains("off", StringComparison.Ordinal));
        Assert.Contains("Verification: not-energised (1 of 2 on)", cut.Find("[aria-label='Outage details']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void ClearAsFalsePositive_Cleared_CallsTheSourceAsTheSignedInAdmin()
    {
        var cut = RenderAs("admin");
        OpenRow(cut, 1);

        cut.FindAll("button").First(b => b.TextContent.Contains("Clear as false positive", StringComparison.Ordinal)).Click();

        cut.WaitForAssertion(() => Assert.Equal("clear O-2 by ada", Assert.Single(_board.Calls)));
        Assert.Empty(cut.FindAll("[aria-label='Outage details'] [role='alert']"));
    }

    [Fact]
    public void Dispatch_WithCrew_CallsTheSourceAsTheSignedInUser()
    {
        var cut = RenderAs("dispatcher");
        OpenRow(cut, 1);

        cut.FindAll("button").First(b => b.TextContent.Contains("Dispatch", StringComparison.Ordinal)).Click();
        Assert.Contains("Name the crew", cut.WaitForElement("[aria-label='Outage details'] [role='alert']").TextContent, StringComparison.Ordinal);
        Assert.Empty(_board.Calls);

        var crew = cut.FindAll("[aria-label='Outage details'] input")[0];
        crew.Change("Crew 7");
        cut.FindAll("button").First(b => b.TextContent.Contains("Dispatch", StringComparison.Ordinal)).Click();

        cut.WaitForAssertion(() => Assert.Equal("dispatch O-2 crew=Crew 7 by dana", Assert.Single(_board.Calls)));
    }

    [Fact]
    public void AcknowledgeAndRestore_CallTheSource_AndShowItsRefusal()
    {
        var cut = RenderAs("dispatcher");
        OpenRow(cut, 1); // O-2, Confirmed: every action offered
        _board.Refuse = "outage O-2 is Acknowledged: it cannot become Acknowledged (only from Confirmed)"; // someone else was quicker

        cut.FindAll("button").First(b => b.TextContent.Contains("Acknowledge", StringComparison.Ordinal)).Click();

        Assert.Contains("cannot become Acknowledged", cut.WaitForElement("[aria-label='Outage details'] [role='alert']").TextContent, StringComparison.Ordinal);
        _board.Refuse = null;
        cut.FindAll("[aria-label='Outage details'] input")[2].Change("Crew closed the recloser");
        cut.FindAll("button").First(b => b.TextContent.Contains("Restore manually", StringComparison.Ordinal)).Click();
        cut.WaitForAssertion(() => Assert.Equal(["restore O-2: Crew closed the recloser by dana"], _board.Calls)); // the refused acknowledgement changed nothing
    }

    [Theory]
    [InlineData(0, "Dispatched", new[] { "Restore manually" }, new[] { "Acknowledge", "Dispatch" })]
    [InlineData(1, "Confirmed", new[] { "Acknowledge", "Dispatch", "Restore manually" }, new string[0])]
    [InlineData(2, "Suspected", new[] { "Restore manually" }, new[] { "Acknowledge", "Dispatch" })]
    public void Actions_TheServerWouldRefuseInTheOutagesState_AreDisabled(int row, string state, string[] enabled, string[] disabled)
    {
        var cut = RenderAs("dispatcher");
        OpenRow(cut, row);
        Assert.Contains(state, cut.Find("[aria-label='Outage details']").TextContent, StringComparison.Ordinal);

        var buttons = cut.FindAll("[aria-label='Actions'] button").ToDictionary(b => b.TextContent.Trim(), b => b.HasAttribute("disabled"));
        Assert.All(enabled, b => Assert.False(buttons[b], b + " should be enabled"));
        Assert.All(disabled, b => Assert.True(buttons[b], b + " should be disabled"));
        Assert.False(buttons["Check power"]); // a read: any state
    }

    [Fact]
    public void Detail_NestedOutage_LinksItsParent_ShowsRestorationProgress_AndSilentMetersPresumedOut()
    {
        _board.Set(Row("O-7", "Transformer", "T7", "Feeder 1", "Dispatched", meters: 12, critical: 0, priority: 12, minutesAgo: 2) with { ReportingMeters = 10, MetersDown = 4 });
        _board.Parents["O-7"] = "O-3";
        var cut = RenderAs("dispatcher");
        Assert.Equal("Restoring: 6 of 10 back", cut.Find("tbody tr td[data-label='Restoration']").TextContent.Trim());

        OpenRow(cut, 0);

        var parent = cut.Find("[aria-label='Parent outage'] a");
        Assert.Equal("O-3", parent.TextContent.Trim());
        Assert.Equal("outages?outage=O-3&state=all", parent.GetAttribute("href"));
        Assert.Contains("Restoring: 6 of 10 back", cut.Find("[aria-label='Restoration']").TextContent, StringComparison.Ordinal);
        var meters = cut.Find("[aria-label='Meters']").TextContent;
        Assert.Contains("reported · down", meters, StringComparison.Ordinal);
        Assert.Contains("silent · presumed out", meters, StringComparison.Ordinal);
        Assert.DoesNotContain(" up", meters, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownOutage_RemapIsAdminOnly()
    {
        var dispatcher = RenderAs("dispatcher");
        OpenRow(dispatcher, 3);
        Assert.Empty(dispatcher.FindAll("[aria-label='Map meter to transformer']"));
        Assert.DoesNotContain("Map meter (admin)", dispatcher.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownOutage_AdminCanMapTheMeter()
    {
        var admin = RenderAs("admin");
        OpenRow(admin, 3);

        admin.Find("[aria-label='Map meter to transformer'] input").Change("T2");
        admin.FindAll("button").First(b => b.TextContent.Contains("Map meter (admin)", StringComparison.Ordinal)).Click();

        admin.WaitForAssertion(() => Assert.Equal("remap M9 to T2 by ada", Assert.Single(_board.Calls)));
    }

    [Fact]
    public void NewConfirmedOutageWithCriticalCustomers_RaisesAnAlert_OnlyForNewOnes()
    {
        var board = RenderAs("dispatcher");
        var cut = RenderStrip();
        Assert.Empty(cut.FindAll(".mud-alert"));

        _board.Set([.. _board.Current.Rows, Row("O-5", "Transformer", "T3", "Feeder 1", "Confirmed", meters: 2, critical: 1, priority: 60, minutesAgo: 0)]);

        cut.WaitForAssertion(() => Assert.Contains("T3 name", Assert.Single(cut.FindAll(".mud-alert")).TextContent, StringComparison.Ordinal));
        board.WaitForAssertion(() => Assert.Contains("T3 name", Elements(board)));

        // "Show" opens the outage on the board, from whichever page the alert was seen on.
        cut.FindAll(".mud-alert button").First(b => b.TextContent.Contains("Show", StringComparison.Ordinal)).Click();
        Assert.EndsWith("/outages?outage=O-5", _ctx.Services.GetRequiredService<NavigationManager>().Uri, StringComparison.Ordinal);
    }

    [Fact]
    public void AStormOfCriticalConfirmations_ShowsTheNewestAlerts_CountsTheRest_AndDropsThoseNoLongerOpen()
    {
        var cut = RenderStrip();
        var storm = Enumerable.Range(10, 8).Select(i => Row($"O-{i}", "Transformer", $"T{i}", "Feeder 1", "Confirmed", meters: 2, critical: 1, priority: 60, minutesAgo: 0)).ToArray();

        _board.Set([.. _board.Current.Rows, .. storm]);

        cut.WaitForAssertion(() =>
        {
            var shown = cut.FindAll("[role='alert']").Select(a => a.TextContent).ToList();
            Assert.Equal(OpsConsole.Console.Client.Layout.OutageStatusStrip.MaxAlertsShown, shown.Count);
            Assert.All(new[] { "T15 name", "T16 name", "T17 name" }, t => Assert.Contains(shown, a => a.Contains(t, StringComparison.Ordinal)));
            Assert.Contains("5 more confirmed outage(s) with critical customers", cut.Find("[aria-label='More critical alerts']").TextContent, StringComparison.Ordinal);
        });

        // Three of the newest are restored: the older ones move up, and the count shrinks.
        _board.Set([.. _board.Current.Rows.Where(r => r.Id is not ("O-15" or "O-16" or "O-17"))]);

        cut.WaitForAssertion(() =>
        {
            var shown = cut.FindAll("[role='alert']").Select(a => a.TextContent).ToList();
            Assert.Equal(3, shown.Count);
            Assert.Contains(shown, a => a.Contains("T14 name", StringComparison.Ordinal));
            Assert.DoesNotContain(shown, a => a.Contains("T15 name", StringComparison.Ordinal));
            Assert.Contains("2 more", cut.Find("[aria-label='More critical alerts']").TextContent, StringComparison.Ordinal);
        });

        cut.FindAll("button").First(b => b.TextContent.Contains("Dismiss all", StringComparison.Ordinal)).Click();

        cut.WaitForAssertion(() =>
        {
            Assert.Empty(cut.FindAll("[role='alert']"));
            Assert.Empty(cut.FindAll("[aria-label='More critical alerts']"));
        });
    }

    [Fact]
    public void APushReloadingTheOldSelection_FinishingAfterAClick_DoesNotReplaceTheNewSelection()
    {
        var cut = RenderAs("dispatcher");
        OpenRow(cut, 0); // F2 (O-4)
        var slow = new TaskCompletionSource();
        _board.DetailGates["O-4"] = slow.Task;

        _board.Set([.. _board.Current.Rows]); // a push: the page reloads O-4's detail, which hangs
        OpenRow(cut, 1); // the dispatcher picks D2 (O-2) meanwhile
        cut.WaitForAssertion(() => Assert.Contains("D2 name", cut.Find("[aria-label='Outage details'] h6").TextContent, StringComparison.Ordinal));
        slow.SetResult(); // the stale reload of O-4 completes

        cut.WaitForAssertion(() => Assert.Contains("D2 name", cut.Find("[aria-label='Outage details'] h6").TextContent, StringComparison.Ordinal));
        Assert.Single(cut.FindAll("tr.oc-board-selected"));
        Assert.Contains("D2 name", cut.Find("tr.oc-board-selected").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Board_IsSubscribedWhileShown_AndUnsubscribedWhenClosed()
    {
        var cut = RenderAs("dispatcher");
        Assert.Equal(1, _board.Listening);

        cut.Instance.Dispose();

        Assert.Equal(0, _board.Listening);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    internal sealed class FakeBoard : IOutageBoardSource
    {
        public OutageBoardState Current { get; private set; } = OutageBoardState.Empty;

        public List<string> Calls { get; } = [];

        public string? Refuse { get; set; }

        private readonly List<Func<Task>> _listeners = [];

        /// <summary>Pages subscribed now.</summary>
        public int Listening => _listeners.Count;

        public IDisposable Subscribe(Func<Task> onChanged)
        {
            _listeners.Add(onChanged);
            return new Unsubscriber(() => _listeners.Remove(onChanged));
        }

        private sealed class Unsubscriber(Action dispose) : IDisposable
        {
            public void Dispose() => dispose();
        }

        public static FakeBoard Empty() => new();

        /// <summary>What <see cref="OutagesWithMeter"/> answers, by query; and the queries it was asked.</summary>
        public Dictionary<string, string[]> MeterHits { get; } = [];

        public List<string> MeterQueries { get; } = [];

        public IReadOnlySet<string> OutagesWithMeter(string query)
        {
            MeterQueries.Add(query);
            return MeterHits.TryGetValue(query, out var ids) ? ids.ToHashSet() : new HashSet<string>();
        }

        /// <summary>The closed outages <see cref="ClosedRows"/> gives, and how often it was asked.</summary>
        public List<OutageRow> Closed { get; } = [];

        public int ClosedReads { get; private set; }

        public IReadOnlyList<OutageRow> ClosedRows()
        {
            ClosedReads++;
            return Closed;
        }

        public void Set(params OutageRow[] rows)
        {
            Current = new OutageBoardState(rows, new BoardHeader(rows.Length, rows.Sum(r => r.Meters), rows.Sum(r => r.CriticalMeters), 12, 0), Now);
            foreach (var listener in _listeners.ToArray())
            {
                _ = listener();
            }
        }

        /// <summary>Nested outages' parents, by outage id.</summary>
        public Dictionary<string, string> Parents { get; } = [];

        /// <summary>When set, detail lookups of these outages wait for the task (a slow lookup racing a click).</summary>
        public Dictionary<string, Task> DetailGates { get; } = [];

        public async Task<OutageDetail?> GetDetailAsync(string id)
        {
            if (DetailGates.TryGetValue(id, out var gate))
            {
                await gate;
            }

            var row = Current.Rows.Concat(Closed).FirstOrDefault(r => r.Id == id);
            return row is null ? null : new OutageDetail(
                row,
                $"Explanation of {id}",
                Parents.GetValueOrDefault(id),
                [new TimelineEntry(Now.AddMinutes(-5), "created, Suspected", "engine", null), new TimelineEntry(Now.AddMinutes(-4), "Suspected → Confirmed", "engine", null)],
                [new OutageMeter($"M-{id}-1", true, true, true), new OutageMeter($"M-{id}-2", false, false, false)],
                OpsConsole.Console.Server.Outages.OutageBoardSource.Allowed(Enum.Parse<OpsConsole.Engine.Correlation.OutageState>(row.State.ToString())));
        }

        private Task<BoardActionResult> Record(string call, ClaimsPrincipal user)
        {
            if (Refuse is not null)
            {
                return Task.FromResult(BoardActionResult.Fail(Refuse));
            }

            Calls.Add($"{call} by {user.Identity?.Name}");
            return Task.FromResult(BoardActionResult.Ok);
        }

        public IReadOnlyList<OutageMapItem> GetMapOverlay() =>
            [.. Current.Rows.Select(r => new OutageMapItem(r.Id, r.State, r.Level, r.DeviceId, OutageBoardView.StateHex(r.State), [], [], []))];

        public Task<BoardActionResult> AcknowledgeAsync(string id, ClaimsPrincipal user) => Record($"acknowledge {id}", user);

        public Task<BoardActionResult> DispatchAsync(string id, ClaimsPrincipal user, string crew, string? note) => Record($"dispatch {id} crew={crew}", user);

        public Task<BoardActionResult> RestoreAsync(string id, ClaimsPrincipal user, string reason) => Record($"restore {id}: {reason}", user);

        public Task<BoardActionResult> RemapAsync(string meterId, ClaimsPrincipal user, string transformerId) => Record($"remap {meterId} to {transformerId}", user);

        /// <summary>Null: the clear succeeds; else it is refused with this verdict, the outage's second meter off.</summary>
        public string? ClearVerdict { get; set; }

        public Task<ClearResult> ClearAsync(string id, ClaimsPrincipal user, string? reason)
        {
            Calls.Add($"clear {id} by {user.Identity?.Name}");
            IReadOnlyList<MeterPower> meters = [new($"M-{id}-1", "on", 7200, 240_000, Now), new($"M-{id}-2", ClearVerdict is null ? "on" : "off", ClearVerdict is null ? 7200 : null, ClearVerdict is null ? 240_000 : null, Now)];
            return Task.FromResult(ClearVerdict is null
                ? new ClearResult(true, null, "false-positive", meters)
                : new ClearResult(false, $"not every meter asked is energised: M-{id}-2 (off); outage {id} not cleared", ClearVerdict, meters));
        }

        public Task<PowerCheckResult> CheckPowerAsync(IReadOnlyList<string> meterIds, ClaimsPrincipal user)
        {
            if (Refuse is not null)
            {
                return Task.FromResult(PowerCheckResult.Fail(Refuse));
            }

            Calls.Add($"check power {string.Join(',', meterIds)} by {user.Identity?.Name}");
            return Task.FromResult(new PowerCheckResult(true, null,
                [.. meterIds.Select((m, i) => new MeterPower(m, i == 0 ? "on" : "comm-failure", i == 0 ? 7200 : null, i == 0 ? 239_100 : null, Now))]));
        }
    }
}
