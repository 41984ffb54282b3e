using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace OpsConsole.Gis.Topology;

public sealed partial class NetworkTopology
{
    private NetworkTopology(TopologyFeature[] features, bool keepExtraProperties)
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
                _lines[l++] = f;
            }
            else
            {
                _elements[e++] = f;
            }
        }

        int meters = _countByKind[(int)ElementKind.Meter];
        _meterByGuid = new Dictionary<Guid, int>(meters);
        _meterBySystemTitle = new Dictionary<ulong, int>(meters);
        var bounds = new Envelope();

        // Three indexes that need nothing of each other, side by side: on a million-meter network the id index alone
        // is ~0.7 s of a restart.
        Parallel.Invoke(
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            () =>
            {
                // In file order: of duplicate ids the last feature wins, element or line.
                for (int k = 0, ek = 0, lk = 0; k < features.Length; k++)
                {
                    _byId[features[k].Id] = features[k].Kind == ElementKind.Line ? ~lk++ : ek++;
                }
            },
            () =>
            {
                for (int i = 0; i < _elements.Length; i++)
                {
                    var f = _elements[i];
                    if (f.Kind == ElementKind.Meter)
                    {
                        _meterByGuid.TryAdd(f.Guid, i);
                        _meterBySystemTitle.TryAdd(f.SystemTitle, i);
                    }
                }
            },
            () => bounds = BoundsOf(_elements, _lines));

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
        }

        SlimFeatures(features, keepExtraProperties);

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

        Bounds = bounds;
        _lonScale = bounds.IsNull ? 1 : Math.Cos(bounds.Centre.Y * Math.PI / 180);

        // The spatial indexes are made at their first use, not at every start: a restart of a million-meter
        // network would otherwise build two STR-trees (about 150 MB) that only a few admin look-ups need.
        _points = new Lazy<STRtree<int>>(BuildPointIndex, LazyThreadSafetyMode.ExecutionAndPublication);
        _transformers = new Lazy<STRtree<int>>(BuildTransformerIndex, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>
    /// Bounds from raw coordinates: Geometry.EnvelopeInternal would create and keep an envelope object on every geometry
    /// (2.6 M of them on a million-meter network).
    /// </summary>
    private static Envelope BoundsOf(TopologyFeature[] elements, TopologyFeature[] lines)
    {
        var bounds = new Envelope();
        foreach (var f in elements)
        {
            f.TryGetPoint(out double x, out double y);
            bounds.ExpandToInclude(x, y);
        }

        foreach (var f in lines)
        {
            var xy = f.LineCoordinates;
            for (int i = 0; i + 1 < xy.Length; i += 2)
            {
                bounds.ExpandToInclude(xy[i], xy[i + 1]);
            }
        }

        return bounds;
    }

    /// <summary>
    /// Builds a snapshot from features that passed <see cref="TopologyValidator"/>. Meters whose
    /// parent is not a transformer are unmapped; duplicate ids keep the last feature.
    /// </summary>
    public static NetworkTopology Build(IReadOnlyList<TopologyFeature> features) => new([.. features], keepExtraProperties: true);

    /// <summary>
    /// Builds a snapshot; with <paramref name="keepExtraProperties"/> false the snapshot is a lean
    /// index (no <see cref="TopologyFeature.Extra"/>: about 2 GB less on a million-meter network),
    /// and the full features stay wherever they were stored.
    /// </summary>
    public static NetworkTopology Build(IReadOnlyList<TopologyFeature> features, bool keepExtraProperties) => new([.. features], keepExtraProperties);

    /// <summary>
    /// Parent and feeder references share the referenced element's id string (a million meters
    /// otherwise carry a million copies of their transformers' ids), and extras go unless kept.
    /// </summary>
    private void SlimFeatures(TopologyFeature[] features, bool keepExtraProperties)
    {
        for (int i = 0; i < _elements.Length; i++)
        {
            var f = _elements[i];
            var parentId = _parent[i] >= 0 ? _elements[_parent[i]].Id : f.Parent;
            var extra = keepExtraProperties ? f.Extra : null;
            if (!ReferenceEquals(parentId, f.Parent) || extra is null != f.Extra is null)
            {
                _elements[i] = f with { Parent = parentId, Extra = extra };
            }
        }

        for (int i = 0; i < _lines.Length; i++)
        {
            var f = _lines[i];
            var feederId = f.Feeder is not null && _byId.TryGetValue(f.Feeder, out var fi) && fi >= 0 ? _elements[fi].Id : f.Feeder;
            var extra = keepExtraProperties ? f.Extra : null;
            if (!ReferenceEquals(feederId, f.Feeder) || extra is null != f.Extra is null)
            {
                _lines[i] = f with { Feeder = feederId, Extra = extra };
            }
        }

        // The file-order list refers to the same objects, so the originals can be collected.
        for (int k = 0, e = 0, l = 0; k < features.Length; k++)
        {
            features[k] = features[k].Kind == ElementKind.Line ? _lines[l++] : _elements[e++];
        }
    }

    private STRtree<int> BuildPointIndex()
    {
        var tree = new STRtree<int>();
        for (int i = 0; i < _elements.Length; i++)
        {
            _elements[i].TryGetPoint(out double x, out double y);
            tree.Insert(new Envelope(x, x, y, y), i);
        }

        tree.Build();
        return tree;
    }
}
