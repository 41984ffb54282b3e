using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace OpsConsole.Gis.Topology;

public sealed partial class NetworkTopology
{
    private NetworkTopology(TopologyFeature[] features)
    {
        _features = features;
        int elementCount = 0;
        foreach (var f in features)
        {
            if (f.Kind != ElementKind.Line)
            {
                elementCount++;
            }
        }

        _elements = new TopologyFeature[elementCount];
        _lines = new TopologyFeature[features.Length - elementCount];
        _byId = new Dictionary<string, int>(features.Length, StringComparer.Ordinal);
        _countByKind = new int[6];
        int e = 0, l = 0;
        foreach (var f in features)
        {
            _countByKind[(int)f.Kind]++;
            if (f.Kind == ElementKind.Line)
            {
                _byId[f.Id] = ~l;
                _lines[l++] = f;
            }
            else
            {
                _byId[f.Id] = e;
                _elements[e++] = f;
            }
        }

        int meters = _countByKind[(int)ElementKind.Meter];
        _meterByGuid = new Dictionary<Guid, int>(meters);
        _meterBySystemTitle = new Dictionary<ulong, int>(meters);
        _parent = new int[elementCount];
        var childCount = new int[elementCount + 1];
        for (int i = 0; i < elementCount; i++)
        {
            var f = _elements[i];
            int p = -1;
            if (f.Parent is not null && _byId.TryGetValue(f.Parent, out var pi) && pi >= 0 &&
                TopologyValidator.IsAllowedParent(f.Kind, _elements[pi].Kind))
            {
                p = pi;
                childCount[p]++;
            }

            _parent[i] = p;
            if (f.Kind == ElementKind.Meter)
            {
                _meterByGuid.TryAdd(f.Guid, i);
                _meterBySystemTitle.TryAdd(f.SystemTitle, i);
            }
        }

        // Children in CSR form.
        _childStart = new int[elementCount + 1];
        for (int i = 0; i < elementCount; i++)
        {
            _childStart[i + 1] = _childStart[i] + childCount[i];
        }

        _children = new int[_childStart[elementCount]];
        var fill = new int[elementCount];
        for (int i = 0; i < elementCount; i++)
        {
            int p = _parent[i];
            if (p >= 0)
            {
                _children[_childStart[p] + fill[p]++] = i;
            }
        }

        // Depth-first numbering: the meters below an element form one contiguous range.
        _meterStart = new int[elementCount];
        _meterEnd = new int[elementCount];
        _transformersBelow = new int[elementCount];
        _meterOrder = new int[meters];
        int next = 0;
        var stack = new Stack<(int Element, bool Exit)>();
        for (int root = 0; root < elementCount; root++)
        {
            if (_parent[root] >= 0)
            {
                continue;
            }

            stack.Push((root, false));
            while (stack.Count > 0)
            {
                var (node, exit) = stack.Pop();
                if (exit)
                {
                    _meterEnd[node] = next;
                    int below = _elements[node].Kind == ElementKind.Transformer ? 1 : 0;
                    foreach (var c in ChildrenOf(node))
                    {
                        below += _transformersBelow[c];
                    }

                    _transformersBelow[node] = below;
                    continue;
                }

                _meterStart[node] = next;
                if (_elements[node].Kind == ElementKind.Meter)
                {
                    _meterOrder[next++] = node;
                }

                stack.Push((node, true));
                var kids = ChildrenOf(node);
                for (int k = kids.Length - 1; k >= 0; k--)
                {
                    stack.Push((kids[k], false));
                }
            }
        }

        var bounds = new Envelope();
        foreach (var f in features)
        {
            bounds.ExpandToInclude(f.Geometry.EnvelopeInternal);
        }

        Bounds = bounds;
        _lonScale = bounds.IsNull ? 1 : Math.Cos(bounds.Centre.Y * Math.PI / 180);
        _points = BuildPointIndex();
        _transformers = BuildTransformerIndex();
    }

    /// <summary>
    /// Builds a snapshot from features that passed <see cref="TopologyValidator"/>. Meters whose
    /// parent is not a transformer are unmapped; duplicate ids keep the last feature.
    /// </summary>
    public static NetworkTopology Build(IReadOnlyList<TopologyFeature> features) => new([.. features]);

    private STRtree<int> BuildPointIndex()
    {
        var tree = new STRtree<int>();
        for (int i = 0; i < _elements.Length; i++)
        {
            tree.Insert(_elements[i].Geometry.EnvelopeInternal, i);
        }

        tree.Build();
        return tree;
    }
}
