using System.Text;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;
using static OpsConsole.Gis.Topology.FindingSeverity;

namespace OpsConsole.Gis.Tests;

/// <summary>Problems inside one feature: each is reported with its code, severity and the feature it names.</summary>
public class FeatureFindingsTests
{
    private const int Appended = 10; // index of the first feature appended to Geo.Network

    private static string Transformer(string id, string parent) =>
        Geo.Point($$"""{"kind":"transformer","id":"{{id}}","parent":"{{parent}}","kva":10}""");

    [Theory]
    [InlineData("42")]
    [InlineData("\"Feature\"")]
    [InlineData("[]")]
    [InlineData("null")]
    public void Read_FeatureIsNotAnObject_ReportsFeatureInvalidAtItsIndex(string feature)
    {
        var import = Geo.Read(Geo.NetworkWith(feature));

        Geo.AssertFindings(import, (FindingCodes.FeatureInvalid, Error, null));
        Assert.Equal(Appended, import.Findings[0].FeatureIndex);
        Assert.False(import.IsValid);
    }

    [Fact]
    public void Read_FeatureWithoutProperties_ReportsFeatureInvalidNamingTheFeatureLevelId()
    {
        var import = Geo.Read(Geo.NetworkWith("""{"type":"Feature","id":"X1","geometry":{"type":"Point","coordinates":[0,0]}}"""));

        Geo.AssertFindings(import, (FindingCodes.FeatureInvalid, Error, "X1"));
        Assert.Equal(Appended, import.Findings[0].FeatureIndex);
        Assert.False(import.IsValid);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("\"kind=meter\"")]
    public void Read_PropertiesIsNotAnObject_ReportsFeatureInvalid(string properties)
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Feature("""{"type":"Point","coordinates":[0,0]}""", properties)));

        Geo.AssertFindings(import, (FindingCodes.FeatureInvalid, Error, null));
        Assert.Equal(Appended, import.Findings[0].FeatureIndex);
    }

    [Fact]
    public void Read_StringThatIsNotValidUtf8_ReportsFeatureInvalidAndDoesNotThrow()
    {
        var bytes = Encoding.UTF8.GetBytes(Geo.NetworkWith(Geo.Point("""{"kind":"transformer","id":"T9","parent":"F1","name":"Q"}""")));
        bytes[Array.IndexOf(bytes, (byte)'Q')] = 0xFF;

        var import = TopologyGeoJsonReader.Read(bytes);

        Geo.AssertFindings(import, (FindingCodes.FeatureInvalid, Error, null));
        Assert.Equal(Appended, import.Findings[0].FeatureIndex);
    }

    [Fact]
    public void Read_LoneSurrogateEscapeInId_ReportsFeatureInvalidAndDoesNotThrow()
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point("""{"kind":"transformer","id":"T\ud800","parent":"F1"}""")));

        Geo.AssertFindings(import, (FindingCodes.FeatureInvalid, Error, null));
    }

    [Theory]
    [InlineData("""{"kind":"transformer","parent":"F1"}""")]
    [InlineData("""{"kind":"transformer","id":"","parent":"F1"}""")]
    [InlineData("""{"kind":"transformer","id":17,"parent":"F1"}""")]
    [InlineData("""{"kind":"transformer","id":null,"parent":"F1"}""")]
    public void Read_IdMissingOrNotAString_ReportsIdMissingAtItsIndex(string properties)
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point(properties)));

        Geo.AssertFindings(import, (FindingCodes.IdMissing, Error, null));
        Assert.Equal(Appended, import.Findings[0].FeatureIndex);
        Assert.False(import.IsValid);
    }

    [Theory]
    [InlineData("\"T9\"", "T9")]
    [InlineData("9", "9")]
    public void Read_IdOnlyAtFeatureLevel_IsTheFeaturesId(string featureId, string expected)
    {
        // RFC 7946 §3.2: the standard GeoJSON feature id (a string or a number) does as well as properties.id.
        var import = Geo.Read(Geo.NetworkWith(
            $$$"""{"type":"Feature","id":{{{featureId}}},"geometry":{"type":"Point","coordinates":[-89.0,40.0]},"properties":{"kind":"transformer","parent":"F1"}}""",
            Geo.Meter("M9", expected, 9)));

        Geo.AssertFindings(import);
        Assert.True(import.IsValid);
        var transformer = Assert.Single(import.Features, f => f.Id == expected);
        Assert.Equal(ElementKind.Transformer, transformer.Kind);
        Assert.Equal(expected, Assert.Single(import.Features, f => f.Id == "M9").Parent); // a parent may name it
    }

    [Fact]
    public void Read_SameIdAtFeatureLevelAndInProperties_IsAccepted()
    {
        var import = Geo.Read(Geo.NetworkWith(
            """{"type":"Feature","id":"T9","geometry":{"type":"Point","coordinates":[-89.0,40.0]},"properties":{"kind":"transformer","id":"T9","parent":"F1"}}"""));

        Geo.AssertFindings(import);
        Assert.Contains(import.Features, f => f.Id == "T9");
    }

    [Fact]
    public void Read_DifferentIdsAtFeatureLevelAndInProperties_ReportsIdConflictNamingBoth()
    {
        var import = Geo.Read(Geo.NetworkWith(
            """{"type":"Feature","id":"T8","geometry":{"type":"Point","coordinates":[-89.0,40.0]},"properties":{"kind":"transformer","id":"T9","parent":"F1"}}"""));

        Geo.AssertFindings(import, (FindingCodes.IdConflict, Error, "T9"));
        Assert.Equal(Appended, import.Findings[0].FeatureIndex);
        Assert.Contains("'T8'", import.Findings[0].Message, StringComparison.Ordinal);
        Assert.Contains("'T9'", import.Findings[0].Message, StringComparison.Ordinal);
        Assert.False(import.IsValid);
    }

    [Fact]
    public void Read_FeatureLevelIdDuplicatingAnotherFeaturesPropertiesId_ReportsIdDuplicate()
    {
        var import = Geo.Read(Geo.NetworkWith(
            """{"type":"Feature","id":"F1","geometry":{"type":"Point","coordinates":[-89.0,40.0]},"properties":{"kind":"transformer","parent":"F1"}}"""));

        Assert.Contains(import.Findings, f => f.Code == FindingCodes.IdDuplicate && f.FeatureId == "F1");
        Assert.False(import.IsValid);
    }

    [Theory]
    [InlineData("""{"type":"Feature","geometry":{"type":"Point","coordinates":[0,0]},"properties":{"kind":"transformer","parent":"F1"}}""")]
    [InlineData("""{"type":"Feature","id":"","geometry":{"type":"Point","coordinates":[0,0]},"properties":{"kind":"transformer","parent":"F1"}}""")]
    [InlineData("""{"type":"Feature","id":1.5,"geometry":{"type":"Point","coordinates":[0,0]},"properties":{"kind":"transformer","parent":"F1"}}""")]
    public void Read_NoIdAnywhere_ReportsIdMissingSayingWhereAnIdGoes(string feature)
    {
        var import = Geo.Read(Geo.NetworkWith(feature));

        Geo.AssertFindings(import, (FindingCodes.IdMissing, Error, null));
        Assert.Contains("properties.id or the feature's id", import.Findings[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"id":"T9","parent":"F1"}""")]
    [InlineData("""{"kind":null,"id":"T9","parent":"F1"}""")]
    [InlineData("""{"kind":4,"id":"T9","parent":"F1"}""")]
    public void Read_KindMissingOrNotAString_ReportsKindMissingNamingTheFeature(string properties)
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point(properties)));

        Geo.AssertFindings(import, (FindingCodes.KindMissing, Error, "T9"));
        Assert.Equal(Appended, import.Findings[0].FeatureIndex);
    }

    [Theory]
    [InlineData("pole")]
    [InlineData("Transformer")]
    [InlineData("")]
    public void Read_KindNotInTheContract_ReportsKindUnknownNamingTheFeature(string kind)
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point($$"""{"kind":"{{kind}}","id":"X9","parent":"F1"}""")));

        Geo.AssertFindings(import, (FindingCodes.KindUnknown, Error, "X9"));
    }

    [Fact]
    public void Read_MeterWithLineStringGeometry_ReportsGeometryWrongType()
    {
        var meter = Geo.Feature("""{"type":"LineString","coordinates":[[-89,40],[-89.1,40.1]]}""",
            $$"""{"kind":"meter","id":"M9","parent":"T1","guid":"{{Geo.GuidOf(9)}}","systemTitle":"{{Geo.TitleOf(9)}}"}""");

        var import = Geo.Read(Geo.NetworkWith(meter));

        Geo.AssertFindings(import, (FindingCodes.GeometryWrongType, Error, "M9"));
        Assert.False(import.IsValid);
    }

    [Fact]
    public void Read_LineWithPointGeometry_ReportsGeometryWrongType()
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point("""{"kind":"line","id":"L9","feeder":"F1"}""")));

        Geo.AssertFindings(import, (FindingCodes.GeometryWrongType, Error, "L9"));
    }

    [Theory]
    [InlineData("""{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}""")]
    [InlineData("""{"type":"MultiPoint","coordinates":[[0,0]]}""")]
    [InlineData("""{"type":"point","coordinates":[0,0]}""")]
    [InlineData("""{"coordinates":[0,0]}""")]
    public void Read_TransformerWithoutPointGeometryType_ReportsGeometryWrongType(string geometry)
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Feature(geometry, """{"kind":"transformer","id":"T9","parent":"F1"}""")));

        Geo.AssertFindings(import, (FindingCodes.GeometryWrongType, Error, "T9"));
    }

    [Theory]
    [InlineData("""null""")]
    [InlineData("""{"type":"Point"}""")]
    [InlineData("""{"type":"Point","coordinates":null}""")]
    [InlineData("""{"type":"Point","coordinates":[]}""")]
    [InlineData("""{"type":"Point","coordinates":[-89]}""")]
    [InlineData("""{"type":"Point","coordinates":["-89","40"]}""")]
    [InlineData("""{"type":"Point","coordinates":[[-89,40]]}""")]
    [InlineData("""{"type":"Point","coordinates":[-181,40]}""")]
    [InlineData("""{"type":"Point","coordinates":[180.5,40]}""")]
    [InlineData("""{"type":"Point","coordinates":[-89,90.0001]}""")]
    [InlineData("""{"type":"Point","coordinates":[-89,-91]}""")]
    [InlineData("""{"type":"Point","coordinates":[1e400,40]}""")]
    [InlineData("""{"type":"Point","coordinates":[-89,40,"high"]}""")]
    [InlineData("""{"type":"Point","coordinates":[-89,40,1e400]}""")]
    [InlineData("""{"type":"Point","coordinates":[-89,40,10,20]}""")]
    public void Read_PointGeometryInvalid_ReportsGeometryInvalid(string geometry)
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Feature(geometry, """{"kind":"transformer","id":"T9","parent":"F1"}""")));

        Geo.AssertFindings(import, (FindingCodes.GeometryInvalid, Error, "T9"));
        Assert.Equal(Appended, import.Findings[0].FeatureIndex);
    }

    [Theory]
    [InlineData("""{"type":"LineString","coordinates":[[-89,40]]}""")]
    [InlineData("""{"type":"LineString","coordinates":[]}""")]
    [InlineData("""{"type":"LineString","coordinates":[-89,40]}""")]
    [InlineData("""{"type":"LineString","coordinates":[[-89,40],[-89,95]]}""")]
    [InlineData("""{"type":"LineString","coordinates":[[-89,40],null]}""")]
    [InlineData("""{"type":"LineString"}""")]
    public void Read_LineGeometryInvalid_ReportsGeometryInvalid(string geometry)
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Feature(geometry, """{"kind":"line","id":"L9","feeder":"F1"}""")));

        Geo.AssertFindings(import, (FindingCodes.GeometryInvalid, Error, "L9"));
    }

    [Theory]
    [InlineData("""[-180,-90]""")]
    [InlineData("""[180,90]""")]
    [InlineData("""[0,0]""")]
    [InlineData("""[-89.5,40.25,212.5]""")]
    public void Read_PointOnTheEdgeOfTheRangeOrWithAltitude_IsValid(string position)
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Feature($$"""{"type":"Point","coordinates":{{position}}}""", """{"kind":"transformer","id":"T9","parent":"F1"}""")));

        Assert.Empty(import.Findings);
        Assert.Equal(11, import.Features.Count);
    }

    [Theory]
    [InlineData("\"guid\":null,")]
    [InlineData("")]
    public void Read_MeterWithoutGuid_ReportsGuidMissing(string guid)
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point($$"""{"kind":"meter","id":"M9","parent":"T1",{{guid}}"systemTitle":"{{Geo.TitleOf(9)}}"}""")));

        Geo.AssertFindings(import, (FindingCodes.GuidMissing, Error, "M9"));
        Assert.False(import.IsValid);
    }

    [Theory]
    [InlineData("\"6F1C2A3B-0000-4000-8000-000000000009\"")]    // upper case
    [InlineData("\"not-a-guid\"")]
    [InlineData("\"{6f1c2a3b-0000-4000-8000-000000000009}\"")]  // braces
    [InlineData("\"6f1c2a3b000040008000000000000009\"")]        // no dashes
    [InlineData("\"6f1c2a3b-0000-4000-8000-00000000000g\"")]    // not hex
    [InlineData("\" 6f1c2a3b-0000-4000-8000-00000000009\"")]    // padded
    [InlineData("\"\"")]
    [InlineData("12345")]
    [InlineData("true")]
    public void Read_MeterWithMalformedGuid_ReportsGuidMalformed(string guid)
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point($$"""{"kind":"meter","id":"M9","parent":"T1","guid":{{guid}},"systemTitle":"{{Geo.TitleOf(9)}}"}""")));

        Geo.AssertFindings(import, (FindingCodes.GuidMalformed, Error, "M9"));
    }

    [Fact]
    public void Read_MeterWithoutSystemTitle_ReportsSystemTitleMissing()
    {
        var import = Geo.Read(Geo.NetworkWith(
            Geo.Point($$"""{"kind":"meter","id":"M9","parent":"T1","guid":"{{Geo.GuidOf(9)}}"}"""),
            Geo.Point($$"""{"kind":"meter","id":"M10","parent":"T1","guid":"{{Geo.GuidOf(10)}}","systemTitle":null}""")));

        Geo.AssertFindings(import, (FindingCodes.SystemTitleMissing, Error, "M9"), (FindingCodes.SystemTitleMissing, Error, "M10"));
    }

    [Theory]
    [InlineData("\"4F50\"")]                 // too short
    [InlineData("\"4F5053000000000901\"")]   // too long
    [InlineData("\"4F5053000000000G\"")]     // not hex
    [InlineData("\"0x4F5053000000009\"")]    // prefix
    [InlineData("\"4F505300 0000009\"")]     // space
    [InlineData("\"-F50530000000009\"")]     // sign
    [InlineData("1234567890123456")]         // a number, not a string: it would be misread as hex
    [InlineData("false")]
    public void Read_MeterWithMalformedSystemTitle_ReportsSystemTitleMalformed(string title)
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point($$"""{"kind":"meter","id":"M9","parent":"T1","guid":"{{Geo.GuidOf(9)}}","systemTitle":{{title}}}""")));

        Geo.AssertFindings(import, (FindingCodes.SystemTitleMalformed, Error, "M9"));
    }

    [Fact]
    public void Read_LowerCaseSystemTitle_IsAcceptedAsTheSameNumber()
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point($$"""{"kind":"meter","id":"M9","parent":"T1","guid":"{{Geo.GuidOf(9)}}","systemTitle":"4f5053000000abcd"}""")));

        Assert.Empty(import.Findings);
        Assert.Equal(0x4F5053000000ABCDUL, import.Features.Single(f => f.Id == "M9").SystemTitle);
    }

    [Theory]
    [InlineData("transformer", "\"kva\":\"25\"")]
    [InlineData("transformer", "\"kva\":-1")]
    [InlineData("transformer", "\"kva\":true")]
    [InlineData("transformer", "\"kva\":1e400")]
    [InlineData("transformer", "\"phase\":3")]
    [InlineData("device", "\"deviceType\":\"widget\"")]
    [InlineData("device", "\"deviceType\":\"Fuse\"")]
    [InlineData("device", "\"deviceType\":1")]
    [InlineData("transformer", "\"name\":5")]
    [InlineData("transformer", "\"name\":{\"en\":\"x\"}")]
    [InlineData("transformer", "\"parent\":5")]
    [InlineData("transformer", "\"parent\":[\"F1\"]")]
    public void Read_InterpretedPropertyOfTheWrongType_ReportsPropertyInvalid(string kind, string member)
    {
        var parent = member.StartsWith("\"parent\"", StringComparison.Ordinal) ? "" : "\"parent\":\"F1\",";
        var import = Geo.Read(Geo.NetworkWith(Geo.Point($$"""{"kind":"{{kind}}","id":"X9",{{parent}}{{member}}}""")));

        Geo.AssertFindings(import, (FindingCodes.PropertyInvalid, Error, "X9"));
        Assert.False(import.IsValid);
    }

    [Theory]
    [InlineData("\"critical\":\"yes\"")]
    [InlineData("\"critical\":1")]
    [InlineData("\"address\":42")]
    public void Read_MeterPropertyOfTheWrongType_ReportsPropertyInvalid(string member)
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Point(
            $$"""{"kind":"meter","id":"M9","parent":"T1","guid":"{{Geo.GuidOf(9)}}","systemTitle":"{{Geo.TitleOf(9)}}",{{member}}}""")));

        Geo.AssertFindings(import, (FindingCodes.PropertyInvalid, Error, "M9"));
    }

    [Fact]
    public void Read_LineFeederNotAString_ReportsPropertyInvalid()
    {
        var import = Geo.Read(Geo.NetworkWith(Geo.Line("""{"kind":"line","id":"L9","feeder":1}""", (-89, 40), (-89.1, 40.1))));

        Geo.AssertFindings(import, (FindingCodes.PropertyInvalid, Error, "L9"));
    }

    [Fact]
    public void Read_PropertiesOfAnotherKind_AreKeptAsExtraNotValidated()
    {
        // "kva" means something only on a transformer, "guid" only on a meter.
        var import = Geo.Read(Geo.NetworkWith(
            Geo.Point("""{"kind":"device","id":"D9","parent":"F1","deviceType":"switch","kva":"big","guid":"nope","critical":"maybe"}""")));

        Assert.Empty(import.Findings);
        var d9 = import.Features.Single(f => f.Id == "D9");
        Assert.Equal(DeviceType.Switch, d9.DeviceType);
        Assert.Equal("big", d9.Extra!.Value.GetProperty("kva").GetString());
        Assert.Equal("nope", d9.Extra!.Value.GetProperty("guid").GetString());
        Assert.Null(d9.Kva);
    }

    [Fact]
    public void Read_OneFeatureWithSeveralProblems_ReportsEveryOne()
    {
        var meter = Geo.Feature("""{"type":"Point","coordinates":[200,40]}""",
            """{"kind":"meter","id":"M9","parent":"T1","guid":"NOT-A-GUID","systemTitle":"XYZ","critical":"no","name":7}""");

        var import = Geo.Read(Geo.NetworkWith(meter));

        Geo.AssertFindings(import,
            (FindingCodes.GeometryInvalid, Error, "M9"),
            (FindingCodes.GuidMalformed, Error, "M9"),
            (FindingCodes.SystemTitleMalformed, Error, "M9"),
            (FindingCodes.PropertyInvalid, Error, "M9"),
            (FindingCodes.PropertyInvalid, Error, "M9"));
        Assert.All(import.Findings, f => Assert.Equal(Appended, f.FeatureIndex));
        Assert.DoesNotContain(import.Features, f => f.Id == "M9");
    }

    [Fact]
    public void Read_RejectedTransformer_DoesNotAlsoReportItsMetersAsHavingNoParent()
    {
        // T1 exists in the file but is rejected for its kva: its meters' parent is not "missing".
        var badT1 = Geo.Point("""{"kind":"transformer","id":"T1","parent":"FU1","kva":"25 kVA"}""", -89.003, 40.003);

        var import = Geo.Read(Geo.NetworkReplacing("T1", badT1));

        Geo.AssertFindings(import, (FindingCodes.PropertyInvalid, Error, "T1"));
        Assert.False(import.IsValid);
    }

    [Fact]
    public void Read_RejectedFeeder_DoesNotAlsoReportItsChildrenOrItsLines()
    {
        // B1 and T2 name F1 as parent and L1 names it as feeder: F1 exists, it is only invalid.
        var badF1 = Geo.Point("""{"kind":"feeder","id":"F1","parent":"S1","name":5}""");

        var import = Geo.Read(Geo.NetworkReplacing("F1", badF1));

        Geo.AssertFindings(import, (FindingCodes.PropertyInvalid, Error, "F1"));
    }

    [Fact]
    public void Read_RejectedDevice_DoesNotAlsoReportItsChildrenAsHavingNoParent()
    {
        var badFu1 = Geo.Point("""{"kind":"device","id":"FU1","parent":"B1","deviceType":"fuze"}""", -89.002, 40.002);

        var import = Geo.Read(Geo.NetworkReplacing("FU1", badFu1));

        Geo.AssertFindings(import, (FindingCodes.PropertyInvalid, Error, "FU1"));
    }
}
