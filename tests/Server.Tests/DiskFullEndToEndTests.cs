using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Xunit.Abstractions;
using OpsConsole.Console.Server.Security.Users;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Protocols;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.LiteDb;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Tests.Storage;

namespace OpsConsole.Server.Tests;

/// <summary>
/// The real host with its <c>Storage:Path</c> on a 16 MiB tmpfs that the test fills with a file (a real
/// "No space left on device") and then frees: a storm's CONs, /healthz and an operator's sign-in while
/// the disk is full, and recovery without a restart once the file is deleted.
/// </summary>
public sealed class DiskFullEndToEndTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly Guid Meter1 = Guid.Parse("00000000-0000-4000-8000-000000000001");
    private const ulong Title1 = 0x4F50530000000001UL;
    private readonly TempFolder _folder = new();
    private Tmpfs? _tmpfs;
    private RunningHost? _host;
    private UdpClient? _udp;

    private RunningHost Host => _host!;

    public async Task InitializeAsync()
    {
        if (Tmpfs.CannotMount is not null)
        {
            return; // the test is skipped (TmpfsFact)
        }

        _tmpfs = Tmpfs.Mount(Path.Combine(_folder.Path, "db"), "16m");
        try
        {
            _host = (await RunningHost.StartAsync(_folder)).WithStaff();
            _udp = _host.Connect();
        }
        catch
        {
            _tmpfs.Dispose();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        try
        {
            _udp?.Dispose();
            if (_host is not null)
            {
                await _host.StopKeepingFolderAsync();
            }
        }
        finally
        {
            _tmpfs?.Dispose(); // unmounted even when the test or the host failed
            _folder.Dispose();
        }
    }

    [TmpfsFact]
    public async Task DiskFull_ConsAreToldToRetry_HealthNamesTheCause_SignInWorks_AndAllRecoversWhenSpaceReturns()
    {
        var acknowledged = new List<uint>();
        uint next = 1;
        Assert.Equal(CoapCode.Changed, Code(await Exchange(next, next)));
        acknowledged.Add(next++);
        var log = Host.Get<EventProcessorLog>();
        await log.FlushAsync();
        int linesBefore = File.ReadAllLines(log.FilePath).Length;

        long filler = _tmpfs!.Fill();

        // A storm's last gasps as CONs: those the journal still fsyncs (the last page of its segment has
        // room for a few) get 2.04, then the disk says no and the meters are told to come back later.
        byte[]? refused = null;
        uint refusedId = 0;
        while (refused is null && next < 200)
        {
            var answer = await Exchange(next, next);
            if (Code(answer) == CoapCode.Changed)
            {
                acknowledged.Add(next++);
                continue;
            }

            refused = answer;
            refusedId = next++;
        }

        Assert.NotNull(refused);
        output.WriteLine($"filler {filler} bytes; {acknowledged.Count - 1} CONs still fsynced and acknowledged after the fill, then 5.03");
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(refused, out var view));
        Assert.Equal((CoapType.Acknowledgement, CoapCode.ServiceUnavailable, (ushort)refusedId), (view.Type, view.Code, view.MessageId));
        Assert.Equal([0x42], view.Token.ToArray());
        Assert.True(view.TryGetUInt32(CoapOptionNumber.MaxAge, out uint maxAge));
        Assert.Equal(UdpIngestService.RetryAfterSeconds, maxAge);
        Assert.Equal(1, Host.Get<IngestStats>().Snapshot().Rejected["ERR_OVERLOAD"]);

        // /healthz says why.
        string journalFolder = Host.Get<EventStore>().Journal.Folder;
        var (status, storage) = await HealthAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains($"journal: No space left on device ({journalFolder})", storage, StringComparison.Ordinal);

        // A wrong password cannot be counted towards the lockout now: a clear 503, not a 500, and audited.
        using (var guesser = new Browser(Host.BaseAddress))
        {
            using var guess = await guesser.SignInAsync("dana", "not-the-password");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, guess.StatusCode);
            Assert.Contains("Sign-in is unavailable", await guess.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // An operator signs in during the storm; the audit row waits in memory, not lost.
        using (var browser = await Host.SignedInAsync("dana", Staff.DispatcherPassword))
        {
            using var map = await browser.Http.GetAsync("/map");
            Assert.Equal(HttpStatusCode.OK, map.StatusCode);
        }

        var audit = Host.Get<AuditLog>();
        Assert.True(audit.Pending > 0);
        Assert.Contains(audit.Recent(10), e => e.User == "dana" && e.Action == "sign-in");

        _tmpfs.Free();

        // Healthy again without a restart; the audit row is on disk now.
        var freed = System.Diagnostics.Stopwatch.StartNew();
        (status, storage) = await HealthAsync();
        output.WriteLine($"first /healthz after freeing: {(int)status} in {freed.ElapsedMilliseconds} ms ({storage})");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, audit.Pending);
        var stored = Host.Get<IAuditStore>().Query(new AuditQuery(Limit: 10_000)); // what is on disk, not the memory queue
        Assert.Contains(stored, e => e.User == "dana" && e.Action == "sign-in");
        Assert.Contains(stored, e => e.User == "dana" && e.Action == "sign-in-unavailable");

        // The refused meter sends its event again (new Message ID, its frame's counter): 2.04 now; so does a new one.
        Assert.Equal(CoapCode.Changed, Code(await Exchange(refusedId, refusedId, mid: 0x7000)));
        acknowledged.Add(refusedId);
        Assert.Equal(CoapCode.Changed, Code(await Exchange(next, next)));
        acknowledged.Add(next);

        // The event log took the lines it queued while the disk was full, and new ones.
        await log.FlushAsync();
        var lines = File.ReadAllLines(log.FilePath);
        Assert.True(lines.Length > linesBefore);
        Assert.Contains(lines, l => l.Contains(" ERR_OVERLOAD ", StringComparison.Ordinal) && l.Contains("journal write failed: No space left on device", StringComparison.Ordinal));
        Assert.Null(log.Fault);

        // Every acknowledged event is in the journal and, once the indexer caught up (it retries by itself), in LiteDB.
        var events = Host.Get<EventStore>();
        var journaled = events.Journal.ReadAll().Records.Select(r => r.Event.EventId).ToHashSet();
        Assert.All(acknowledged, id => Assert.Contains(id, journaled));
        await WaitUntilStoredAsync(events, acknowledged);
        output.WriteLine($"all {acknowledged.Count} acknowledged events in LiteDB {freed.ElapsedMilliseconds} ms after freeing");
    }

    private static async Task WaitUntilStoredAsync(EventStore events, List<uint> ids)
    {
        using var signal = new SemaphoreSlim(0);
        void OnStored() => signal.Release();
        events.Stored += OnStored;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (ids.Exists(id => events.Find(new EventKey(Meter1, 1, id)) is null))
            {
                await signal.WaitAsync(timeout.Token); // a batch was stored: look again
            }
        }
        finally
        {
            events.Stored -= OnStored;
        }
    }

    private async Task<(HttpStatusCode Status, string Storage)> HealthAsync()
    {
        using var http = new HttpClient { BaseAddress = Host.BaseAddress };
        using var response = await http.GetAsync("/healthz");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var storage = body.RootElement.GetProperty("checks").GetProperty("storage");
        return (response.StatusCode, storage.GetProperty("status").GetString() + ": " + storage.GetProperty("description").GetString());
    }

    private static byte Code(byte[] answer)
    {
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(answer, out var view));
        return view.Code;
    }

    private async Task<byte[]> Exchange(uint counter, uint eventId, ushort? mid = null)
    {
        var keys = MeterKeys.Derive(File.ReadAllBytes(Host.KeyFile), Meter1);
        var now = DateTimeOffset.UtcNow;
        var e = new MeterEvent(Meter1, MeterEventCode.PowerDown, eventId, 1, now, now, 4200, -70, 0x8000_0000u);
        await _udp!.SendAsync(MeterFrameWriter.Post(CoapType.Confirmable, mid ?? (ushort)counter, [0x42], MeterFrameWriter.Apdu(e, Title1, counter, keys)));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return (await _udp.ReceiveAsync(timeout.Token)).Buffer;
    }
}
