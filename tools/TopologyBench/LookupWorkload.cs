using OpsConsole.Gis.Topology;

namespace OpsConsole.Tools.TopologyBench;

/// <summary>
/// The look-ups the engine does per event, over random inputs picked up front (so the timed loops
/// do nothing but look up). Each method performs <c>n</c> look-ups and returns a checksum that the
/// caller keeps, so the JIT cannot drop the work.
/// </summary>
internal sealed class LookupWorkload
{
    private const int Size = 1 << 20;
    private const int Mask = Size - 1;

    private readonly NetworkTopology _topology;
    private readonly int[] _meters = new int[Size];
    private readonly int[] _elements = new int[Size];
    private readonly Guid[] _guids = new Guid[Size];
    private readonly ulong[] _systemTitles = new ulong[Size];
    private readonly string[] _ids = new string[Size];
    private readonly double[] _longitudes = new double[Size];
    private readonly double[] _latitudes = new double[Size];
    private int _cursor; // successive batches continue through the inputs instead of replaying them

    public LookupWorkload(NetworkTopology topology, int seed = 20240611)
    {
        _topology = topology;
        var meterIndices = new List<int>(topology.MeterCount);
        for (int e = 0; e < topology.ElementCount; e++)
        {
            if (topology.KindOf(e) == ElementKind.Meter)
            {
                meterIndices.Add(e);
            }
        }

        var random = new Random(seed);
        long hops = 0;
        for (int i = 0; i < Size; i++)
        {
            int meter = meterIndices[random.Next(meterIndices.Count)];
            _meters[i] = meter;
            var f = topology[meter];
            _guids[i] = f.Guid;
            _systemTitles[i] = f.SystemTitle;
            _elements[i] = random.Next(topology.ElementCount);

            // A fresh string, as a request or a message would carry it: not the dictionary's own key.
            _ids[i] = new string(topology[random.Next(topology.ElementCount)].Id.AsSpan());

            var at = topology[meterIndices[random.Next(meterIndices.Count)]].Location;
            _longitudes[i] = at.X;
            _latitudes[i] = at.Y;
            foreach (var _ in topology.Upstream(meter))
            {
                hops++;
            }
        }

        MeanUpstreamHops = hops / (double)Size;
    }

    /// <summary>Average number of ancestors above the picked meters (the length of one chain).</summary>
    public double MeanUpstreamHops { get; }

    public long UpstreamChain(int n)
    {
        long sum = 0;
        int c = Next(n);
        var topology = _topology;
        var meters = _meters;
        for (int i = 0; i < n; i++)
        {
            foreach (var a in topology.Upstream(meters[(c + i) & Mask]))
            {
                sum += a;
            }
        }

        return sum;
    }

    public long MeterCountBelow(int n)
    {
        long sum = 0;
        int c = Next(n);
        var topology = _topology;
        var elements = _elements;
        for (int i = 0; i < n; i++)
        {
            sum += topology.MeterCountBelow(elements[(c + i) & Mask]);
        }

        return sum;
    }

    public long MetersBelow(int n)
    {
        long sum = 0;
        int c = Next(n);
        var topology = _topology;
        var elements = _elements;
        for (int i = 0; i < n; i++)
        {
            foreach (var m in topology.MetersBelow(elements[(c + i) & Mask]))
            {
                sum += m;
            }
        }

        return sum;
    }

    public long TryGetMeterByGuid(int n)
    {
        long sum = 0;
        int c = Next(n);
        var topology = _topology;
        var guids = _guids;
        for (int i = 0; i < n; i++)
        {
            if (topology.TryGetMeter(guids[(c + i) & Mask], out int meter))
            {
                sum += meter;
            }
        }

        return sum;
    }

    public long TryGetMeterBySystemTitle(int n)
    {
        long sum = 0;
        int c = Next(n);
        var topology = _topology;
        var titles = _systemTitles;
        for (int i = 0; i < n; i++)
        {
            if (topology.TryGetMeterBySystemTitle(titles[(c + i) & Mask], out int meter))
            {
                sum += meter;
            }
        }

        return sum;
    }

    public long TryGetElementById(int n)
    {
        long sum = 0;
        int c = Next(n);
        var topology = _topology;
        var ids = _ids;
        for (int i = 0; i < n; i++)
        {
            if (topology.TryGetElement(ids[(c + i) & Mask], out int element))
            {
                sum += element;
            }
        }

        return sum;
    }

    public long NearestTransformers(int n)
    {
        long sum = 0;
        int c = Next(n);
        var topology = _topology;
        for (int i = 0; i < n; i++)
        {
            int j = (c + i) & Mask;
            var nearest = topology.NearestTransformers(_longitudes[j], _latitudes[j], 5);
            for (int k = 0; k < nearest.Count; k++)
            {
                sum += nearest[k];
            }
        }

        return sum;
    }

    private int Next(int n)
    {
        int c = _cursor;
        _cursor = (c + n) & Mask;
        return c;
    }
}
