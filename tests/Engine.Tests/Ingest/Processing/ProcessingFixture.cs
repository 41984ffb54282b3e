using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Ingest.Processing;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Protocols.Dlms;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Tests.Coap;
using OpsConsole.Engine.Topology;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Tests.Ingest.Processing;

/// <summary>
/// A head-end ingest stage without sockets: a two-meter topology, a manual clock, a log in a temp folder,
/// and frames built with the project's own writers (CoAP POST ← general-glo-ciphering ← Data-Notification).
/// </summary>
internal sealed class ProcessingFixture : IAsyncDisposable
{
    public static readonly byte[] MasterKey = Enumerable.Range(0, 32).Select(i => (byte)(0xA0 + i)).ToArray();
    public static readonly Guid Meter1 = Guid.Parse("00000000-0000-4000-8000-000000000001");
    public static readonly Guid Meter2 = Guid.Parse("00000000-0000-4000-8000-000000000002");
    public const ulong Title1 = 0x4F50530000000001UL;
    public const ulong Title2 = 0x4F50530000000002UL;
    public const ulong UnknownTitle = 0x4F505300000000FFUL;
    public static readonly IPEndPoint Gateway = new(IPAddress.Parse("127.0.0.1"), 40001);
    public static readonly IPEndPoint Stranger = new(IPAddress.Parse("192.0.2.7"), 40001);

