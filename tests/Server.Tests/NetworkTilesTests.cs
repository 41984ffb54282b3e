using System.Net;
using System.Text.Json;
using OpsConsole.Console.Server.Map;
using OpsConsole.Gis.GeoJson;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Server.Tests;

/// <summary>The map's feed by area and level of detail (<see cref="NetworkTiles"/>), on the small network and a dense generated one.</summary>
public sealed class NetworkTilesTests
{
    private static (int X, int Y) TileOf(double lon, double lat, int z) =>
        ((int)Math.Floor(WebMercator.X(lon) * (1 << z)), (int)Math.Floor(WebMercator.Y(lat) * (1 << z)));

    private static JsonElement Tile(TileIndex index, double lon, double lat, int z)
    {
        var (x, y) = TileOf(lon, lat, z);
        return JsonDocument.Parse(index.Tile(z, x, y)).RootElement;
    }

    private static string[] Ids(JsonElement tile, string level) =>
        tile.TryGetProperty(level, out var items) ? [.. items.EnumerateArray().Select(i => i[0].GetString()!)] : [];

    [Fact]
    public void Meters_AreAbsentBelowStreetZoom_AndPresentAtIt()
    {
        var index = new TileIndex(SmallNetwork.Build());

        for (int z = 0; z < NetworkTiles.MeterMinZoom; z++)
        {
            Assert.Empty(Ids(Tile(index, -89.0022, 40.0031, z), "meters"));
        }

        var street = Tile(index, -89.0022, 40.0031, NetworkTiles.MeterMinZoom);
        Assert.Contains("M2", Ids(street, "meters"));
        Assert.Contains("T1", Ids(street, "transformers"));
        Assert.False(street.TryGetProperty("omitted", out _));
        // [id, x, y, critical, mapped]: M1 is critical and mapped.
        var m1 = street.GetProperty("meters").EnumerateArray().Single(m => m[0].GetString() == "M1");
        Assert.Equal(1, m1[3].GetInt32());
        Assert.Equal(1, m1[4].GetInt32());
    }

    [Fact]
    public void Transformers_FromMiddleZoom_DevicesAndFeedersAtEveryZoom()
    {
        var index = new TileIndex(SmallNetwork.Build());

        var low = Tile(index, -89.0, 40.0, NetworkTiles.TransformerMinZoom - 1);
        var middle = Tile(index, -89.0, 40.0, NetworkTiles.TransformerMinZoom);

        Assert.Empty(Ids(low, "transformers"));
        Assert.Equal(["D1", "D2"], Ids(low, "devices").Order());
        Assert.Equal(["F1"], Ids(low, "feeders"));
        Assert.Equal(["T1", "T2", "T3"], Ids(middle, "transformers").Order());
        // [id, x, y, customers, subtype]
        var t1 = middle.GetProperty("transformers").EnumerateArray().Single(t => t[0].GetString() == "T1");
        Assert.Equal(3, t1[3].GetInt32());
        Assert.Equal("breaker", middle.GetProperty("devices").EnumerateArray().Single(d => d[0].GetString() == "D1")[4].GetString());
    }

    [Fact]
    public void ATile_HoldsItsAreaOnly_InItsOwnPixels()
    {
        var index = new TileIndex(SmallNetwork.Build());
        const int Z = 17;

        var atT1 = Tile(index, -89.002, 40.003, Z);
        var (x, y) = TileOf(-89.01, 40.01, Z);
        var atM9 = JsonDocument.Parse(index.Tile(Z, x, y)).RootElement;
        var nowhere = JsonDocument.Parse(index.Tile(Z, 0, 0)).RootElement;

        Assert.Equal(["M1", "M2", "M3", "M4"], Ids(atT1, "meters").Order()); // M9 is 1 km away
        Assert.DoesNotContain("M9", Ids(atT1, "meters"));
        Assert.Equal(["M9"], Ids(atM9, "meters"));
        Assert.Empty(Ids(nowhere, "meters"));
        Assert.False(nowhere.TryGetProperty("lines", out _));

        // Positions are pixels of the tile, as Leaflet projects (EPSG:3857): T1 where the mercator formula puts it.
        var t1 = atT1.GetProperty("transformers").EnumerateArray().Single(t => t[0].GetString() == "T1");
        var (tx, ty) = TileOf(-89.002, 40.003, Z);
        Assert.Equal((WebMercator.X(-89.002) * 256 * (1 << Z)) - (tx * 256), t1[1].GetDouble(), 0.06);
        Assert.Equal((WebMercator.Y(40.003) * 256 * (1 << Z)) - (ty * 256), t1[2].GetDouble(), 0.06);
    }

    [Fact]
    public void Lines_AreVectorsWithTheirIndex_WhereTheyAreDrawn()
    {
        var index = new TileIndex(SmallNetwork.Build());

        var tile = Tile(index, -89.0, 40.0005, 16);

        var line = Assert.Single(tile.GetProperty("lines").EnumerateArray());
        Assert.Equal(0, line[0].GetInt32());
        Assert.Equal(7, line.GetArrayLength()); // index and three points
    }

