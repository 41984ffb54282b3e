using System.Text;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Gis.Tests;

/// <summary>Whole-file problems: the file is not JSON, or not a FeatureCollection.</summary>
public class FileFindingsTests
{
    [Fact]
    public void Network_HandWritten_ImportsWithZeroFindings()
    {
        // The base every other finding test breaks: it must be clean on its own.
        var import = Geo.Read(Geo.File(Geo.Network));

        Assert.Empty(import.Findings);
        Assert.True(import.IsValid);
        Assert.Equal(10, import.Features.Count);
    }

    [Fact]
    public void Read_TruncatedInsideAFeature_ReportsJsonInvalidAndImportsNothing()
    {
        var json = Geo.File(Geo.Network);
        var truncated = json[..(json.IndexOf("\"M2\"", StringComparison.Ordinal) + 2)];

        Geo.AssertFileRejected(Geo.Read(truncated), FindingCodes.JsonInvalid);
    }

    [Fact]
    public void Read_TruncatedAfterTheLastFeature_ReportsJsonInvalid()
    {
        // Every feature is complete; only the closing "]}" is missing.
        var json = Geo.File(Geo.Network).TrimEnd();
        var truncated = json[..^2];

        Geo.AssertFileRejected(Geo.Read(truncated), FindingCodes.JsonInvalid);
    }

    [Theory]
    [InlineData("this is not json")]
    [InlineData("{\"type\":\"FeatureCollection\",\"features\":[}")]
    [InlineData("{\"type\":\"FeatureCollection\" \"features\":[]}")]
    [InlineData("{'type':'FeatureCollection','features':[]}")]
    [InlineData("")]
    [InlineData("   \n  ")]
    public void Read_Garbage_ReportsJsonInvalidAndImportsNothing(string text)
    {
        Geo.AssertFileRejected(Geo.Read(text), FindingCodes.JsonInvalid);
    }

    [Theory]
    [InlineData(" xyz")]
    [InlineData("{\"type\":\"FeatureCollection\",\"features\":[]}")]
    [InlineData("]")]
    public void Read_ContentAfterTheFeatureCollection_ReportsJsonInvalid(string trailer)
    {
        Geo.AssertFileRejected(Geo.Read(Geo.File(Geo.Network) + trailer), FindingCodes.JsonInvalid);
    }

    [Fact]
    public void Read_TrailingWhitespaceAfterTheFeatureCollection_IsValid()
    {
        var import = Geo.Read(Geo.File(Geo.Network) + " \r\n\t \n");

        Assert.Empty(import.Findings);
        Assert.Equal(10, import.Features.Count);
    }

    [Fact]
    public void Read_InvalidUtf8InARootMemberName_ReportsJsonInvalidAndDoesNotThrow()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"type\":\"FeatureCollection\",\"naQe\":1,\"features\":[]}");
        bytes[Array.IndexOf(bytes, (byte)'Q')] = 0xFF;

        Geo.AssertFileRejected(TopologyGeoJsonReader.Read(bytes), FindingCodes.JsonInvalid);
    }

    [Theory]
    [InlineData("""[]""")]
    [InlineData("""[{"type":"FeatureCollection","features":[]}]""")]
    [InlineData("""  "FeatureCollection" """)]
    [InlineData("""42""")]
    [InlineData("""null""")]
    public void Read_RootIsNotAnObject_ReportsCollectionInvalid(string text)
    {
        Geo.AssertFileRejected(Geo.Read(text), FindingCodes.CollectionInvalid);
    }

    [Theory]
    [InlineData("""{"type":"FeatureCollection"}""")]
    [InlineData("""{}""")]
    [InlineData("""{"type":"FeatureCollection","feature":[]}""")]
    public void Read_NoFeaturesArray_ReportsCollectionInvalid(string text)
    {
        Geo.AssertFileRejected(Geo.Read(text), FindingCodes.CollectionInvalid);
    }

    [Theory]
    [InlineData("""{"type":"FeatureCollection","features":{}}""")]
    [InlineData("""{"type":"FeatureCollection","features":null}""")]
    [InlineData("""{"type":"FeatureCollection","features":"none"}""")]
    public void Read_FeaturesIsNotAnArray_ReportsCollectionInvalid(string text)
    {
        Geo.AssertFileRejected(Geo.Read(text), FindingCodes.CollectionInvalid);
    }

    [Theory]
    [InlineData("""{"type":"Feature","features":[]}""")]
    [InlineData("""{"type":"featurecollection","features":[]}""")]
    [InlineData("""{"type":7,"features":[]}""")]
    [InlineData("""{"features":[]}""")]
    public void Read_TypeIsNotFeatureCollection_ReportsCollectionInvalid(string text)
    {
        Geo.AssertFileRejected(Geo.Read(text), FindingCodes.CollectionInvalid);
    }

    [Fact]
    public void Read_WrongTypeAfterValidFeatures_ImportsNothing()
    {
        // "type" comes last: the features were already read when the file turns out wrong.
        var json = """{"features":[""" + string.Join(",", Geo.Network) + """],"type":"Topology"}""";

        Geo.AssertFileRejected(Geo.Read(json), FindingCodes.CollectionInvalid);
    }

    [Fact]
    public void Read_EmptyFeaturesArray_IsValidAndEmpty()
    {
        var import = Geo.Read("""{"type":"FeatureCollection","features":[]}""");

        Assert.Empty(import.Findings);
        Assert.True(import.IsValid);
        Assert.Empty(import.Features);
    }
}
