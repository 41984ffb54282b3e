using System.Net;
using Microsoft.Data.Sqlite;
using OpsConsole.Console.Client.Map;
using OpsConsole.Console.Server.Hosting;

namespace OpsConsole.Server.Tests;

/// <summary>The offline basemap (<c>Map:MbTilesPath</c>): tiles from an MBTiles file, rows flipped from TMS, signed-in users only, checked at start.</summary>
public sealed class BasemapTests : IAsyncLifetime
{
    // Two different "images" in one column of zoom 1: TMS row 1 is the northern tile, the map's y = 0.
    private static readonly byte[] North = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 1, 1, 1];
    private static readonly byte[] South = [0xFF, 0xD8, 0xFF, 0xE0, 2, 2, 2];

    private readonly TempFolder _files = new();
    private RunningHost _host = null!;

    private string MbTiles => Path.Combine(_files.Path, "area.mbtiles");

    public async Task InitializeAsync()
    {
        WriteMbTiles(MbTiles, "png", (1, 0, 1, North), (1, 0, 0, South));
        _host = (await RunningHost.StartAsync($"--Map:MbTilesPath={MbTiles}")).WithStaff();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _files.Dispose();
    }

    /// <summary>An MBTiles file: metadata (with <paramref name="format"/>, when given) and tiles at (zoom, column, TMS row).</summary>
    internal static void WriteMbTiles(string path, string? format, params (int Z, int X, int Row, byte[] Data)[] tiles)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var create = connection.CreateCommand();
        create.CommandText = "CREATE TABLE metadata (name TEXT, value TEXT); CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);";
        create.ExecuteNonQuery();
        if (format is not null)
        {
            using var meta = connection.CreateCommand();
            meta.CommandText = "INSERT INTO metadata VALUES ('format', $f)";
            meta.Parameters.AddWithValue("$f", format);
            meta.ExecuteNonQuery();
        }

        foreach (var (z, x, row, data) in tiles)
        {
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO tiles VALUES ($z, $x, $r, $d)";
            insert.Parameters.AddWithValue("$z", z);
            insert.Parameters.AddWithValue("$x", x);
            insert.Parameters.AddWithValue("$r", row);
            insert.Parameters.AddWithValue("$d", data);
            insert.ExecuteNonQuery();
        }
    }

    [Fact]
    public async Task Tiles_AreServedFromTheFile_WithTheRowFlippedFromTms_AndTheirOwnType()
    {
        using var dana = await _host.SignedInAsync("dana", Staff.DispatcherPassword);

        using var north = await dana.Http.GetAsync("/console/basemap/1/0/0.png");
        using var south = await dana.Http.GetAsync("/console/basemap/1/0/1.png");
        using var missing = await dana.Http.GetAsync("/console/basemap/1/1/0.png");
        using var outside = await dana.Http.GetAsync("/console/basemap/1/2/0.png");
        using var garbage = await dana.Http.GetAsync("/console/basemap/one/0/0.png");

        Assert.Equal(HttpStatusCode.OK, north.StatusCode);
        Assert.Equal(North, await north.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/png", north.Content.Headers.ContentType?.MediaType);
        Assert.Equal(South, await south.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/jpeg", south.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, outside.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
    }

    [Fact]
    public async Task Tiles_NeedASignedInUser()
    {
        using var anonymous = new Browser(_host.BaseAddress);

        using var response = await anonymous.Http.GetAsync("/console/basemap/1/0/0.png");

        // As every console address: refused, the browser sent to sign in.
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.StartsWith("/signin", response.Headers.Location?.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public void TheMap_UsesTheConsolesOwnBasemap()
    {
        Assert.Equal("console/basemap/{z}/{x}/{y}.png", _host.Get<INetworkMapSource>().TileUrl);
    }

    private static async Task<string> StartFailureMessage(string folder, params string[] settings)
    {
        string[] args = ["--urls=http://127.0.0.1:0", $"--Storage:Path={folder}", "--Hes:Port=0", TempFolder.KeyFileArg(), .. settings];
        await using var app = ConsoleHost.Build(args);
        var ex = await Record.ExceptionAsync(() => app.StartAsync());
        Assert.NotNull(ex);
        return ConsoleHost.DescribeStartupFailure(ex) ?? ex.ToString();
    }

    [Fact]
    public async Task Start_WithAMissingOrUnusableFile_FailsNamingTheKey()
    {
        using var folder = new TempFolder();
        string missing = Path.Combine(folder.Path, "none.mbtiles");
        string text = Path.Combine(folder.Path, "notes.mbtiles");
        File.WriteAllText(text, "not a database");
        string noTiles = Path.Combine(folder.Path, "empty.mbtiles");
        using (var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = noTiles, Pooling = false }.ToString()))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE TABLE metadata (name TEXT, value TEXT)";
            cmd.ExecuteNonQuery();
        }

        string vector = Path.Combine(folder.Path, "vector.mbtiles");
        WriteMbTiles(vector, "pbf");

        Assert.Contains($"Map:MbTilesPath = '{missing}': the file does not exist", await StartFailureMessage(Path.Combine(folder.Path, "db1"), $"--Map:MbTilesPath={missing}"), StringComparison.Ordinal);
        Assert.Contains($"Map:MbTilesPath = '{text}': not an MBTiles file", await StartFailureMessage(Path.Combine(folder.Path, "db2"), $"--Map:MbTilesPath={text}"), StringComparison.Ordinal);
        Assert.Contains($"Map:MbTilesPath = '{noTiles}': not an MBTiles file", await StartFailureMessage(Path.Combine(folder.Path, "db3"), $"--Map:MbTilesPath={noTiles}"), StringComparison.Ordinal);
        Assert.Contains($"Map:MbTilesPath = '{vector}': its tiles are 'pbf'", await StartFailureMessage(Path.Combine(folder.Path, "db4"), $"--Map:MbTilesPath={vector}"), StringComparison.Ordinal);
        Assert.Contains("set either Map:TileUrl or Map:MbTilesPath, not both",
            await StartFailureMessage(Path.Combine(folder.Path, "db5"), $"--Map:MbTilesPath={MbTiles}", "--Map:TileUrl=https://tiles.example/{z}/{x}/{y}.png"), StringComparison.Ordinal);
    }
}
