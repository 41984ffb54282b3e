using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace OpsConsole.Gis.Topology;

/// <summary>
/// An immutable, indexed snapshot of one network. Elements (everything but lines) are numbered
/// 0..<see cref="ElementCount"/>-1; every lookup is by that index or resolves to it. The
/// meters below any element are one contiguous slice of a depth-first ordering, so
/// "customers below" is a subtraction and "which meters" a span, with no allocation.
/// Build one with <see cref="Build"/>; swap snapshots atomically to change the network.
/// </summary>
public sealed partial class NetworkTopology
{
    private readonly TopologyFeature[] _features;   // every feature, file order (for export)
    private readonly TopologyFeature[] _elements;   // non-line features
    private readonly TopologyFeature[] _lines;
    private readonly int[] _parent;                 // element index of the parent, -1 for none
    private readonly int[] _childStart;             // CSR: children of e are _children[_childStart[e].._childStart[e+1]]
    private readonly int[] _children;
    private readonly int[] _meterStart;             // meters below e are _meterOrder[_meterStart[e].._meterEnd[e]]
    private readonly int[] _meterEnd;
    private readonly int[] _meterOrder;
    private readonly int[] _transformersBelow;
    private readonly Dictionary<string, int> _byId; // >= 0: element index; < 0: ~line index
    private readonly Dictionary<Guid, int> _meterByGuid;
    private readonly Dictionary<ulong, int> _meterBySystemTitle;
    private readonly int[] _countByKind;

    public static NetworkTopology Empty { get; } = Build([]);

    /// <summary>Every feature in the order it was imported (without extras when built lean).</summary>
    public IReadOnlyList<TopologyFeature> Features => _features;

    /// <summary>The lines, for drawing (they are not part of the tree).</summary>
    public IReadOnlyList<TopologyFeature> Lines => _lines;

    public int ElementCount => _elements.Length;

    public int MeterCount => _countByKind[(int)ElementKind.Meter];

    public int CountOf(ElementKind kind) => _countByKind[(int)kind];

    public TopologyFeature this[int element] => _elements[element];

    public ElementKind KindOf(int element) => _elements[element].Kind;

    /// <summary>The element index of the parent, or -1 (roots, unmapped meters).</summary>
    public int ParentOf(int element) => _parent[element];

    public ReadOnlySpan<int> ChildrenOf(int element) => _children.AsSpan(_childStart[element], _childStart[element + 1] - _childStart[element]);

    /// <summary>Element indices of the meters at or below <paramref name="element"/> (customers).</summary>
    public ReadOnlySpan<int> MetersBelow(int element) => _meterOrder.AsSpan(_meterStart[element], _meterEnd[element] - _meterStart[element]);

    public int MeterCountBelow(int element) => _meterEnd[element] - _meterStart[element];

    /// <summary>Transformers at or below <paramref name="element"/>.</summary>
    public int TransformerCountBelow(int element) => _transformersBelow[element];

    /// <summary>Ancestors from the parent up to the root, allocation-free.</summary>
    public UpstreamEnumerable Upstream(int element) => new(_parent, element);

    /// <summary>True for a meter that has no transformer: its outages are Unknown.</summary>
    public bool IsUnmapped(int meter) => _elements[meter].Kind == ElementKind.Meter && _parent[meter] < 0;

    public bool TryGetElement(string id, out int element)
    {
        if (_byId.TryGetValue(id, out element) && element >= 0)
        {
            return true;
        }

        element = -1;
        return false;
    }

    /// <summary>Any feature by id, lines included.</summary>
    public TopologyFeature? Find(string id) =>
        _byId.TryGetValue(id, out var i) ? (i >= 0 ? _elements[i] : _lines[~i]) : null;

    /// <summary>A meter by GUID; <paramref name="meter"/> is -1 when there is none (0 is a valid element).</summary>
    public bool TryGetMeter(Guid guid, out int meter) => Found(_meterByGuid.TryGetValue(guid, out meter), ref meter);

    /// <summary>A meter by DLMS system title; <paramref name="meter"/> is -1 when there is none.</summary>
    public bool TryGetMeterBySystemTitle(ulong systemTitle, out int meter) => Found(_meterBySystemTitle.TryGetValue(systemTitle, out meter), ref meter);

    private static bool Found(bool found, ref int element)
    {
        if (!found)
        {
            element = -1;
        }

        return found;
    }

    /// <summary>A meter by id, or by its GUID in canonical form.</summary>
    public bool TryGetMeter(string idOrGuid, out int meter)
    {
        if (TryGetElement(idOrGuid, out meter) && _elements[meter].Kind == ElementKind.Meter)
        {
            return true;
        }

        if (Guid.TryParse(idOrGuid, out var g) && _meterByGuid.TryGetValue(g, out meter))
        {
            return true;
        }

        meter = -1;
        return false;
    }

    /// <summary>The nearest element upstream of <paramref name="element"/> (itself included) of the given kind, or -1.</summary>
    public int AncestorOfKind(int element, ElementKind kind)
    {
        for (int e = element; e >= 0; e = _parent[e])
        {
            if (_elements[e].Kind == kind)
            {
                return e;
            }
        }

        return -1;
    }

    public Envelope Bounds { get; }

    /// <summary>Allocation-free walk from an element's parent to its root.</summary>
    public readonly struct UpstreamEnumerable(int[] parent, int element)
    {
        public UpstreamEnumerator GetEnumerator() => new(parent, element);
    }

    public struct UpstreamEnumerator(int[] parent, int element)
    {
        private int _current = element;

        public readonly int Current => _current;

        public bool MoveNext()
        {
            _current = parent[_current];
            return _current >= 0;
        }
    }
}
