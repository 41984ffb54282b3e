using System.Runtime.InteropServices;
using System.Text;
using NetTopologySuite.Geometries;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Gis.Tests;

/// <summary>
/// The reader's buffer logic: features larger than the initial 64 KiB buffer, streams that
/// return very little per read, and root members that are skipped.
/// </summary>
[Collection(Ckt24Collection.Name)]
public class StreamingTests(Ckt24Fixture ckt24)
{
    private const int InitialBuffer = 64 * 1024;

    /// <summary>
    /// Hands out at most <c>chunk()</c> bytes per read (1 by default: the worst network), and
    /// records how large the reader's buffer has grown.
    /// </summary>
    private sealed class TrickleStream(byte[] data, Func<int>? chunk = null) : Stream
    {
        private readonly Func<int> _chunk = chunk ?? (() => 1);
        private int _position;

        public int Reads { get; private set; }

        /// <summary>The largest array the reader has asked us to read into.</summary>
        public int MaxBuffer { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            Reads++;
            int n = Math.Min(Math.Min(buffer.Length, Math.Max(1, _chunk())), data.Length - _position);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (MemoryMarshal.TryGetArray<byte>(buffer, out var segment))
            {
                MaxBuffer = Math.Max(MaxBuffer, segment.Array!.Length);
            }

            return ValueTask.FromResult(Read(buffer.Span));
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer, offset, count));

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Every feature written back by the writer: equal strings mean equal features.</summary>
    private static string[] Canonical(TopologyImport import) =>
        [.. import.Features.Select(f => Encoding.UTF8.GetString(TopologyGeoJsonWriter.ToUtf8([f])))];

    private static (double Lon, double Lat)[] LongLine(int positions) =>
        [.. Enumerable.Range(0, positions).Select(i => (-89.0 + (i * 1.234567e-5), 40.0 + (Math.Sin(i / 50.0) * 1e-3)))];

    /// <summary>
    /// Root members of every JSON type before and after "features", with strings, escapes and
    /// numbers that end where a 1-byte read would split them.
    /// </summary>
    private static string FileWithRootMembers(IEnumerable<string> features) =>
        $$$"""
        {
          "name": "demo \"network\" \u00e9 \ud83d\ude00 ]}",
          "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
          "bbox": [-89.1, 39.9, -88.9, 40.1],
          "version": 12345678901234567890,
          "generated": null, "draft": true, "nested": [[[{"features": []}]], {"a": [1, 2, {"b": null}]}],
          "type": "FeatureCollection",
          "features": [
            {{{string.Join(",\n    ", features)}}}
          ],
          "after": {"features": "not these", "type": "Topology"},
          "count": -0.5e-3,
          "links": ["a", "b"]
        }
        """;

    [Fact]
    public async Task ReadAsync_FeatureLargerThanTheInitialBuffer_ImportsItWhole()
    {
        var positions = LongLine(6000);
        var longLine = Geo.Line("""{"kind":"line","id":"L-long","feeder":"F1","note":"one feature bigger than the reader's buffer"}""", positions);
        int lineBytes = Encoding.UTF8.GetByteCount(longLine);
        Assert.True(lineBytes > InitialBuffer, "the line must not fit the initial buffer");
        // Enough small features before and after that the long one straddles buffer refills.
        var before = Enumerable.Range(10_000, 2000).Select(i => Geo.Meter($"M{i}", "T2", i));
        var after = Enumerable.Range(20_000, 2000).Select(i => Geo.Meter($"M{i}", "T1", i));
        var bytes = Encoding.UTF8.GetBytes(Geo.File([.. Geo.Network, .. before, longLine, .. after]));
        Assert.True(bytes.Length > 4 * lineBytes);
        var stream = new TrickleStream(bytes, () => int.MaxValue); // fills whatever the reader asks for

        var import = await TopologyGeoJsonReader.ReadAsync(stream);

        Assert.Empty(import.Findings);
        Assert.Equal(10 + 2000 + 1 + 2000, import.Features.Count);
        var line = import.Features.Single(f => f.Id == "L-long");
        Assert.Equal(10 + 2000, import.Features.ToList().IndexOf(line));
        var coordinates = ((LineString)line.Geometry).Coordinates;
        Assert.Equal(positions.Length, coordinates.Length);
        for (int i = 0; i < positions.Length; i++)
        {
            Assert.Equal(positions[i].Lon, coordinates[i].X);
            Assert.Equal(positions[i].Lat, coordinates[i].Y);
        }

        Assert.Equal("one feature bigger than the reader's buffer", line.Extra!.Value.GetProperty("note").GetString());
        Assert.Equal("M21999", import.Features[^1].Id);
        // The buffer grew to hold the long feature, not the whole file.
        Assert.InRange(stream.MaxBuffer, lineBytes, 2 * bytes.Length / 3);
    }

