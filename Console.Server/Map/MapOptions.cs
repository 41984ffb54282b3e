using Microsoft.Extensions.Options;

namespace OpsConsole.Console.Server.Map;

/// <summary><c>Map:*</c> — how the console draws its map.</summary>
public sealed class MapOptions
{
    public const string Section = "Map";

    /// <summary>Leaflet tile URL template with {z}, {x} and {y}; empty for no background (no internet needed).</summary>
    public string TileUrl { get; set; } = "";
}

internal sealed class MapOptionsValidator : IValidateOptions<MapOptions>
{
    public ValidateOptionsResult Validate(string? name, MapOptions options)
    {
        var url = options.TileUrl;
        if (string.IsNullOrEmpty(url))
        {
            return ValidateOptionsResult.Success;
        }

        bool template = url.Contains("{z}", StringComparison.Ordinal) && url.Contains("{x}", StringComparison.Ordinal) && url.Contains("{y}", StringComparison.Ordinal);
        bool absolute = Uri.TryCreate(url.Replace("{", "", StringComparison.Ordinal).Replace("}", "", StringComparison.Ordinal), UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
        return template && absolute
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Map:TileUrl = '{url}': must be empty or an http(s) URL template with {{z}}, {{x}} and {{y}}");
    }
}
