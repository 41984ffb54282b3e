using System.Security.Claims;
using Bunit;
using MudBlazor.Services;
using OpsConsole.Console.Client.Admin;
using OpsConsole.Console.Client.Map;
using OpsConsole.Console.Client.Meters;
using OpsConsole.Console.Client.Pages.Admin;

namespace OpsConsole.Server.Tests;

/// <summary>
/// Issue 13 item 8: the map's meter details and the unmapped-meter queue say a meter is muted, until when, why and by
/// whom, and say nothing for a meter that is not (the outage detail's meter list: MeterMuteBrowserTests).
/// </summary>
public sealed class MeterMuteViewsTests : IAsyncDisposable
{
    private static readonly MeterMuteView Mute = new(new DateTimeOffset(2026, 12, 31, 6, 30, 0, TimeSpan.FromHours(1)), "ada", "cleared 3 times");

    private readonly BunitContext _ctx = new();

    public MeterMuteViewsTests()
    {
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _ctx.Services.AddMudServices();
    }

    public ValueTask DisposeAsync() => _ctx.DisposeAsync();

    [Fact]
    public void MuteText_SaysUntilWhenInUtc_WhyAndByWhom() =>
        Assert.Equal("Muted until 2026-12-31 05:30 UTC — cleared 3 times (by ada)", Mute.Text);

    [Fact]
    public void MapDetailsOfAMutedMeter_ShowTheMute_AndOfAnotherMeter_Nothing()
    {
        var meter = new ElementDetails("M2", "meter", null, null, -89.0, 40.0, 1, 0, 0, [], [], Mute);

        var muted = _ctx.Render<ElementDetailsPanel>(p => p.Add(c => c.Details, meter));
        var other = _ctx.Render<ElementDetailsPanel>(p => p.Add(c => c.Details, meter with { Id = "M3", Mute = null }));

        Assert.Equal(Mute.Text, muted.Find("td[data-field='mute']").TextContent.Trim());
        Assert.Empty(other.FindAll("td[data-field='mute']"));
    }

    [Fact]
    public void UnmappedQueue_ShowsAMutedMetersMute_OnItsRow()
    {
        _ctx.Services.AddSingleton<IUnmappedMeterQueue>(new Queue(
            [new UnmappedMeterRow("M9", Guid.NewGuid(), null, null, [], Mute), new UnmappedMeterRow("M8", Guid.NewGuid(), null, null, [])]));

        _ctx.Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
        var page = _ctx.Render<UnmappedMetersPage>();

        page.WaitForAssertion(() => Assert.Equal(Mute.Text, page.Find("tr[data-meter='M9'] [aria-label='Mute of M9']").TextContent.Trim()));
        Assert.Empty(page.FindAll("tr[data-meter='M8'] .oc-muted"));
    }

    private sealed class Queue(IReadOnlyList<UnmappedMeterRow> rows) : IUnmappedMeterQueue
    {
        public Task<UnmappedQueue> LoadAsync(ClaimsPrincipal user, int max) => Task.FromResult(new UnmappedQueue(rows, rows.Count));

        public Task<AssignOutcome> AssignAsync(ClaimsPrincipal user, IReadOnlyList<MeterAssignment> assignments) => Task.FromResult(new AssignOutcome(0, []));
    }
}
