using OpsConsole.Gis.Topology;
using static OpsConsole.Gis.Topology.FindingSeverity;

namespace OpsConsole.Gis.Tests;

/// <summary>Whole-file rules (TopologyValidator): ids, parents, cycles, duplicate identities, unmapped meters.</summary>
public class TopologyFindingsTests
{
    private static string Device(string id, string? parent, string type = "fuse")
    {
        var parentJson = parent is null ? "null" : $"\"{parent}\"";
        return Geo.Point($$"""{"kind":"device","id":"{{id}}","parent":{{parentJson}},"deviceType":"{{type}}"}""");
    }

    [Fact]
    public void Read_TwoFeaturesWithTheSameId_ReportsIdDuplicateAtTheSecond()
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point("""{"kind":"transformer","id":"T1","parent":"F1"}""")));

        Geo.AssertFindings(import, (FindingCodes.IdDuplicate, Error, "T1"));
        Assert.Equal(10, import.Findings[0].FeatureIndex);
        Assert.False(import.IsValid);
    }

    [Fact]
    public void Read_LineAndElementWithTheSameId_ReportsIdDuplicate()
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Line("""{"kind":"line","id":"M1","feeder":"F1"}""", (-89, 40), (-89.1, 40.1))));

        Geo.AssertFindings(import, (FindingCodes.IdDuplicate, Error, "M1"));
    }

    [Fact]
    public void Read_IdsDifferingOnlyInCase_AreDistinct()
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point("""{"kind":"transformer","id":"t1","parent":"F1"}""")));

        Assert.Empty(import.Findings);
    }

    [Theory]
    [InlineData("""{"kind":"feeder","id":"F9"}""", "F9")]
    [InlineData("""{"kind":"feeder","id":"F9","parent":null}""", "F9")]
    [InlineData("""{"kind":"device","id":"D9","deviceType":"fuse"}""", "D9")]
    [InlineData("""{"kind":"transformer","id":"T9","parent":null}""", "T9")]
    public void Read_ElementWithoutParent_ReportsParentMissing(string properties, string id)
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point(properties)));

        Geo.AssertFindings(import, (FindingCodes.ParentMissing, Error, id));
        Assert.False(import.IsValid);
    }

    [Theory]
    [InlineData("""{"kind":"feeder","id":"F9","parent":"S404"}""", "F9")]
    [InlineData("""{"kind":"device","id":"D9","parent":"F404","deviceType":"fuse"}""", "D9")]
    [InlineData("""{"kind":"transformer","id":"T9","parent":"fu1"}""", "T9")]
    public void Read_ParentThatDoesNotExist_ReportsParentNotFoundError(string properties, string id)
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point(properties)));

        Geo.AssertFindings(import, (FindingCodes.ParentNotFound, Error, id));
        Assert.False(import.IsValid);
    }

    [Theory]
    [InlineData("transformer", "M1")]   // transformer under a meter
    [InlineData("transformer", "T2")]   // transformer under a transformer
    [InlineData("transformer", "S1")]   // transformer under a substation
    [InlineData("transformer", "L1")]   // transformer under a line
    [InlineData("feeder", "F1")]        // feeder under a feeder
    [InlineData("feeder", "B1")]        // feeder under a device
    [InlineData("device", "S1")]        // device under a substation
    [InlineData("device", "T1")]        // device under a transformer
    [InlineData("device", "M2")]        // device under a meter
    public void Read_ParentOfTheWrongKind_ReportsParentWrongKindError(string kind, string parent)
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point($$"""{"kind":"{{kind}}","id":"X9","parent":"{{parent}}"}""")));

        Geo.AssertFindings(import, (FindingCodes.ParentWrongKind, Error, "X9"));
        Assert.False(import.IsValid);
    }

    [Fact]
    public void Read_SubstationWithParent_ReportsParentUnexpected()
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point("""{"kind":"substation","id":"S2","parent":"S1"}""")));

        Geo.AssertFindings(import, (FindingCodes.ParentUnexpected, Error, "S2"));
        Assert.False(import.IsValid);
    }

    [Fact]
    public void Read_TwoDevicesParentingEachOther_ReportsCycleNamingBoth()
    {
        var import = Geo.Read(Geo.NetworkWith(Device("DA", "DB"), Device("DB", "DA")));

        Geo.AssertFindings(import, (FindingCodes.Cycle, Error, "DA"), (FindingCodes.Cycle, Error, "DB"));
        Assert.All(import.Findings, f => Assert.Contains("DA → DB → DA", f.Message, StringComparison.Ordinal));
        Assert.False(import.IsValid);
    }

    [Fact]
    public void Read_LongerLoopWithABranchHangingOffIt_NamesEveryDeviceOnTheLoopAndOnlyThose()
    {
        // DX → DA → DB → DC → DA: DX hangs off the loop, it is not part of it.
        var import = Geo.Read(Geo.NetworkWith(Device("DX", "DA"), Device("DA", "DB"), Device("DB", "DC"), Device("DC", "DA"),
            Geo.Point("""{"kind":"transformer","id":"T9","parent":"DB"}""")));

        Geo.AssertFindings(import, (FindingCodes.Cycle, Error, "DA"), (FindingCodes.Cycle, Error, "DB"), (FindingCodes.Cycle, Error, "DC"));
    }

    [Fact]
    public void Read_DeviceThatIsItsOwnParent_ReportsCycle()
    {
        var import = Geo.Read(Geo.NetworkWith(Device("DS", "DS")));

        Geo.AssertFindings(import, (FindingCodes.Cycle, Error, "DS"));
    }

    [Fact]
    public void Read_TwoSeparateLoops_ReportsBoth()
    {
        var import = Geo.Read(Geo.NetworkWith(Device("DA", "DB"), Device("DB", "DA"), Device("DC", "DD"), Device("DD", "DC")));

        Geo.AssertFindings(import,
            (FindingCodes.Cycle, Error, "DA"), (FindingCodes.Cycle, Error, "DB"),
            (FindingCodes.Cycle, Error, "DC"), (FindingCodes.Cycle, Error, "DD"));
    }

    [Fact]
    public void Read_DeepDeviceChainWithoutLoop_HasNoCycle()
    {
        var chain = Enumerable.Range(0, 200).Select(i => Device($"C{i}", i == 0 ? "F1" : $"C{i - 1}"));

        var import = Geo.Read(Geo.NetworkWith([.. chain]));

        Assert.Empty(import.Findings);
    }

    [Fact]
    public void Read_TwoMetersWithTheSameGuid_ReportsGuidDuplicateAtTheSecond()
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point(
            $$"""{"kind":"meter","id":"M9","parent":"T1","guid":"{{Geo.GuidOf(1)}}","systemTitle":"{{Geo.TitleOf(9)}}"}""")));

        Geo.AssertFindings(import, (FindingCodes.GuidDuplicate, Error, "M9"));
        Assert.Contains("M1", import.Findings[0].Message, StringComparison.Ordinal);
        Assert.False(import.IsValid);
    }

    [Fact]
    public void Read_TwoMetersWithTheNilGuid_ReportsGuidDuplicate()
    {
        const string nil = "00000000-0000-0000-0000-000000000000";
        var import = Geo.Read(Geo.NetworkWith(
            Geo.Point($$"""{"kind":"meter","id":"M9","parent":"T1","guid":"{{nil}}","systemTitle":"{{Geo.TitleOf(9)}}"}"""),
            Geo.Point($$"""{"kind":"meter","id":"M10","parent":"T1","guid":"{{nil}}","systemTitle":"{{Geo.TitleOf(10)}}"}""")));

        Geo.AssertFindings(import, (FindingCodes.GuidDuplicate, Error, "M10"));
    }

    [Fact]
    public void Read_TwoMetersWithTheSameSystemTitle_ReportsSystemTitleDuplicateAtTheSecond()
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point(
            $$"""{"kind":"meter","id":"M9","parent":"T1","guid":"{{Geo.GuidOf(9)}}","systemTitle":"{{Geo.TitleOf(2)}}"}""")));

        Geo.AssertFindings(import, (FindingCodes.SystemTitleDuplicate, Error, "M9"));
        Assert.Contains("M2", import.Findings[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_SystemTitlesDifferingOnlyInCase_AreDuplicates()
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point(
            $$"""{"kind":"meter","id":"M9","parent":"T1","guid":"{{Geo.GuidOf(9)}}","systemTitle":"{{Geo.TitleOf(0xabc).ToLowerInvariant()}}"}"""),
            Geo.Point($$"""{"kind":"meter","id":"M10","parent":"T1","guid":"{{Geo.GuidOf(10)}}","systemTitle":"{{Geo.TitleOf(0xabc)}}"}""")));

        Geo.AssertFindings(import, (FindingCodes.SystemTitleDuplicate, Error, "M10"));
    }

    [Fact]
    public void Read_TwoMetersWithTheAllZeroSystemTitle_ReportsSystemTitleDuplicate()
    {
        var import = Geo.Read(Geo.NetworkWith(
            Geo.Point($$"""{"kind":"meter","id":"M9","parent":"T1","guid":"{{Geo.GuidOf(9)}}","systemTitle":"0000000000000000"}"""),
            Geo.Point($$"""{"kind":"meter","id":"M10","parent":"T1","guid":"{{Geo.GuidOf(10)}}","systemTitle":"0000000000000000"}""")));

        Geo.AssertFindings(import, (FindingCodes.SystemTitleDuplicate, Error, "M10"));
    }

    [Fact]
    public void Read_MeterWhoseParentDoesNotExist_IsAWarningAndTheMeterIsImportedUnmapped()
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Meter("M9", "T404", 9)));

        Geo.AssertFindings(import, (FindingCodes.ParentNotFound, Warning, "M9"));
        Assert.True(import.IsValid);
        Assert.Empty(import.Errors);
        var topology = NetworkTopology.Build(import.Features);
        Assert.True(topology.TryGetElement("M9", out var m9));
        Assert.True(topology.IsUnmapped(m9));
        Assert.Equal(-1, topology.ParentOf(m9));
        Assert.Equal(3, topology.MeterCountBelow(0)); // S1 still has exactly the three mapped meters
    }

    [Theory]
    [InlineData("F1")]
    [InlineData("FU1")]
    [InlineData("S1")]
    [InlineData("M1")]
    [InlineData("L1")]
    public void Read_MeterWhoseParentIsNotATransformer_IsAWarningAndTheMeterIsImportedUnmapped(string parent)
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Meter("M9", parent, 9)));

        Geo.AssertFindings(import, (FindingCodes.ParentWrongKind, Warning, "M9"));
        Assert.True(import.IsValid);
        var topology = NetworkTopology.Build(import.Features);
        Assert.True(topology.TryGetElement("M9", out var m9));
        Assert.True(topology.IsUnmapped(m9));
        Assert.True(topology.TryGetElement(parent is "L1" ? "F1" : parent, out var p));
        Assert.DoesNotContain(m9, topology.MetersBelow(p).ToArray());
        Assert.DoesNotContain(m9, topology.ChildrenOf(p).ToArray());
    }

    [Theory]
    [InlineData("""{"kind":"meter","id":"M9","parent":null,"guid":"6f1c2a3b-0000-4000-8000-000000000009","systemTitle":"4F50530000000009"}""")]
    [InlineData("""{"kind":"meter","id":"M9","guid":"6f1c2a3b-0000-4000-8000-000000000009","systemTitle":"4F50530000000009"}""")]
    public void Read_MeterWithNullOrAbsentParent_IsUnmappedWithoutAnyFinding(string properties)
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point(properties)));

        Assert.Empty(import.Findings);
        var topology = NetworkTopology.Build(import.Features);
        Assert.True(topology.TryGetElement("M9", out var m9));
        Assert.True(topology.IsUnmapped(m9));
    }

    [Theory]
    [InlineData("F404")]   // no such feature
    [InlineData("T1")]     // a transformer, not a feeder
    [InlineData("L1")]     // a line
    public void Read_LineNamingAnUnknownFeeder_IsALineFeederUnknownWarning(string feeder)
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Line($$"""{"kind":"line","id":"L9","feeder":"{{feeder}}"}""", (-89, 40), (-89.1, 40.1))));

        Geo.AssertFindings(import, (FindingCodes.LineFeederUnknown, Warning, "L9"));
        Assert.True(import.IsValid);
        Assert.Contains(import.Features, f => f.Id == "L9");
    }

    [Fact]
    public void Read_LineWithoutFeeder_HasNoFinding()
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Line("""{"kind":"line","id":"L9"}""", (-89, 40), (-89.1, 40.1))));

        Assert.Empty(import.Findings);
    }

    [Fact]
    public void Read_FileWithManyProblems_ReportsAllOfThemNotJustTheFirst()
    {
        var import = Geo.Read(Geo.NetworkWith(
            Geo.Point("""{"kind":"transformer","id":"T1","parent":"F1"}"""),                          // id.duplicate
            Geo.Point("""{"kind":"transformer","id":"T9","parent":"F404"}"""),                        // parent.notFound
            Geo.Point("""{"kind":"transformer","id":"T10","parent":"M1"}"""),                         // parent.wrongKind
            Geo.Point("""{"kind":"substation","id":"S2","parent":"S1"}"""),                           // parent.unexpected
            Geo.Point("""{"kind":"transformer","id":"T11","parent":"F1","kva":"big"}"""),             // property.invalid
            Geo.Point("""{"kind":"pole","id":"P1"}"""),                                               // kind.unknown
            Geo.Point("""{"kind":"transformer","parent":"F1"}"""),                                    // id.missing
            Geo.Meter("M9", "T404", 9),                                                               // warning: parent.notFound
            Geo.Point($$"""{"kind":"meter","id":"M10","parent":"T1","guid":"{{Geo.GuidOf(1)}}","systemTitle":"{{Geo.TitleOf(10)}}"}"""), // guid.duplicate
            Geo.Point($$"""{"kind":"meter","id":"M11","parent":"T1","guid":"{{Geo.GuidOf(11)}}","systemTitle":"4F50"}"""),         // systemTitle.malformed
            Geo.Line("""{"kind":"line","id":"L9","feeder":"F404"}""", (-89, 40), (-89.1, 40.1)),      // warning: line.feederUnknown
            Device("DA", "DB"), Device("DB", "DA")));                                                 // parent.cycle ×2

        Geo.AssertFindings(import,
            (FindingCodes.IdDuplicate, Error, "T1"),
            (FindingCodes.ParentNotFound, Error, "T9"),
            (FindingCodes.ParentWrongKind, Error, "T10"),
            (FindingCodes.ParentUnexpected, Error, "S2"),
            (FindingCodes.PropertyInvalid, Error, "T11"),
            (FindingCodes.KindUnknown, Error, "P1"),
            (FindingCodes.IdMissing, Error, null),
            (FindingCodes.ParentNotFound, Warning, "M9"),
            (FindingCodes.GuidDuplicate, Error, "M10"),
            (FindingCodes.SystemTitleMalformed, Error, "M11"),
            (FindingCodes.LineFeederUnknown, Warning, "L9"),
            (FindingCodes.Cycle, Error, "DA"),
            (FindingCodes.Cycle, Error, "DB"));
        Assert.False(import.IsValid);
        Assert.Equal(11, import.Errors.Count());
    }

    [Fact]
    public void Read_OnlyWarnings_IsValid()
    {
        var import = Geo.Read(Geo.NetworkWith(
            Geo.Meter("M9", "T404", 9),
            Geo.Meter("M10", "FU1", 10),
            Geo.Line("""{"kind":"line","id":"L9","feeder":"F404"}""", (-89, 40), (-89.1, 40.1))));

        Assert.Equal(3, import.Findings.Count);
        Assert.All(import.Findings, f => Assert.Equal(Warning, f.Severity));
        Assert.True(import.IsValid);
        Assert.Empty(import.Errors);
        Assert.Equal(13, import.Features.Count);
    }

    [Fact]
    public void Validate_CalledDirectlyOnFeatures_ReportsTheSameRules()
    {
        var features = Geo.Read(Geo.File(Geo.Network)).Features.ToList();
        features.Add(features.Single(f => f.Id == "FU1") with { Id = "FU2", Parent = "T1" });
        var findings = new List<TopologyFinding>();

        TopologyValidator.Validate(features, findings);

        var finding = Assert.Single(findings);
        Assert.Equal((FindingCodes.ParentWrongKind, Error, "FU2"), (finding.Code, finding.Severity, finding.FeatureId));
        Assert.Equal(features.Count - 1, finding.FeatureIndex);
    }

    [Fact]
    public void Finding_ToString_NamesSeverityCodeAndFeature()
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point("""{"kind":"substation","id":"S2","parent":"S1"}""")));

        var text = Assert.Single(import.Findings).ToString();

        Assert.StartsWith("ERROR parent.unexpected at feature 'S2': ", text, StringComparison.Ordinal);
    }
}
