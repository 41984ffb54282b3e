using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Hosting;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Correlation.Hosting;

/// <summary>
/// The correlation engine's start-up warm-up (see <see cref="JitWarmup"/>): a scratch correlator over a small
/// synthetic network (one substation, 2 feeders × 4 fuses × 8 transformers × 4 meters) lives through storms of its
/// own — a transformer, a single meter, most of a fuse's transformers (roll-up), a meter nobody mapped — with
/// qualification, snapshots, restoration and nested outages, on its own timeline. Its outages are thrown away;
/// the network's size does not change its cost.
/// </summary>
public static class CorrelationWarmup
{
    private const int Feeders = 2;
    private const int Devices = 4;
    private const int Transformers = 8;
    private const int MetersPerTransformer = 4;

    public static WarmupResult Run(CorrelationOptions options, TimeSpan budget)
    {
        ArgumentNullException.ThrowIfNull(options);
        var features = Network();
        var net = NetworkTopology.Build(features, keepExtraProperties: false);
        var meters = features.Where(f => f.Kind == ElementKind.Meter).ToArray();
        var correlator = new OutageCorrelator(net, options);
        var at = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var step = TimeSpan.FromMilliseconds(options.WindowMs + options.QualifyMs + options.NestedMs) + TimeSpan.FromSeconds(1);
        var unmapped = SyntheticMeters.Meter("warmup-unmapped", 1); // not in the network: an Unknown outage
        uint eventId = 0;
        int round = 0;

        void Send(IEnumerable<TopologyFeature> which, MeterEventCode code)
        {
            foreach (var m in which)
            {
                at += TimeSpan.FromMilliseconds(1);
                eventId++;
                correlator.Process(new RecordedEvent(SyntheticMeters.Event(m.Guid, code, eventId, at), m.SystemTitle, eventId, at, "warmup", EventFlags.None, m.Id));
            }
        }

        void Settle(TimeSpan after)
        {
            at += after;
            correlator.Advance(at);
            _ = new OutageSnapshot(correlator.AllOutages());
            correlator.DrainChanges();
        }

        void Round()
        {
            int device = round % (Feeders * Devices);
            int first = device * Transformers * MetersPerTransformer;
            var down = new List<TopologyFeature>();
            down.AddRange(meters.Skip(first).Take(MetersPerTransformer * (Transformers - 2)));         // most of a fuse: roll-up
            down.AddRange(meters.Skip((first + (Transformers * MetersPerTransformer)) % meters.Length).Take(MetersPerTransformer)); // a transformer
            down.Add(meters[(first + (2 * Transformers * MetersPerTransformer) + 1) % meters.Length]); // a meter
            Send(down.Append(unmapped), MeterEventCode.PowerDown);
            Settle(TimeSpan.FromMilliseconds(options.WindowMs + 1));
            Settle(TimeSpan.FromMilliseconds(options.QualifyMs + 1));
            Send(down.Take(1), MeterEventCode.PowerUp); // restoration starts; the rest nest
            Settle(TimeSpan.FromMilliseconds(options.NestedMs + 1));
            Send(down.Skip(1).Append(unmapped), MeterEventCode.PowerUp);
            Settle(step);
            round++;
        }

        return JitWarmup.Run(Round, TimeSpan.FromMilliseconds(300), budget);
    }

    private static List<TopologyFeature> Network()
    {
        var features = new List<TopologyFeature> { SyntheticMeters.Element(ElementKind.Substation, "warmup-S", null) };
        ulong title = 0x5741_524D_0001_0000UL;
        for (int f = 0; f < Feeders; f++)
        {
            string feeder = $"warmup-F{f}";
            features.Add(SyntheticMeters.Element(ElementKind.Feeder, feeder, "warmup-S"));
            for (int d = 0; d < Devices; d++)
            {
                string device = $"{feeder}-D{d}";
                features.Add(SyntheticMeters.Element(ElementKind.Device, device, feeder, DeviceType.Fuse));
                for (int t = 0; t < Transformers; t++)
                {
                    string transformer = $"{device}-T{t}";
                    features.Add(SyntheticMeters.Element(ElementKind.Transformer, transformer, device));
                    for (int m = 0; m < MetersPerTransformer; m++)
                    {
                        features.Add(SyntheticMeters.Meter($"{transformer}-M{m}", title++, transformer));
                    }
                }
            }
        }

        return features;
    }
}
