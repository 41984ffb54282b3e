using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace OpsConsole.Console.Server.Api;

/// <summary>
/// A body over the server's limit is the client's mistake: <c>413</c> with an RFC 7807 problem naming the limit,
/// not the <c>500</c> an unhandled <see cref="BadHttpRequestException"/> would become. A declared length over the
/// endpoint's limit (<see cref="IRequestSizeLimitMetadata"/>, else the server's) is answered before the endpoint
/// runs (<see cref="UseRequestTooLarge"/>); a body found too long while read, by the exception handler.
/// </summary>
public sealed class RequestTooLarge : IExceptionHandler
{
    /// <summary>Answers <c>413</c> with a problem to a request whose <c>Content-Length</c> is over its endpoint's limit.</summary>
    public static IApplicationBuilder UseRequestTooLarge(IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
            long? limit = context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>() is { } metadata
                ? metadata.MaxRequestBodySize
                : feature?.MaxRequestBodySize;
            if (context.Request.ContentLength is { } length && length > limit)
            {
                // The body is never read: close rather than drain it (a client waiting on 100-continue then sends nothing).
                context.Response.Headers.Connection = "close";
                await Problem(limit).ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });

    public static IResult Problem(long? limit, string? key = null) =>
        Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large",
            detail: limit is { } l
                ? string.Create(CultureInfo.InvariantCulture, $"the body is larger than the limit of {l} bytes{(key is null ? "" : $" ({key})")}; nothing was changed")
                : "the body is larger than the server's limit; nothing was changed");

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (exception is not BadHttpRequestException bad || httpContext.Response.HasStarted)
        {
            return false;
        }

        var result = bad.StatusCode == StatusCodes.Status413PayloadTooLarge
            ? Problem(httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize)
            : Results.Problem(statusCode: bad.StatusCode, title: "Bad request", detail: bad.Message);
        await result.ExecuteAsync(httpContext).ConfigureAwait(false);
        return true;
    }
}
