using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;

namespace OpsConsole.Console.Server.Map;

/// <summary>
/// The map's offline background (<c>Map:MbTilesPath</c>): raster tiles read from an MBTiles file, an SQLite database
/// whose <c>tiles</c> table holds each tile's image by <c>zoom_level</c>, <c>tile_column</c> and <c>tile_row</c>, rows
/// numbered from the south (TMS) where the map's <c>{y}</c> counts from the north. Read-only: the file is never written.
/// Like every console endpoint not explicitly open, its tiles need a signed-in dispatcher or admin (the fallback policy).
/// </summary>
public sealed class MbTilesBasemap(IOptions<MapOptions> options)
{
    /// <summary>The endpoint's route; the map's tile template.</summary>
    public const string Path = "/console/basemap/{z}/{x}/{y}.png";

    private const int MaxZoom = 24;

    private string? _connection;

    /// <summary>Why <paramref name="path"/> is not a usable MBTiles file, or null when it is (the configuration preflight).</summary>
    public static string? Check(string path)
    {
        string full = OptionPaths.Resolve(path);
        if (!File.Exists(full))
        {
            return $"the file does not exist (looked for {full})";
        }

        try
        {
            using var connection = new SqliteConnection(ConnectionString(full));
            connection.Open();
            using var tiles = connection.CreateCommand();
            tiles.CommandText = "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles LIMIT 1";
            using (tiles.ExecuteReader())
            {
            }

            using var format = connection.CreateCommand();
            format.CommandText = "SELECT value FROM metadata WHERE name = 'format'";
            string? value;
            try
            {
                value = format.ExecuteScalar() as string;
            }
            catch (SqliteException)
            {
                value = null; // metadata is optional here: only the tiles are read
            }

            return value is null or "png" or "jpg" or "jpeg" or "webp"
                ? null
                : $"its tiles are '{value}', not raster images (png, jpg or webp)";
        }
        catch (SqliteException ex)
        {
            return $"not an MBTiles file (an SQLite database with a tiles table of zoom_level, tile_column, tile_row, tile_data): {ex.Message}";
        }
    }

    /// <summary>
    /// The image of the map tile <paramref name="z"/>/<paramref name="x"/>/<paramref name="y"/> (XYZ, north up) and its
    /// media type; null when the file has none there. Throws <see cref="ArgumentOutOfRangeException"/> for a tile that
    /// cannot exist.
    /// </summary>
    public (byte[] Data, string ContentType)? Tile(int z, int x, int y)
    {
        if (z is < 0 or > MaxZoom || x < 0 || y < 0 || x >= 1 << z || y >= 1 << z)
        {
            throw new ArgumentOutOfRangeException(nameof(z), $"{z}/{x}/{y} is not a map tile (zoom 0–{MaxZoom}, x and y from 0 to 2^zoom − 1)");
        }

        using var connection = new SqliteConnection(_connection ??= ConnectionString(OptionPaths.Resolve(options.Value.MbTilesPath)));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT tile_data FROM tiles WHERE zoom_level = $z AND tile_column = $x AND tile_row = $row";
        command.Parameters.AddWithValue("$z", z);
        command.Parameters.AddWithValue("$x", x);
        command.Parameters.AddWithValue("$row", (1 << z) - 1 - y); // TMS: row 0 is the southernmost
        return command.ExecuteScalar() is byte[] data ? (data, ContentType(data)) : null;
    }

    /// <summary>The image's type from its first bytes (an MBTiles file's raster tiles are PNG, JPEG or WebP, whatever the URL says).</summary>
    public static string ContentType(ReadOnlySpan<byte> data) =>
        data.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47]) ? "image/png"
        : data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]) ? "image/jpeg"
        : data.Length >= 12 && data.StartsWith("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8) ? "image/webp"
        : "application/octet-stream";

    private static string ConnectionString(string path) =>
        new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();

    public static IEndpointRouteBuilder MapBasemap(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Path, (string z, string x, string y, MbTilesBasemap basemap, IOptions<MapOptions> map) =>
        {
            if (string.IsNullOrEmpty(map.Value.MbTilesPath))
            {
                return Results.NotFound();
            }

            if (!int.TryParse(z, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int zoom)
                || !int.TryParse(x, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int tx)
                || !int.TryParse(y, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int ty))
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a map tile", detail: $"{z}/{x}/{y}: zoom, x and y must be whole numbers");
            }

            try
            {
                return basemap.Tile(zoom, tx, ty) is { } tile ? Results.Bytes(tile.Data, tile.ContentType) : Results.NotFound();
            }
            catch (ArgumentOutOfRangeException ex)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a map tile", detail: ex.Message.Split(" (Parameter", 2)[0]);
            }
        }).ExcludeFromDescription();
        return endpoints;
    }
}
