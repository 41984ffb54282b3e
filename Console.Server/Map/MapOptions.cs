using Microsoft.Extensions.Options;

namespace OpsConsole.Console.Server.Map;

/// <summary><c>Map:*</c> — how the console draws its map.</summary>
public sealed class MapOptions
{
    public const string Section = "Map";

    /// <summary>Leaflet tile URL template with {z}, {x} and {y}; empty for no background (no internet needed).</summary>
    public string TileUrl { get; set; } = "";

    /// <summary>
    /// An MBTiles file (raster tiles in SQLite) the console serves itself as the map's background
    /// (<see cref="MbTilesBasemap.Path"/>): a basemap the control room owns, no tile server needed. Empty for none.
    /// </summary>
    public string MbTilesPath { get; set; } = "";

    /// <summary>The map's background tile template: the console's own MBTiles endpoint when a file is set, else <see cref="TileUrl"/>.</summary>
    public string BackgroundUrl => string.IsNullOrEmpty(MbTilesPath) ? TileUrl : MbTilesBasemap.Path.TrimStart('/');
}

internal sealed class MapOptionsValidator : IValidateOptions<MapOptions>
{
    public ValidateOptionsResult Validate(string? name, MapOptions options)
    {
        var errors = new List<string>();
        var url = options.TileUrl;
        if (!string.IsNullOrEmpty(url))
        {
            bool template = url.Contains("{z}", StringComparison.Ordinal) && url.Contains("{x}", StringComparison.Ordinal) && url.Contains("{y}", StringComparison.Ordinal);
            bool absolute = Uri.TryCreate(url.Replace("{", "", StringComparison.Ordinal).Replace("}", "", StringComparison.Ordinal), UriKind.Absolute, out var uri)
                && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
            if (!(template && absolute))
            {
                errors.Add($"Map:TileUrl = '{url}': must be empty or an http(s) URL template with {{z}}, {{x}} and {{y}}");
            }
        }

        if (!string.IsNullOrEmpty(options.MbTilesPath))
        {
            if (!string.IsNullOrEmpty(url))
            {
                errors.Add($"Map:MbTilesPath = '{options.MbTilesPath}': set either Map:TileUrl or Map:MbTilesPath, not both");
            }
            else if (MbTilesBasemap.Check(options.MbTilesPath) is { } problem)
            {
                errors.Add($"Map:MbTilesPath = '{options.MbTilesPath}': {problem}");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
