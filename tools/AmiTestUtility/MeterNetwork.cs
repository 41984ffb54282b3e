using System.Collections.Concurrent;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Tools.AmiTestUtility;

/// <summary>
/// The network the meters live on (the topology GeoJSON, read with the console's own reader) and the
/// master key their per-meter keys derive from (wire-format.md §4).
/// </summary>
public sealed class MeterNetwork
{
    public const string BundledNetwork = "networks/ckt24.geojson";

    private readonly byte[] _masterKey;
    private readonly ConcurrentDictionary<Guid, MeterKeys> _keys = new();

    public MeterNetwork(NetworkTopology topology, byte[] masterKey, string source)
    {
        Topology = topology;
        _masterKey = masterKey;
        Source = source;
    }

    public NetworkTopology Topology { get; }

    public string Source { get; }

    public MeterKeys KeysOf(Guid meter) => _keys.GetOrAdd(meter, g => MeterKeys.Derive(_masterKey, g));

    /// <summary>Loads the topology (default: the bundled ckt24, looked for above the current folder and above the binaries) and the key file.</summary>
    public static async Task<MeterNetwork> LoadAsync(CommonOptions o, string command, CancellationToken ct)
    {
        var path = ResolveTopology(o.Topology, command);
        var import = await TopologyGeoJsonReader.ReadFileAsync(path, ct);
        if (!import.IsValid)
        {
            throw new UsageException($"{command}: --topology = '{path}': invalid network ({string.Join("; ", import.Errors.Take(3).Select(e => e.ToString()))})");
        }

        byte[] key;
        try
        {
            key = MasterKeyFile.Load(o.KeyFile);
        }
        catch (MasterKeyFileException ex)
        {
            throw new UsageException($"{command}: --key: {ex.Message} (the console creates it on first start; pass --key <its Security:MasterKeyFile>)");
        }

        return new MeterNetwork(NetworkTopology.Build(import.Features, keepExtraProperties: false), key, path);
    }

    public static string ResolveTopology(string? given, string command)
    {
        if (given is not null)
        {
            return File.Exists(given) ? Path.GetFullPath(given) : throw new UsageException($"{command}: --topology = '{given}': no such file");
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, BundledNetwork);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new UsageException($"{command}: the bundled {BundledNetwork} was not found above the current folder or the binaries: pass --topology <file>");
    }

    /// <summary>A meter by id or GUID, or a <see cref="UsageException"/> naming it.</summary>
    public int ResolveMeter(string idOrGuid, string command) =>
        Topology.TryGetMeter(idOrGuid, out int m)
            ? m
            : throw new UsageException($"{command}: unknown meter '{idOrGuid}': no meter with that id or GUID in {Source}");

    /// <summary>The CoAP POST of one event of meter <paramref name="meter"/> (topology index), encrypted with its keys.</summary>
    public byte[] Frame(int meter, MeterEventCode code, uint eventId, uint counter, CoapType type, ushort messageId, DateTimeOffset eventTime, DateTimeOffset sendTime, MeterKeys? keysOverride = null)
    {
        var f = Topology[meter];
        return BuildFrame(f.Guid, f.SystemTitle, keysOverride ?? KeysOf(f.Guid), code, eventId, counter, type, messageId, eventTime, sendTime);
    }

    public static byte[] BuildFrame(Guid guid, ulong systemTitle, MeterKeys keys, MeterEventCode code, uint eventId, uint counter, CoapType type, ushort messageId, DateTimeOffset eventTime, DateTimeOffset sendTime)
    {
        ushort capacitor = code is MeterEventCode.PowerDown or MeterEventCode.TestPowerDown ? (ushort)4200 : (ushort)0;
        var e = new MeterEvent(guid, code, eventId, 1, sendTime, eventTime, capacitor, -70, 0x8000_0000u | (eventId & 0xFFFFFFu));
        byte[] token = [(byte)(messageId >> 8), (byte)messageId];
        return MeterFrameWriter.Post(type, messageId, token, MeterFrameWriter.Apdu(e, systemTitle, counter, keys));
    }
}

/// <summary>
/// Invocation counters and event ids that strictly increase across runs without any state on disk:
/// a run starts at <c>(whole seconds since 2024-01-01 UTC) × 16</c> and a meter uses at most 16 counters
/// a run, so two runs at least one second apart never collide (a uint lasts until 2032).
/// </summary>
public static class RunCounter
{
    public const int PerRun = 16;

    private static readonly DateTimeOffset Origin = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static uint BaseFor(DateTimeOffset now) => checked((uint)((long)(now - Origin).TotalSeconds * PerRun));
}
