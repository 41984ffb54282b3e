using Microsoft.Extensions.Options;
using OpsConsole.Console.Server.Map;

namespace OpsConsole.Console.Server.Security;

/// <summary>
/// Response headers on every answer (pages, API, static files): a Content-Security-Policy that allows only this
/// site's own scripts (Blazor Server, MudBlazor, Leaflet, opsmap.js: no inline script, no eval), inline styles
/// (MudBlazor and Leaflet set style attributes), images from this site, <c>data:</c>/<c>blob:</c> and the
/// configured tile server (<c>Map:TileUrl</c>), connections (fetch, WebSocket) to this site only, and no framing
/// (<c>frame-ancestors 'none'</c>, and <c>X-Frame-Options: DENY</c> for older browsers); <c>nosniff</c>; and a
/// referrer policy that sends the address only to this site.
/// </summary>
public static class SecurityHeaders
{
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Read on the first request: options are validated at start (a bad Map:TileUrl fails there, naming the key).
        var csp = new Lazy<string>(() => Policy(app.ApplicationServices.GetRequiredService<IOptions<MapOptions>>().Value.TileUrl));
        return app.Use((context, next) =>
        {
            // Set as the answer starts: an error page made by the exception handler (which clears headers) has them too.
            context.Response.OnStarting(static state =>
            {
                var (response, policy) = ((HttpResponse, string))state;
                var headers = response.Headers;
                headers.ContentSecurityPolicy = policy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "same-origin";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                return Task.CompletedTask;
            }, (context.Response, csp.Value));
            return next(context);
        });
    }

    /// <summary>The Content-Security-Policy, with the tile server of <paramref name="tileUrl"/> among the image sources.</summary>
    public static string Policy(string? tileUrl) =>
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        + $"img-src 'self' data: blob:{TileSource(tileUrl)}; font-src 'self' data:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>" https://tiles.example:8443" for a tile URL template; <c>{s}</c> subdomains become <c>*</c>.</summary>
    private static string TileSource(string? tileUrl)
    {
        if (string.IsNullOrEmpty(tileUrl) || tileUrl.IndexOf("://", StringComparison.Ordinal) is not (> 0 and var schemeEnd))
        {
            return "";
        }

        int hostEnd = tileUrl.IndexOf('/', schemeEnd + 3);
        string origin = (hostEnd < 0 ? tileUrl : tileUrl[..hostEnd]).Replace("{s}", "*", StringComparison.Ordinal);
        return origin.Contains('{', StringComparison.Ordinal) || origin.Any(c => char.IsWhiteSpace(c) || c == ';' || c == ',')
            ? " " + tileUrl[..schemeEnd] + ":"
            : " " + origin;
    }
}
