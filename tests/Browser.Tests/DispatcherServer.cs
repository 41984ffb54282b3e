using System.Globalization;
using System.Security.Cryptography;
using OpsConsole.Tools.AmiTestUtility;

namespace OpsConsole.Browser.Tests;

/// <summary>
/// A console server of its own for the dispatcher test: an admin API key (random per run), the bundled ckt24
/// network named explicitly (the simulator reads the same file), a master key file at a known path (the simulator
/// derives the meters' keys from it), and short correlation times so a storm's outages close and qualify quickly.
/// </summary>
public class DispatcherServer : ServerProcess
{
    public const int WindowMs = 500;
    public const int QualifyMs = 2000;

    private static readonly string ApiKeyValue = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)); // 32 characters

    public DispatcherServer()
        : this(new Dictionary<string, string>())
    {
    }

    /// <param name="settings">More settings (environment variables) for a derived fixture's server.</param>
    /// <param name="topology">
    /// The network the server imports, when not the bundled one: a copy of it with more properties (the simulator keeps
    /// using the bundled file; the meters must be the same).
    /// </param>
    protected DispatcherServer(IReadOnlyDictionary<string, string> settings, string? topology = null)
        : base(work => new Dictionary<string, string>(settings)
        {
            ["Api__Keys__0__Key"] = ApiKeyValue,
            ["Api__Keys__0__Role"] = "admin",
            ["Correlation__WindowMs"] = WindowMs.ToString(CultureInfo.InvariantCulture),
            ["Correlation__QualifyMs"] = QualifyMs.ToString(CultureInfo.InvariantCulture),
            ["Security__MasterKeyFile"] = Path.Combine(work, "data", "keys", "master.key"),
            ["Topology__File"] = topology ?? Topology,
        })
    {
    }

    public string ApiKey => ApiKeyValue;

    /// <summary>The bundled ckt24 network, found as the simulator finds it.</summary>
    public static string Topology => MeterNetwork.ResolveTopology(null, "test");

    public string MasterKeyFile => Path.Combine(WorkDirectory, "data", "keys", "master.key");

    /// <summary>The options every command of the simulator needs to reach this server.</summary>
    public async Task<string[]> SimulatorOptionsAsync() =>
    [
        "--host", "127.0.0.1", "--port", (await UdpPortAsync()).ToString(CultureInfo.InvariantCulture),
        "--api", BaseAddress.ToString(), "--api-key", ApiKey, "--key", MasterKeyFile, "--topology", Topology,
        "--ack-timeout-ms", "1000",
    ];
}

/// <summary>
/// A dispatcher server whose restoration grace is long enough to watch restoration under way and short enough to wait
/// for its nested outages (<c>Correlation:NestedMs</c>), nesting by that grace only (no restoration verification: the
/// simulator answers no reads).
/// </summary>
public sealed class EverydayServer() : DispatcherServer(new Dictionary<string, string>
{
    ["Correlation__NestedMs"] = NestedMs.ToString(CultureInfo.InvariantCulture),
    ["Verification__Restoration"] = "false",
})
{
    public const int NestedMs = 20_000;
}

/// <summary>A dispatcher server of its own for the connection test, which kills it and starts it again.</summary>
public sealed class RestartedServer : DispatcherServer;

/// <summary>
/// A dispatcher server on the bundled network with an address on every meter (<see cref="Address"/>, by the meter's
/// place in the file), as a utility's GIS export gives them: the board's address column and search have something to show.
/// </summary>
public sealed class AddressedServer() : DispatcherServer(new Dictionary<string, string>(), AddressedTopology.Value)
{
    private static readonly Lazy<string> AddressedTopology = new(() =>
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Topology))!;
        int n = 0;
        foreach (var feature in root["features"]!.AsArray())
        {
            var properties = feature!["properties"]!.AsObject();
            if ((string?)properties["kind"] == "meter")
            {
                properties["address"] = Address(n++);
            }
        }

        var folder = Path.Combine(Path.GetTempPath(), "opsconsole-browser-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "ckt24-addressed.geojson");
        File.WriteAllText(path, root.ToJsonString());
        return path;
    });

    /// <summary>The network file the server imports.</summary>
    public static string TopologyFile => AddressedTopology.Value;

    /// <summary>The address of the <paramref name="n"/>-th meter of the file: none is a part of another.</summary>
    public static string Address(int n) => $"House {n:D5}, Oak Road";
}
