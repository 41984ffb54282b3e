using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols.Coap;

namespace OpsConsole.Engine.Tests.Independent;

/// <summary>
/// frames.json: datagrams built by encode_frames.py, an encoder written from wire-format.md alone
/// (Python, pyca/cryptography), with every input that went into them.
/// </summary>
internal static class IndependentFrames
{
    public const string Python = "/usr/bin/python3";

    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Independent");

    public static string FixturePath => Path.Combine(Folder, "frames.json");

    public static string ScriptPath => Path.Combine(Folder, "encode_frames.py");

    private static readonly Lazy<(byte[] MasterKey, IReadOnlyList<IndependentFrame> Frames)> Loaded = new(() => Parse(File.ReadAllText(FixturePath)));

    public static byte[] MasterKey => Loaded.Value.MasterKey;

    public static IReadOnlyList<IndependentFrame> All => Loaded.Value.Frames;

    public static IndependentFrame Named(string name) => All.Single(f => f.Name == name);

    /// <summary>A topology registering every meter of the fixtures under its system title.</summary>
    public static string TopologyGeoJson()
    {
        var meters = All.DistinctBy(f => f.SystemTitle).Select((f, i) => $$$"""
             ,{"type":"Feature","geometry":{"type":"Point","coordinates":[-89.0021,40.0031]},"properties":{"kind":"meter","id":"IM{{{i + 1}}}","parent":"T1","guid":"{{{f.MeterId}}}","systemTitle":"{{{f.SystemTitle:X16}}}"}}
            """);
        return $$$"""
            {"type":"FeatureCollection","features":[
             {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.0,40.0]},"properties":{"kind":"substation","id":"S1","name":"North Sub"}},
             {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.0,40.0]},"properties":{"kind":"feeder","id":"F1","parent":"S1","name":"Feeder 1"}},
             {"type":"Feature","geometry":{"type":"Point","coordinates":[-89.002,40.003]},"properties":{"kind":"transformer","id":"T1","parent":"F1","kva":25,"phase":"A"}}
            {{{string.Concat(meters)}}}
            ]}
            """;
    }

    /// <summary>True when <see cref="Python"/> can import <c>cryptography</c> (test.sh installs python3-cryptography).</summary>
    public static bool PythonWithCryptography { get; } = Probe();

    public static (byte[] MasterKey, IReadOnlyList<IndependentFrame> Frames) Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var frames = root.GetProperty("frames").EnumerateArray().Select(IndependentFrame.From).ToList();
        return (Convert.FromHexString(root.GetProperty("masterKey").GetString()!), frames);
    }

    private static bool Probe()
    {
        if (!File.Exists(Python))
        {
            return false;
        }

        using var process = Process.Start(new ProcessStartInfo(Python, ["-c", "import cryptography"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        process.WaitForExit();
        return process.ExitCode == 0;
    }
}

/// <summary>One independently encoded event and its inputs.</summary>
internal sealed record IndependentFrame(
    string Name,
    CoapType Type,
    ushort MessageId,
    byte[] Token,
    ulong SystemTitle,
    Guid MeterId,
    uint Counter,
    MeterEvent Event,
    int? Block1SizeExponent,
    bool CorruptTag,
    byte[] Apdu,
    IReadOnlyList<byte[]> Datagrams)
{
    public static IndependentFrame From(JsonElement e)
    {
        var meter = Guid.Parse(e.GetProperty("guid").GetString()!);
        var send = e.GetProperty("sendTime");
        var meterEvent = new MeterEvent(
            meter,
            (MeterEventCode)e.GetProperty("code").GetByte(),
            e.GetProperty("eventId").GetUInt32(),
            e.GetProperty("epoch").GetUInt16(),
            send.ValueKind == JsonValueKind.Null ? null : Utc(send.GetString()!),
            Utc(e.GetProperty("eventTime").GetString()!),
            e.GetProperty("capacitorMv").GetUInt16(),
            e.GetProperty("rssi").GetSByte(),
            e.GetProperty("invokeId").GetUInt32());
        return new IndependentFrame(
            e.GetProperty("name").GetString()!,
            e.GetProperty("coapType").GetString() == "CON" ? CoapType.Confirmable : CoapType.NonConfirmable,
            e.GetProperty("messageId").GetUInt16(),
            Convert.FromHexString(e.GetProperty("token").GetString()!),
            ulong.Parse(e.GetProperty("systemTitle").GetString()!, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            meter,
            e.GetProperty("counter").GetUInt32(),
            meterEvent,
            e.TryGetProperty("block1Szx", out var szx) ? szx.GetInt32() : null,
            e.TryGetProperty("corruptTag", out var corrupt) && corrupt.GetBoolean(),
            Convert.FromHexString(e.GetProperty("apdu").GetString()!),
            e.GetProperty("datagrams").EnumerateArray().Select(d => Convert.FromHexString(d.GetString()!)).ToList());
    }

    private static DateTimeOffset Utc(string s) =>
        new(DateTime.SpecifyKind(DateTime.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.None), DateTimeKind.Utc));

    public override string ToString() => Name;
}

/// <summary>A fact that runs only where <see cref="IndependentFrames.PythonWithCryptography"/> holds (skipped, and reported so, elsewhere).</summary>
internal sealed class PythonCryptographyFactAttribute : FactAttribute
{
    public PythonCryptographyFactAttribute()
    {
        if (!IndependentFrames.PythonWithCryptography)
        {
            Skip = $"{IndependentFrames.Python} with the cryptography package is not installed (apt-get install python3-cryptography; test.sh does)";
        }
    }
}
