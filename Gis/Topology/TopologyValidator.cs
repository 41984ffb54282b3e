namespace OpsConsole.Gis.Topology;

/// <summary>
/// The whole-file rules of docs/topology-file.md: unique ids, GUIDs and system titles, parents
/// that exist and are of the right kind, no cycles. Meters whose parent names no transformer
/// are imported unmapped (a warning); every other finding is an error that rejects the file.
/// </summary>
public static class TopologyValidator
{
    public static void Validate(IReadOnlyList<TopologyFeature> features, List<TopologyFinding> findings) =>
        Validate(features, findings, EmptyIds);

    private static readonly HashSet<string> EmptyIds = new(StringComparer.Ordinal);

    /// <param name="rejectedIds">
    /// Ids of features that were in the file but rejected while parsing (already reported): a
    /// parent or feeder naming one of them exists, so it is not reported as not found.
    /// </param>
    internal static void Validate(IReadOnlyList<TopologyFeature> features, List<TopologyFinding> findings, IReadOnlySet<string> rejectedIds)
    {
        var byId = new Dictionary<string, int>(features.Count, StringComparer.Ordinal);
        var guids = new Dictionary<Guid, string>();
        var titles = new Dictionary<ulong, string>();
        for (int i = 0; i < features.Count; i++)
        {
            var f = features[i];
            if (!byId.TryAdd(f.Id, i))
            {
                findings.Add(Error(f, i, FindingCodes.IdDuplicate, $"id '{f.Id}' is used by more than one feature"));
                continue;
            }

            if (f.Kind == ElementKind.Meter)
            {
                if (!guids.TryAdd(f.Guid, f.Id))
                {
                    findings.Add(Error(f, i, FindingCodes.GuidDuplicate, $"guid {f.Guid:D} is also the guid of meter '{guids[f.Guid]}'"));
                }

                if (!titles.TryAdd(f.SystemTitle, f.Id))
                {
                    findings.Add(Error(f, i, FindingCodes.SystemTitleDuplicate,
                        $"systemTitle {TopologyFeature.FormatSystemTitle(f.SystemTitle)} is also the system title of meter '{titles[f.SystemTitle]}'"));
                }
            }
        }

        for (int i = 0; i < features.Count; i++)
        {
            CheckParent(features[i], i, features, byId, rejectedIds, findings);
        }

        FindDeviceCycles(features, byId, findings);
    }

    /// <summary>Which kinds may be the parent of each kind.</summary>
    public static bool IsAllowedParent(ElementKind child, ElementKind parent) => child switch
    {
        ElementKind.Feeder => parent == ElementKind.Substation,
        ElementKind.Device => parent is ElementKind.Feeder or ElementKind.Device,
        ElementKind.Transformer => parent is ElementKind.Device or ElementKind.Feeder,
        ElementKind.Meter => parent == ElementKind.Transformer,
        _ => false,
    };

    private static void CheckParent(TopologyFeature f, int i, IReadOnlyList<TopologyFeature> features, Dictionary<string, int> byId,
        IReadOnlySet<string> rejectedIds, List<TopologyFinding> findings)
    {
        switch (f.Kind)
        {
            case ElementKind.Substation:
                if (f.Parent is not null)
                {
                    findings.Add(Error(f, i, FindingCodes.ParentUnexpected, $"a substation has no parent, but names '{f.Parent}'"));
                }

                return;
            case ElementKind.Line:
                if (f.Feeder is not null &&
                    (byId.TryGetValue(f.Feeder, out var fi) ? features[fi].Kind != ElementKind.Feeder : !rejectedIds.Contains(f.Feeder)))
                {
                    findings.Add(Warning(f, i, FindingCodes.LineFeederUnknown, $"line names feeder '{f.Feeder}', which is not a feeder in this file"));
                }

                return;
            case ElementKind.Meter:
                if (f.Parent is null)
                {
                    return; // unmapped by design: reported as Unknown outages until mapped
                }

                if (!byId.TryGetValue(f.Parent, out var mi))
                {
                    if (rejectedIds.Contains(f.Parent))
                    {
                        return;
                    }

                    findings.Add(Warning(f, i, FindingCodes.ParentNotFound, $"parent '{f.Parent}' does not exist; the meter is imported unmapped"));
                }
                else if (features[mi].Kind != ElementKind.Transformer)
                {
                    findings.Add(Warning(f, i, FindingCodes.ParentWrongKind,
                        $"parent '{f.Parent}' is a {features[mi].Kind.ToWire()}, not a transformer; the meter is imported unmapped"));
                }

                return;
        }

        if (f.Parent is null)
        {
            findings.Add(Error(f, i, FindingCodes.ParentMissing, $"a {f.Kind.ToWire()} needs a parent ({AllowedParents(f.Kind)})"));
        }
        else if (!byId.TryGetValue(f.Parent, out var pi))
        {
            if (rejectedIds.Contains(f.Parent))
            {
                return;
            }

            findings.Add(Error(f, i, FindingCodes.ParentNotFound, $"parent '{f.Parent}' does not exist"));
        }
        else if (!IsAllowedParent(f.Kind, features[pi].Kind))
        {
            findings.Add(Error(f, i, FindingCodes.ParentWrongKind,
                $"parent '{f.Parent}' is a {features[pi].Kind.ToWire()}; a {f.Kind.ToWire()} needs {AllowedParents(f.Kind)}"));
        }
    }

    private static string AllowedParents(ElementKind kind) => kind switch
    {
        ElementKind.Feeder => "a substation",
        ElementKind.Device => "a feeder or a device",
        ElementKind.Transformer => "a device or a feeder",
        _ => "a transformer",
    };

    /// <summary>Only device → device links can loop; every other link goes strictly up a kind.</summary>
    private static void FindDeviceCycles(IReadOnlyList<TopologyFeature> features, Dictionary<string, int> byId, List<TopologyFinding> findings)
    {
        // 0 = unvisited, 1 = on the current path, 2 = done
        var state = new Dictionary<int, byte>();
        var path = new List<int>();
        for (int start = 0; start < features.Count; start++)
        {
            if (features[start].Kind != ElementKind.Device || state.ContainsKey(start))
            {
                continue;
            }

            path.Clear();
            int current = start;
            while (true)
            {
                state[current] = 1;
                path.Add(current);
                var parent = features[current].Parent;
                if (parent is null || !byId.TryGetValue(parent, out var p) || features[p].Kind != ElementKind.Device)
                {
                    break;
                }

                if (state.TryGetValue(p, out var s))
                {
                    if (s == 1)
                    {
                        int from = path.IndexOf(p);
                        var loop = string.Join(" → ", path.Skip(from).Select(i => features[i].Id).Append(features[p].Id));
                        foreach (var i in path.Skip(from))
                        {
                            findings.Add(Error(features[i], i, FindingCodes.Cycle, $"the parent chain loops: {loop}"));
                        }
                    }

                    break;
                }

                current = p;
            }

            foreach (var i in path)
            {
                state[i] = 2;
            }
        }
    }

    private static TopologyFinding Error(TopologyFeature f, int index, string code, string message) => new(FindingSeverity.Error, f.Id, index, code, message);

    private static TopologyFinding Warning(TopologyFeature f, int index, string code, string message) => new(FindingSeverity.Warning, f.Id, index, code, message);
}
