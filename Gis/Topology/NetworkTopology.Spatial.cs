using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace OpsConsole.Gis.Topology;

public sealed partial class NetworkTopology
{
    private readonly Lazy<STRtree<int>> _points;        // every element, longitude/latitude
    private readonly Lazy<STRtree<int>> _transformers;  // transformers, in the projected plane below
    private readonly double _lonScale;            // cos(latitude of the network's centre)

    /// <summary>Elements (not lines) whose point lies inside <paramref name="box"/> (longitude/latitude).</summary>
    public IReadOnlyList<int> ElementsIn(Envelope box)
    {
        var hits = _points.Value.Query(box);
        var result = new List<int>(hits.Count);
        foreach (var i in hits)
        {
            _elements[i].TryGetPoint(out double px, out double py);
            if (box.Contains(px, py))
            {
                result.Add(i);
            }
        }

        return result;
    }

    /// <summary>
    /// The <paramref name="count"/> transformers nearest to a longitude/latitude, nearest first.
    /// Distances are measured on a local plane (longitude scaled by the cosine of the network's
    /// central latitude), exact in ordering at the scale of a utility's territory.
    /// </summary>
    public IReadOnlyList<int> NearestTransformers(double longitude, double latitude, int count)
    {
        int available = CountOf(ElementKind.Transformer);
        if (count <= 0 || available == 0)
        {
            return [];
        }

        double x = longitude * _lonScale;
        var probe = new Envelope(x, x, latitude, latitude);
        var found = _transformers.Value.NearestNeighbour(probe, -1, PointDistance.Instance, Math.Min(count, available));
        var list = new List<int>(found);
        list.Sort((a, b) => Distance2(a).CompareTo(Distance2(b)));
        return list;

        double Distance2(int i)
        {
            var c = _elements[i].Location;
            double dx = (c.X * _lonScale) - x, dy = c.Y - latitude;
            return (dx * dx) + (dy * dy);
        }
    }

    private STRtree<int> BuildTransformerIndex()
    {
        var tree = new STRtree<int>();
        for (int i = 0; i < _elements.Length; i++)
        {
            if (_elements[i].Kind == ElementKind.Transformer)
            {
                var c = _elements[i].Location;
                double x = c.X * _lonScale;
                tree.Insert(new Envelope(x, x, c.Y, c.Y), i);
            }
        }

        tree.Build();
        return tree;
    }

    /// <summary>Items are points in the projected plane: their distance is that of their envelopes.</summary>
    private sealed class PointDistance : IItemDistance<Envelope, int>
    {
        public static readonly PointDistance Instance = new();

        public double Distance(IBoundable<Envelope, int> item1, IBoundable<Envelope, int> item2) =>
            item1.Bounds.Distance(item2.Bounds);
    }
}
