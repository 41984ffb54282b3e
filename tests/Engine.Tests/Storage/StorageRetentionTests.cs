using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Storage.LiteDb;
using OpsConsole.Engine.Tests.Coap;

namespace OpsConsole.Engine.Tests.Storage;

/// <summary>The daily retention job: once at start, then every day by the injected clock; events and operator actions past their horizons go.</summary>
public sealed class StorageRetentionTests : TempFolder
{
    [Fact]
    public async Task Retention_DeletesEventsAndActionsPastTheirHorizons_AtStartAndOnceADay()
    {
        var clock = new ManualTimeProvider();
        var start = clock.GetUtcNow();
        using var lite = new LiteStore(Folder);
        var events = new LiteEventStore(lite);
        var actions = new LiteOperatorActionStore(lite);
        var options = Options.Create(new RetentionOptions { EventDays = 400, ActionDays = 500 });
        using var retention = new StorageRetention(events, actions, options, clock, NullLogger<StorageRetention>.Instance);
        var purged = new System.Collections.Concurrent.BlockingCollection<RetentionResult>();
        retention.Purged += purged.Add;

        events.Add([StorageTestEvents.Make(1, meter: 1) with { ReceivedAt = start.AddDays(-401) }, StorageTestEvents.Make(2, meter: 1) with { ReceivedAt = start.AddDays(-10) }]);
        actions.Add(new OperatorAction { Kind = OperatorAction.AcknowledgeKind, AtTicks = start.AddDays(-450).UtcTicks, Actor = "ada" });
        actions.Add(new OperatorAction { Kind = OperatorAction.AcknowledgeKind, AtTicks = start.AddDays(-10).UtcTicks, Actor = "ada" });

        await retention.StartAsync(CancellationToken.None);
        Assert.True(purged.TryTake(out var atStart, TimeSpan.FromSeconds(30)));
        clock.Advance(TimeSpan.FromDays(1)); // nothing new is past its horizon
        Assert.True(purged.TryTake(out var nextDay, TimeSpan.FromSeconds(30)));
        clock.Advance(TimeSpan.FromDays(390)); // day 391: the event of day -10 is 401 days old (goes), its action too (kept: 500); the action of day -450 is 841 (goes)
        Assert.True(purged.TryTake(out var later, TimeSpan.FromSeconds(30)));
        await retention.StopAsync(CancellationToken.None);

        Assert.Equal(new RetentionResult(1, 0), atStart); // the action of day -450 is within 500 days
        Assert.Equal(new RetentionResult(0, 0), nextDay);
        Assert.Equal(new RetentionResult(1, 1), later);
        Assert.Equal(0, events.Count());
        Assert.Equal([start.AddDays(-10)], actions.All().Select(a => a.At));
        Assert.True(events.Contains(StorageTestEvents.Make(2, meter: 1).Key)); // deleted, its key still known
    }

    [Fact]
    public void Defaults_AreAReliabilityYearAndMore()
    {
        Assert.Equal((400, 400), (new RetentionOptions().EventDays, new RetentionOptions().ActionDays));
    }
}
