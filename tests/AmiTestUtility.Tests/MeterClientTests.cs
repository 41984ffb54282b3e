using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Ami;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Protocols.Dlms;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Storage;
using OpsConsole.Tools.AmiTestUtility;

namespace OpsConsole.AmiTestUtility.Tests;

/// <summary>The head-end's meter client (wire-format.md §6) against simulated protected meters over real UDP.</summary>
public sealed class MeterClientTests : IAsyncLifetime
{
    private static readonly byte[] Master = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "opsconsole-tests", "meter-client-" + Guid.NewGuid().ToString("N"));
    private readonly MemoryLinks _links = new();
    private EventProcessorLog _log = null!;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _log = new EventProcessorLog(_folder, TimeProvider.System);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _log.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private static MeterIdentity Identity(int i)
    {
        var guid = new Guid($"00000000-0000-4000-8000-{i:D12}");
        return new MeterIdentity($"M{i}", guid, 0x4D45544552000000UL + (ulong)i, MeterKeys.Derive(Master, guid));
    }

    private static int Port() => 20_000 + Random.Shared.Next(20_000);

    private MeterClient Client(int maxConcurrency = 8, int ackTimeoutMs = 200, int maxRetransmit = 2, int requestTimeoutMs = 10_000) =>
        new(Options.Create(new MeterClientOptions { MaxConcurrency = maxConcurrency, AckTimeoutMs = ackTimeoutMs, MaxRetransmit = maxRetransmit, RequestTimeoutMs = requestTimeoutMs }),
            Options.Create(new SecurityOptions()), new MeterKeyCache(Master), _links, _log, NullLogger<MeterClient>.Instance, TimeProvider.System);

    private static MeterTarget Target(SimulatedMeter m) => new(m.Id, m.Behaviour!.Identity.Guid, m.Behaviour.Identity.SystemTitle, m.EndPoint);

    [Fact]
    public async Task EnergisedMeter_AnswersStatus_WithItsGuidUptimeAndVoltage_AndItsEndpointIsStored()
    {
        var time = new ManualClock(DateTimeOffset.Parse("2026-12-05T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var fleet = MeterFleet.StartProtected([Identity(1)], Port(), time);
        var meter = fleet.Meters[0];
        meter.Behaviour!.PoweredUpAt = time.GetUtcNow().AddSeconds(-3600);
        meter.Behaviour.VoltageMv = 239_500;
        // An ACK timeout far above a cold first exchange (JIT of client and simulator): one transmission means the client
        // did not retransmit without cause; at 200 ms a busy CI run saw the first answer arrive after a retransmission.
        await using var client = Client(ackTimeoutMs: 5_000);

        var reading = await client.ReadStatusAsync(Target(meter));

        Assert.Equal(StatusOutcome.Answered, reading.Outcome);
        Assert.Equal(meter.Behaviour.Identity.Guid, reading.AnsweredGuid);
        Assert.Equal(3600, reading.UptimeS);
        Assert.Equal(239_500, reading.VoltageMv);
        Assert.Equal(1, reading.Transmissions);
        Assert.Equal(meter.EndPoint.ToString(), _links.EndpointOf(meter.Behaviour.Identity.Guid));
        Assert.True(await client.PingAsync(meter.EndPoint));
    }

    [Fact]
    public async Task EachRequest_UsesAFreshHeadEndCounter_SoTheMeterAcceptsEveryOne()
    {
        await using var fleet = MeterFleet.StartProtected([Identity(2)], Port());
        await using var client = Client();
        var target = Target(fleet.Meters[0]);

        var first = await client.ReadStatusAsync(target);
        var second = await client.ReadStatusAsync(target);
        var cfg = await client.ReadConfigAsync(target);

        Assert.Equal(StatusOutcome.Answered, first.Outcome);
        Assert.Equal(StatusOutcome.Answered, second.Outcome);
        Assert.Equal("1", cfg.Pairs!["EVENT_PRIORITY_OUTAGE"]);
        Assert.Equal(3u, _links.Counter(target.Guid));
    }

    [Fact]
    public async Task SilentMeter_IsNoAnswer_AfterEveryRetransmission()
    {
        await using var fleet = MeterFleet.StartProtected([Identity(3)], Port());
        var meter = fleet.Meters[0];
        meter.Behaviour!.Silent = true;
        await using var client = Client(ackTimeoutMs: 20, maxRetransmit: 2);

        var reading = await client.ReadStatusAsync(Target(meter));

        Assert.Equal(StatusOutcome.NoAnswer, reading.Outcome);
        Assert.Equal(3, reading.Transmissions);
        Assert.False(await client.PingAsync(meter.EndPoint));
    }

    [Fact]
    public async Task AMeterThatDropsTheFirstRequest_AnswersTheRetransmission()
    {
        await using var fleet = MeterFleet.StartProtected([Identity(4)], Port());
        var meter = fleet.Meters[0];
        meter.Behaviour!.DropNext(1);
        await using var client = Client(ackTimeoutMs: 50, maxRetransmit: 3);

        var reading = await client.ReadStatusAsync(Target(meter));

        Assert.Equal(StatusOutcome.Answered, reading.Outcome);
        Assert.True(reading.Transmissions >= 2, $"{reading.Transmissions} transmissions"); // 3 when the machine is slow: the meter answers a retransmission again
        Assert.True(meter.Behaviour.Received >= 2);
    }

    [Fact]
    public async Task AnAnswerUnderTheWrongKeys_IsNoAnswer_AndIsLoggedErrAuthFailed()
    {
        await using var fleet = MeterFleet.StartProtected([Identity(5)], Port());
        var meter = fleet.Meters[0];
        meter.Behaviour!.AnswerKeys = MeterKeys.Derive(Enumerable.Repeat((byte)7, 32).ToArray(), meter.Behaviour.Identity.Guid);
        await using var client = Client(ackTimeoutMs: 20, maxRetransmit: 1);

        var reading = await client.ReadStatusAsync(Target(meter));
        await _log.FlushAsync();

        Assert.Equal(StatusOutcome.AuthFailed, reading.Outcome);
        Assert.False(reading.Answered);
        Assert.Null(reading.UptimeS);
        Assert.Null(_links.EndpointOf(meter.Behaviour.Identity.Guid));
        var line = Assert.Single(File.ReadAllLines(_log.FilePath), l => l.Contains("ERR_AUTH_FAILED", StringComparison.Ordinal));
        Assert.Contains("M5", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManyMeters_AreAskedAtMostMaxConcurrencyAtOnce()
    {
        const int bound = 2;
        var identities = Enumerable.Range(10, 6).Select(Identity).ToList();
        await using var fleet = MeterFleet.StartProtected(identities, Port(), firstAddress: 10);
        var held = new ConcurrentDictionary<Guid, TaskCompletionSource>();
        var arrived = System.Threading.Channels.Channel.CreateUnbounded<Guid>();
        int maxHeld = 0;
        foreach (var m in fleet.Meters)
        {
            m.Behaviour!.Hold = b =>
            {
                var gate = held.GetOrAdd(b.Identity.Guid, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                lock (held)
                {
                    maxHeld = Math.Max(maxHeld, held.Count(h => !h.Value.Task.IsCompleted));
                }

                arrived.Writer.TryWrite(b.Identity.Guid);
                return gate.Task;
            };
        }

        // A long ACK timeout: no retransmission while a meter is held.
        await using var client = Client(maxConcurrency: bound, ackTimeoutMs: 30_000, maxRetransmit: 0, requestTimeoutMs: 120_000);
        var all = client.ReadStatusAsync(fleet.Meters.Select(Target));
        for (int released = 0; released < identities.Count; released++)
        {
            var guid = await arrived.Reader.ReadAsync();
            held[guid].SetResult(); // answer it: the client may then ask the next one
        }

        var readings = await all;
        Assert.All(readings, r => Assert.Equal(StatusOutcome.Answered, r.Outcome));
        Assert.True(maxHeld <= bound, $"{maxHeld} meters were asked at once (bound {bound})");
    }

    [Fact]
    public void ProtectedRequest_IsAcceptedByTheSimulator_AndItsAnswerReadsBack_AReplayIsRefused()
    {
        var id = Identity(20);
        var meter = new SimulatedMeter(id.Id, new IPEndPoint(IPAddress.Loopback, 1), false, false) { Behaviour = new MeterBehaviour(id, TimeProvider.System) };
        byte[] request = Get("status", ProtectedText.Protect(0x4F50534845000001, 7, id.Keys, [new("GUID", id.Guid.ToString())]));
        var answer = new byte[512];

        int n = MeterFleet.Respond(meter, request, answer);
        int replay = MeterFleet.Respond(meter, request, answer.AsSpan(256));

        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(answer.AsSpan(0, n), out var view));
        Assert.Equal(CoapCode.Content, view.Code);
        Assert.True(ProtectedText.TryUnprotect(view.Payload, id.Keys, out ulong title, out _, out var pairs));
        Assert.Equal(id.SystemTitle, title);
        Assert.Equal(id.Guid.ToString(), pairs["GUID"]);
        Assert.True(pairs.ContainsKey("UPTIME") && pairs.ContainsKey("VOLTAGE"));
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(answer.AsSpan(256, replay), out var refused));
        Assert.Equal(CoapCode.Unauthorized, refused.Code);
    }

    private static byte[] Get(string resource, byte[] payload)
    {
        var buffer = new byte[payload.Length + 64];
        var w = new CoapWriter(buffer);
        Assert.True(w.TryWriteHeader(CoapType.Confirmable, CoapCode.Get, 99, [1, 2]) && w.TryWriteStringOption(CoapOptionNumber.UriPath, "ami")
            && w.TryWriteStringOption(CoapOptionNumber.UriPath, resource) && w.TryWriteUInt32Option(CoapOptionNumber.ContentFormat, 42) && w.TryWritePayload(payload));
        return buffer[..w.Written];
    }

    private sealed class MemoryLinks : IMeterLinkStore
    {
        private readonly ConcurrentDictionary<Guid, uint> _counters = new();
        private readonly ConcurrentDictionary<Guid, string> _endpoints = new();

        public uint Counter(Guid meter) => _counters.GetValueOrDefault(meter);

        public uint ReserveInvocationCounter(Guid meter) => _counters.AddOrUpdate(meter, 1, (_, c) => c + 1);

        public string? EndpointOf(Guid meter) => _endpoints.GetValueOrDefault(meter);

        public void SetEndpoint(Guid meter, string endpoint) => _endpoints[meter] = endpoint;
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