    public const string GeoJson = """
    {"type":"FeatureCollection","features":[
     {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.0,40.0]},"properties":{"kind":"substation","id":"S1","name":"North Sub"}},
     {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.0,40.0]},"properties":{"kind":"feeder","id":"F1","parent":"S1","name":"Feeder 1"}},
     {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.002,40.003]},"properties":{"kind":"transformer","id":"T1","parent":"F1","kva":25,"phase":"A"}},
     {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.0021,40.0031]},"properties":{"kind":"meter","id":"M1","parent":"T1","guid":"00000000-0000-4000-8000-000000000001","systemTitle":"4F50530000000001"}},
     {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.0022,40.0031]},"properties":{"kind":"meter","id":"M2","parent":"T1","guid":"00000000-0000-4000-8000-000000000002","systemTitle":"4F50530000000002"}}
    ]}
    """;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "opsconsole-tests", Guid.NewGuid().ToString("N"));
    private readonly MeterKeyCache _keys;
    private bool _logClosed;

    /// <param name="masterKey">The head-end's master key; <see cref="MasterKey"/> when null.</param>
    /// <param name="geoJson">The topology (meter registry); <see cref="GeoJson"/> when null.</param>
    public ProcessingFixture(IEnumerable<EventKey>? recordedKeys = null, ReplayGuard? replay = null, byte[]? masterKey = null, string? geoJson = null)
    {
        _keys = new MeterKeyCache(masterKey ?? MasterKey);
        var topology = new TopologyState();
        topology.Replace(NetworkTopology.Build(TopologyGeoJsonReader.Read(Encoding.UTF8.GetBytes(geoJson ?? GeoJson)).Features));
        var hes = new HesOptions();
        hes.AllowedGateways.Add("127.0.0.0/8");
        hes.AllowedGateways.Add("::1/128");
        Log = new EventProcessorLog(_folder, Time);
        Context = new IngestContext(
            Stats,
            Log,
            new CoapDeduplicator(Time, 1024),
            new Block1Reassembler(Time),
            replay ?? new ReplayGuard(),
            new EventValidator(new ValidationOptions()),
            new GatewayFilter(hes),
            new MeterRegistry(topology, _keys),
            Time,
            recordedKeys);
        Processor = new DatagramProcessor(Context);
    }

    public ManualTimeProvider Time { get; } = new();

    public IngestStats Stats { get; } = new();

    public EventProcessorLog Log { get; }

    public IngestContext Context { get; }

    public DatagramProcessor Processor { get; }

    public byte[] Response { get; } = new byte[DatagramProcessor.MaxResponseLength];

    public DatagramResult Process(byte[] datagram, IPEndPoint? source = null) =>
        Processor.Process(datagram, source ?? Gateway, Response);

    /// <summary>The bytes the caller would send (now or after durability).</summary>
    public byte[] Sent(in DatagramResult result) => Response.AsSpan(0, result.ResponseLength).ToArray();

    /// <summary>What the caller does once the journal flush made the event durable.</summary>
    public void Commit(in DatagramResult result)
    {
        Assert.Equal(DatagramOutcome.Persist, result.Outcome);
        Context.Commit(result.Event!, result.Source, result.MessageId, Response.AsSpan(0, result.ResponseLength));
    }

    /// <summary>Closes the log (its writer drains to the file) and returns its lines.</summary>
    public async Task<string[]> LogLinesAsync()
    {
        if (!_logClosed)
        {
            _logClosed = true;
            await Log.DisposeAsync();
        }

        return File.Exists(Log.FilePath) ? await File.ReadAllLinesAsync(Log.FilePath) : [];
    }

    public static MeterEvent Event(
        Guid meter,
        MeterEventCode code = MeterEventCode.PowerUp,
        uint eventId = 1,
        ushort epoch = 1,
        DateTimeOffset? sendTime = null,
        ushort millivolts = 4000,
        sbyte rssi = -70) =>
        new(meter, code, eventId, epoch, sendTime, new DateTimeOffset(2025, 3, 1, 11, 59, 59, 500, TimeSpan.Zero),
            millivolts, rssi, 0x8000_0001u);

    /// <summary>The default event's send time: the manual clock's now.</summary>
    public static DateTimeOffset Now => new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The encrypted APDU: <paramref name="e"/> under <paramref name="title"/>, with the keys of <paramref name="keysOf"/>.</summary>
    public static byte[] Apdu(in MeterEvent e, ulong title, uint counter, Guid keysOf)
    {
        var plaintext = new byte[DataNotification.MaxLength];
        Assert.True(DataNotification.TryWrite(e, plaintext, out int length));
        var keys = MeterKeys.Derive(MasterKey, keysOf);
        Span<byte> titleBytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(titleBytes, title);
        using var aes = new AesGcm(keys.EncryptionKey, 12);
        var apdu = new byte[GeneralGloCiphering.GetEncryptedLength(length)];
        Assert.True(GeneralGloCiphering.TryEncrypt(titleBytes, counter, plaintext.AsSpan(0, length), aes, keys.AuthenticationKey, apdu, out int written));
        return apdu[..written];
    }

    public static byte[] Post(CoapType type, ushort mid, byte[] payload, byte[]? token = null)
    {
        var buffer = new byte[payload.Length + 64];
        Assert.True(CoapMessage.TryWriteEventPost(buffer, type, mid, token ?? [0xC0, 0xFF, 0xEE], payload, out int written));
        return buffer[..written];
    }

    public static byte[] Post(CoapType type, ushort mid, CoapBlockOption block, ReadOnlySpan<byte> payload)
    {
        var buffer = new byte[payload.Length + 64];
        Assert.True(CoapMessage.TryWriteEventPost(buffer, type, mid, [0x01], block, payload, out int written));
        return buffer[..written];
    }

    /// <summary>A CON (or NON) event from meter 1 with the default event.</summary>
    public static byte[] EventFrame(CoapType type, ushort mid, uint counter, MeterEvent? e = null, ulong title = Title1) =>
        Post(type, mid, Apdu(e ?? Event(Meter1, sendTime: Now), title, counter, e?.MeterId ?? Meter1));

    public async ValueTask DisposeAsync()
    {
        Processor.Dispose();
        _keys.Dispose();
        if (!_logClosed)
        {
            await Log.DisposeAsync();
        }

        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}

/// <summary>A parsed response, for assertions.</summary>
internal readonly record struct Answer(CoapType Type, byte Code, ushort MessageId, byte[] Token, CoapBlockOption? Block1)
{
    public static Answer Parse(ReadOnlySpan<byte> bytes)
    {
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(bytes, out CoapMessageView view));
        CoapBlockOption? block = view.TryGetBlock1(out CoapBlockOption b) == CoapBlockStatus.Ok ? b : null;
        return new Answer(view.Type, view.Code, view.MessageId, view.Token.ToArray(), block);
    }
}