    /// <summary>
    /// 60,000 meters under 600 transformers packed into 1.2 km × 1.2 km (far denser than any real street) with a line
    /// to each meter: every tile at every zoom stays within the budget, by raster lines and by leaving levels out.
    /// </summary>
    [Fact]
    public void EveryTile_StaysWithinTheByteBudget_OnADenseNetwork()
    {
        var index = new TileIndex(Dense(600, 100));
        int raster = 0, reduced = 0, tiles = 0;
        var (cx, cy) = (-88.0, 41.0);

        for (int z = 0; z <= 19; z++)
        {
            var (x0, y0) = TileOf(cx - 0.008, cy + 0.006, z);
            var (x1, y1) = TileOf(cx + 0.008, cy - 0.006, z);
            for (int x = x0; x <= x1; x++)
            {
                for (int y = y0; y <= y1; y++)
                {
                    var bytes = index.Tile(z, x, y);
                    tiles++;
                    Assert.True(bytes.Length <= NetworkTiles.TileBudgetBytes, $"tile {z}/{x}/{y}: {bytes.Length} bytes");
                    var tile = JsonDocument.Parse(bytes).RootElement;
                    raster += tile.TryGetProperty("raster", out _) ? 1 : 0;
                    reduced += tile.TryGetProperty("omitted", out _) ? 1 : 0;
                }
            }
        }

        Assert.True(raster > 0, "no tile needed the raster: the network is not dense enough for this test");
        Assert.True(reduced > 0, "no tile left a level out: the network is not dense enough for this test");
        // At the deepest zoom the meters fit again: a tile there holds meters.
        var deep = Tile(index, cx, cy, 19);
        Assert.NotEmpty(Ids(deep, "meters"));
        Assert.True(tiles > 100);
    }

    [Theory]
    [InlineData("23/0/0", "z must be a whole number from 0 to 22")]
    [InlineData("x/0/0", "z must be a whole number")]
    [InlineData("-1/0/0", "z must be a whole number")]
    [InlineData("2/4/0", "x must be a whole number from 0 to 3 at zoom 2")]
    [InlineData("2/0/-1", "y must be a whole number from 0 to 3 at zoom 2")]
    [InlineData("2/0/1e3", "y must be a whole number")]
    [InlineData("22/99999999999999999999/0", "x must be a whole number")]
    public async Task BadTileAddresses_Are400WithTheReason(string zxy, string reason)
    {
        await using var host = (await RunningHost.StartAsync()).WithStaff();
        using var dana = await host.SignedInAsync("dana", Staff.DispatcherPassword);

        using var response = await dana.Http.GetAsync($"/console/network/tiles/{zxy}.json");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>A substation, feeder and device with <paramref name="transformers"/> transformers on a grid, each with <paramref name="meters"/> meters around it and a line to each.</summary>
    private static NetworkTopology Dense(int transformers, int meters)
    {
        var f = new System.Text.StringBuilder("""{"type":"FeatureCollection","features":[""");
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        void Point(string kind, string id, string? parent, double lon, double lat, string extra = "") =>
            f.Append("{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[").Append(lon.ToString(inv)).Append(',').Append(lat.ToString(inv))
                .Append("]},\"properties\":{\"kind\":\"").Append(kind).Append("\",\"id\":\"").Append(id).Append('"')
                .Append(parent is null ? "" : ",\"parent\":\"" + parent + "\"").Append(extra).Append("}},");
        Point("substation", "S", null, -88, 41);
        Point("feeder", "F", "S", -88, 41);
        Point("device", "D", "F", -88, 41, ",\"deviceType\":\"breaker\"");
        int side = (int)Math.Ceiling(Math.Sqrt(transformers));
        int m = 0;
        for (int t = 0; t < transformers; t++)
        {
            double tlon = -88.0075 + (0.015 * (t % side) / side), tlat = 40.9945 + (0.011 * (t / side) / side);
            Point("transformer", $"T{t}", "D", tlon, tlat);
            for (int k = 0; k < meters; k++, m++)
            {
                double a = k * 2.399, r = 0.00002 * Math.Sqrt(k + 1);
                double mlon = tlon + (r * Math.Cos(a)), mlat = tlat + (r * Math.Sin(a));
                Point("meter", $"M{m}", $"T{t}", mlon, mlat, $",\"guid\":\"{new Guid(m, 0, 0x4000, 0x80, 0, 0, 0, 0, 0, 0, 1)}\",\"systemTitle\":\"4F505300{m:X8}\"");
                f.Append("{\"type\":\"Feature\",\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[").Append(tlon.ToString(inv)).Append(',').Append(tlat.ToString(inv))
                    .Append("],[").Append(mlon.ToString(inv)).Append(',').Append(mlat.ToString(inv)).Append("]]},\"properties\":{\"kind\":\"line\",\"id\":\"L").Append(m).Append("\",\"feeder\":\"F\"}},");
            }
        }

        f.Length--;
        f.Append("]}");
        var import = TopologyGeoJsonReader.Read(System.Text.Encoding.UTF8.GetBytes(f.ToString()));
        Assert.True(import.IsValid, string.Join("\n", import.Findings.Take(5)));
        return NetworkTopology.Build(import.Features, keepExtraProperties: false);
    }
}
