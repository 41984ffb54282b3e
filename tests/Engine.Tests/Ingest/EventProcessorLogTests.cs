using System.Net;
using OpsConsole.Engine.Ingest;

namespace OpsConsole.Engine.Tests.Ingest;

public sealed class EventProcessorLogTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "opsconsole-tests", Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Fact]
    public async Task RejectedAndFlaggedFrames_AreOneGreppableLineEach()
    {
        var time = new FixedTime(new DateTimeOffset(2026, 11, 24, 18, 3, 11, 420, TimeSpan.Zero));
        await using (var log = new EventProcessorLog(_folder, time))
        {
            log.Rejected(RejectReason.ERR_REPLAY, new IPEndPoint(IPAddress.Parse("10.1.2.3"), 40123), "ckt24-M-1", "ic=9 highest=12");
            log.Flagged(FlagCode.TimeSyncMismatch, new IPEndPoint(IPAddress.Loopback, 5000), "ckt24-M-2", "skew=+1.2s");
            log.Rejected(RejectReason.ERR_MALFORMED_COAP, new IPEndPoint(IPAddress.IPv6Loopback, 7), null);
            await log.FlushAsync();
        }

        var lines = await File.ReadAllLinesAsync(Path.Combine(_folder, EventProcessorLog.FileName));
        Assert.Equal(
        [
            "2026-11-24T18:03:11.420Z ERR_REPLAY src=10.1.2.3:40123 meter=ckt24-M-1 ic=9 highest=12",
            "2026-11-24T18:03:11.420Z 0x092 src=127.0.0.1:5000 meter=ckt24-M-2 skew=+1.2s",
            "2026-11-24T18:03:11.420Z ERR_MALFORMED_COAP src=[::1]:7 meter=-",
        ], lines);
    }

    [Fact]
    public async Task LogFile_IsOwnerOnly()
    {
        await using (var log = new EventProcessorLog(_folder, TimeProvider.System))
        {
            log.Rejected(RejectReason.ERR_AUTH_FAILED, null, null);
            await log.FlushAsync();
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_folder, EventProcessorLog.FileName)));
    }

    [Fact]
    public async Task LogFile_RollsBySize_KeepingTheNewestFiles()
    {
        await using (var log = new EventProcessorLog(_folder, TimeProvider.System, maxBytes: 1000, keep: 2))
        {
            for (int i = 0; i < 200; i++)
            {
                log.Rejected(RejectReason.ERR_AUTH_FAILED, null, $"m{i}");
            }

            await log.FlushAsync();
            Assert.Equal(200, log.Written);
        }

        var files = Directory.GetFiles(_folder).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(["event_processor.1.log", "event_processor.2.log", "event_processor.log"], files);
        Assert.Contains("meter=m199", await File.ReadAllTextAsync(Path.Combine(_folder, "event_processor.log")), StringComparison.Ordinal);
        Assert.All(files, f => Assert.True(new FileInfo(Path.Combine(_folder, f!)).Length < 1100));
    }
}

public sealed class EventProcessorLogFlushTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "opsconsole-tests", Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Flush_WhenTheWriterIsAlreadyIdle_CompletesAtOnce()
    {
        await using var log = new EventProcessorLog(_folder, TimeProvider.System);
        log.Rejected(RejectReason.ERR_REPLAY, null, "m1");
        await log.FlushAsync();

        // Nothing queued since: the flush must not wait for a line that never comes.
        var second = log.FlushAsync();

        Assert.True(second.IsCompleted);
        log.Rejected(RejectReason.ERR_REPLAY, null, "m2");
        await log.FlushAsync();
        Assert.Equal(2, File.ReadAllLines(Path.Combine(_folder, EventProcessorLog.FileName)).Length);
    }
}
