namespace OpsConsole.Console.Server.Security;

/// <summary>
/// Guards what a browser's sign-in cookie can be made to do by another site (SameSite=Strict does not stop a
/// sibling subdomain). For a request authenticated by the cookie to the API, the hub or the Blazor circuit:
/// a write (any method but GET/HEAD/OPTIONS) must name this site as its <c>Origin</c> (or, without one, its
/// <c>Referer</c>), and any request that names an <c>Origin</c> (a WebSocket upgrade does) must name this site:
/// else 403. API writes must send JSON (<c>application/json</c>, <c>application/geo+json</c> or another
/// <c>+json</c> type) when they send a body: else 415 — a cross-site form or <c>text/plain</c> post cannot.
/// API keys (and other machine credentials) are not sent by browsers on their own, so they are not checked for origin.
/// Runs after authentication; this site is the request's own scheme and host.
/// </summary>
public static class CrossSiteWriteGuard
{
    public static IApplicationBuilder UseCrossSiteWriteGuard(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var request = context.Request;
        bool api = request.Path.StartsWithSegments("/api");
        bool browserChannel = api || request.Path.StartsWithSegments("/hubs") || request.Path.StartsWithSegments("/_blazor");
        if (!browserChannel)
        {
            return next(context);
        }

        bool write = !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method));
        if (context.User.Identity is { IsAuthenticated: true, AuthenticationType: Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationDefaults.AuthenticationScheme })
        {
            string? origin = request.Headers.Origin.Count > 0 ? request.Headers.Origin.ToString() : null;
            bool sameSite = origin is not null ? IsThisSite(request, origin)
                : !write || (request.Headers.Referer.Count > 0 && Uri.TryCreate(request.Headers.Referer.ToString(), UriKind.Absolute, out var referer)
                    && IsThisSite(request, referer.GetLeftPart(UriPartial.Authority)));
            if (!sameSite)
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            }
        }

        if (api && write && HasBody(request) && !IsJson(request.ContentType))
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return Task.CompletedTask;
        }

        return next(context);
    });

    private static bool IsThisSite(HttpRequest request, string origin) =>
        string.Equals(origin, $"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase);

    private static bool HasBody(HttpRequest request) => request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0) || request.ContentType is not null;

    private static bool IsJson(string? contentType)
    {
        if (contentType is null || !Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return false;
        }

        var type = media.MediaType;
        return type.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }
}
