using System.Globalization;
using System.Net;
using OpsConsole.Engine.Security;
using OpsConsole.Tools.AmiTestUtility;

namespace OpsConsole.Browser.Tests;

/// <summary>
/// A console server on the <see cref="StormScaleNetwork"/> (ckt24 with part of its meters unmapped), its master key at a
/// known path so the test can encrypt as the meters do, a one-second correlation window (a transformer's meters all
/// fall in it) and a five-second qualification, so the storm's thousand outages also turn Confirmed during the test.
/// </summary>
public sealed class StormScaleServer : ServerProcess
{
    public const int WindowMs = 1000;
    public const int QualifyMs = 5000;
    public const int Seed = 24;

    private static readonly Lazy<StormScaleNetwork> Derived = new(() => StormScaleNetwork.Build(MeterNetwork.ResolveTopology(null, "test"), Seed));

    public StormScaleServer()
        : base(work =>
        {
            var topology = Path.Combine(work, "ckt24-storm-scale.geojson");
            File.WriteAllBytes(topology, Derived.Value.GeoJson);
            return new Dictionary<string, string>
            {
                ["Correlation__WindowMs"] = WindowMs.ToString(CultureInfo.InvariantCulture),
                ["Correlation__QualifyMs"] = QualifyMs.ToString(CultureInfo.InvariantCulture),
                ["Security__MasterKeyFile"] = Path.Combine(work, "data", "keys", "master.key"),
                ["Topology__File"] = topology,
            };
        })
    {
    }

    public StormScaleNetwork Network => Derived.Value;

    /// <summary>The meters as the server knows them (their keys derive from its master key).</summary>
    public MeterNetwork Meters() =>
        new(Network.Topology, MasterKeyFile.Load(Path.Combine(WorkDirectory, "data", "keys", "master.key")), "storm-scale ckt24");

    public async Task<IPEndPoint> HeadEndAsync() => new(IPAddress.Loopback, await UdpPortAsync());
}
