namespace OpsConsole.Gis.Topology;

public enum FindingSeverity
{
    /// <summary>The file is imported; the finding is reported (e.g. a meter left unmapped).</summary>
    Warning,

    /// <summary>The file is rejected as a whole; nothing is applied.</summary>
    Error,
}

/// <summary>One problem found in a topology file, naming the feature it concerns.</summary>
/// <param name="FeatureId">The feature's id, or null when the feature has none.</param>
/// <param name="FeatureIndex">Position of the feature in the <c>features</c> array; -1 for the whole file.</param>
/// <param name="Code">Stable machine-readable code, e.g. <c>parent.missing</c>.</param>
/// <param name="Message">What is wrong, for a person.</param>
public sealed record TopologyFinding(FindingSeverity Severity, string? FeatureId, int FeatureIndex, string Code, string Message)
{
    public override string ToString()
    {
        var where = FeatureId is not null ? $"feature '{FeatureId}'" : FeatureIndex >= 0 ? $"feature #{FeatureIndex}" : "file";
        return $"{Severity.ToString().ToUpperInvariant()} {Code} at {where}: {Message}";
    }
}

/// <summary>Stable codes of <see cref="TopologyFinding"/>.</summary>
public static class FindingCodes
{
    public const string JsonInvalid = "json.invalid";
    public const string CollectionInvalid = "collection.invalid";
    public const string FeatureInvalid = "feature.invalid";
    public const string IdMissing = "id.missing";
    public const string IdDuplicate = "id.duplicate";
    public const string IdConflict = "id.conflict";
    public const string KindMissing = "kind.missing";
    public const string KindUnknown = "kind.unknown";
    public const string ParentMissing = "parent.missing";
    public const string ParentNotFound = "parent.notFound";
    public const string ParentWrongKind = "parent.wrongKind";
    public const string ParentUnexpected = "parent.unexpected";
    public const string Cycle = "parent.cycle";
    public const string GeometryWrongType = "geometry.wrongType";
    public const string GeometryInvalid = "geometry.invalid";
    public const string GuidMissing = "guid.missing";
    public const string GuidMalformed = "guid.malformed";
    public const string GuidDuplicate = "guid.duplicate";
    public const string SystemTitleMissing = "systemTitle.missing";
    public const string SystemTitleMalformed = "systemTitle.malformed";
    public const string SystemTitleDuplicate = "systemTitle.duplicate";
    public const string PropertyInvalid = "property.invalid";
    public const string MeterUnmapped = "meter.unmapped";
    public const string LineFeederUnknown = "line.feederUnknown";
}