    [Fact]
    public async Task ReadAsync_Ckt24_BuffersOneFeatureAtATimeNotTheWholeFile()
    {
        // ckt24's largest feature is under 1 KB: the initial buffer never needs to grow.
        var bytes = await File.ReadAllBytesAsync(TestData.Ckt24);
        var stream = new TrickleStream(bytes, () => int.MaxValue);

        var import = await TopologyGeoJsonReader.ReadAsync(stream);

        Assert.Empty(import.Findings);
        Assert.Equal(10_028, import.Features.Count);
        Assert.InRange(stream.MaxBuffer, 1, InitialBuffer);
        Assert.InRange(stream.Reads, bytes.Length / InitialBuffer, 2 * bytes.Length / (InitialBuffer / 2));
    }

    [Fact]
    public async Task ReadAsync_SeveralFeaturesEachLargerThanTheBuffer_ImportThemAll()
    {
        var lines = Enumerable.Range(0, 4).Select(i => Geo.Line($$"""{"kind":"line","id":"L-long{{i}}","feeder":"F1"}""", LongLine(5000 + (i * 1500))));
        var bytes = Encoding.UTF8.GetBytes(Geo.File([.. Geo.Network, .. lines]));

        var import = await TopologyGeoJsonReader.ReadAsync(new TrickleStream(bytes, () => 4096));

        Assert.Empty(import.Findings);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(5000 + (i * 1500), ((LineString)import.Features.Single(f => f.Id == $"L-long{i}").Geometry).NumPoints);
        }
    }

    [Fact]
    public async Task ReadAsync_OneBytePerRead_GivesTheSameFeaturesAsReadingTheWholeFile()
    {
        var features = Geo.Network.Concat(
        [
            Geo.Point("""{"kind":"transformer","id":"T\u00e99","parent":"F1","kva":112.5,"name":"caf\u00e9 \"quoted\" \\ back","tags":["a",{"b":[1,2.5e-7,null]}]}"""),
            Geo.Point("""{"kind":"device","id":"D9","parent":"FU1","deviceType":"recloser","rating":-12.75e2,"open":false}""", -89.123456789, 40.987654321),
            Geo.Line("""{"kind":"line","id":"L9","feeder":"F1","phases":"ABC"}""", LongLine(40)),
        ]);
        var bytes = Encoding.UTF8.GetBytes(FileWithRootMembers(features));
        var whole = TopologyGeoJsonReader.Read(bytes);
        Assert.Empty(whole.Findings);
        Assert.Equal(13, whole.Features.Count);

        var trickle = new TrickleStream(bytes);
        var trickled = await TopologyGeoJsonReader.ReadAsync(trickle);

        Assert.True(trickle.Reads >= bytes.Length, "the stream must have been read one byte at a time");
        Assert.Empty(trickled.Findings);
        Assert.Equal(Canonical(whole), Canonical(trickled));
    }

    [Fact]
    public async Task ReadAsync_OneBytePerReadOnABrokenFile_GivesTheSameFindingsAsReadingTheWholeFile()
    {
        var bytes = Encoding.UTF8.GetBytes(FileWithRootMembers(Geo.Network.Concat(
        [
            Geo.Point("""{"kind":"transformer","id":"T9","parent":"M1"}"""),
            Geo.Meter("M9", "T404", 9),
            Geo.Point("""{"kind":"device","id":"D9","parent":"F1","deviceType":"bogus"}"""),
        ])));

        var whole = TopologyGeoJsonReader.Read(bytes);
        var trickled = await TopologyGeoJsonReader.ReadAsync(new TrickleStream(bytes));

        Assert.Equal(3, whole.Findings.Count);
        Assert.Equal(whole.Findings, trickled.Findings);
        Assert.Equal(Canonical(whole), Canonical(trickled));
    }

    [Fact]
    public async Task ReadAsync_OneBytePerReadOnATruncatedFile_ReportsJsonInvalid()
    {
        var text = Geo.File(Geo.Network);
        var bytes = Encoding.UTF8.GetBytes(text[..(text.Length / 2)]);

        var import = await TopologyGeoJsonReader.ReadAsync(new TrickleStream(bytes));

        Geo.AssertFileRejected(import, FindingCodes.JsonInvalid);
    }

    [Fact]
    public async Task ReadAsync_OneBytePerReadWithTrailingGarbage_ReportsJsonInvalid()
    {
        var bytes = Encoding.UTF8.GetBytes(Geo.File(Geo.Network) + "\n  x");

        var import = await TopologyGeoJsonReader.ReadAsync(new TrickleStream(bytes));

        Geo.AssertFileRejected(import, FindingCodes.JsonInvalid);
    }

    [Fact]
    public async Task ReadAsync_Ckt24InRandomlySizedChunks_GivesTheSameFeaturesAsTheFile()
    {
        var bytes = await File.ReadAllBytesAsync(TestData.Ckt24);
        var whole = ckt24.Import;
        var random = new Random(24);

        var chunked = await TopologyGeoJsonReader.ReadAsync(new TrickleStream(bytes, () => random.Next(1, 16_384)));

        Assert.Empty(chunked.Findings);
        Assert.Equal(Canonical(whole), Canonical(chunked));
    }

    [Fact]
    public void Read_RootMembersBeforeAndAfterFeatures_AreSkipped()
    {
        var withMembers = Geo.Read(FileWithRootMembers(Geo.Network));
        var plain = Geo.Read(Geo.File(Geo.Network));

        Assert.Empty(withMembers.Findings);
        Assert.Equal(Canonical(plain), Canonical(withMembers));
    }

    [Fact]
    public void Read_TypeAfterFeatures_IsAccepted()
    {
        var import = Geo.Read("""{"features":[""" + string.Join(",", Geo.Network) + """],"bbox":[0,0,1,1],"type":"FeatureCollection"}""");

        Assert.Empty(import.Findings);
        Assert.Equal(10, import.Features.Count);
    }

    [Fact]
    public void Read_FeatureWithForeignMembers_IsReadFromPropertiesOnly()
    {
        // GeoJSON allows members beyond type/geometry/properties on a feature; they are not the contract's. (The
        // feature-level id is: it must agree with properties.id, FeatureFindingsTests.)
        var feature = """{"id":"T9","bbox":[0,0,1,1],"type":"Feature","properties":{"kind":"transformer","id":"T9","parent":"F1"},"title":{"x":1},"geometry":{"type":"Point","bbox":[1,2,1,2],"coordinates":[-89.5,40.5]}}""";

        var import = Geo.Read(Geo.NetworkWith(feature));

        Assert.Empty(import.Findings);
        var t9 = import.Features.Single(f => f.Id == "T9");
        Assert.Equal(new Coordinate(-89.5, 40.5), t9.Location);
    }
}
