using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpsConsole.Console.Server.Security.Administration;
using OpsConsole.Console.Server.Security.Circuits;
using OpsConsole.Console.Server.Security.Sessions;
using OpsConsole.Console.Server.Security.Users;

namespace OpsConsole.Console.Server.Security;

public static class SecurityExtensions
{
    /// <summary>The scheme that picks API key (an <c>X-Api-Key</c> header) or the browser's sign-in cookie.</summary>
    public const string ConsoleScheme = "Console";

    /// <summary>Claim on the cookie of a user who must choose a new password before anything else.</summary>
    public const string MustChangePasswordClaim = "opsconsole:must-change-password";

    public static IServiceCollection AddConsoleSecurity(this IServiceCollection services)
    {
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiOptions>, ApiOptionsValidator>();
        services.AddSingleton<ApiKeyRegistry>();
        services.AddSingleton<ApiKeyFailureLog>();
        services.AddSingleton<WebTelemetry>();
        services.AddSingleton<LogThrottle>();
        services.TryAddSingleton<Microsoft.AspNetCore.Identity.IPasswordHasher<ConsoleUser>, Microsoft.AspNetCore.Identity.PasswordHasher<ConsoleUser>>();
        services.AddSingleton<UserStore>();
        services.AddSingleton<AuditLog>();
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuditOptions>, AuditOptionsValidator>();
        services.AddSingleton<AuditRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditRetention>());
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<SignInService>();
        services.AddSignInRateLimit();
        services.AddSingleton<InitialAdmin>();
        services.AddSingleton<UserAdministration>();
        services.AddScoped<OpsConsole.Console.Client.Admin.IUserAdministration, CircuitUserAdministration>();
        services.AddHostedService(sp => sp.GetRequiredService<InitialAdmin>());

        // Sessions: the security stamp on every cookie request and, every 30 s, on every open page.
        services.AddSingleton<RevokedSessions>();
        services.AddSingleton<SessionStamps>();
        services.AddSingleton<CookieSessionValidator>();
        services.AddScoped<AuthenticationStateProvider, SessionRevalidatingStateProvider>();

        // The remote address of each page session, for the audit of what is done through it.
        services.AddScoped<CircuitRemoteAddress>();
        services.AddScoped<CircuitHandler, CircuitRemoteAddressHandler>();
        services.AddSingleton<HubCallerAddressFilter>();
        services.Configure<HubOptions>(o => o.AddFilter<HubCallerAddressFilter>());

        services.AddAuthentication(ConsoleScheme)
            .AddPolicyScheme(ConsoleScheme, "API key, client certificate or sign-in cookie", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.ContainsKey(ApiKeyAuthenticationHandler.HeaderName)
                    ? ApiKeyAuthenticationHandler.SchemeName
                    : context.Connection.ClientCertificate is not null ? Certificates.ClientCertificateAuthenticationHandler.SchemeName // the mutual-TLS endpoint (TlsSetup)
                    : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddCookie(o =>
            {
                o.Cookie.Name = "opsconsole.auth";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest; // Always once HTTPS is on (Hosting/TlsSetup)
                o.LoginPath = "/signin";
                o.AccessDeniedPath = AccessDeniedPage;
                o.ExpireTimeSpan = SessionStamps.IdleTimeout; // sliding; at most SessionStamps.AbsoluteLifetime after sign-in
                o.SlidingExpiration = true;
                o.Events.OnRedirectToLogin = context => StatusOrRedirect(context, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = ForbidPage;
                o.Events.OnValidatePrincipal = context => context.HttpContext.RequestServices.GetRequiredService<CookieSessionValidator>().ValidatePrincipalAsync(context);
            });
        // Deny by default: an endpoint (or a request no endpoint matches) without a policy of its own needs a
        // signed-in user or machine client; only what is marked AllowAnonymous (sign-in, static files, /healthz) is open.
        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.ReadPolicy, p => p.RequireRole(Roles.Dispatcher, Roles.Admin))
            .AddPolicy(Roles.AdminPolicy, p => p.RequireRole(Roles.Admin))
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireRole(Roles.Dispatcher, Roles.Admin).Build());
        return services;
    }

    /// <summary>
    /// A signed-in user who must change the generated password reaches only the password page (API and
    /// hub calls: 403) until it is done.
    /// </summary>
    public static IApplicationBuilder UsePasswordChangeGate(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.User.HasClaim(c => c.Type == MustChangePasswordClaim) && !IsAllowedBeforePasswordChange(context.Request.Path))
        {
            if (IsMachinePath(context.Request.Path))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }

            context.Response.Redirect("/account/password");
            return;
        }

        await next(context).ConfigureAwait(false);
    });

    /// <summary>
    /// Renders <c>/status/403</c> (the forbidden page) with status 403 in place of a page the user's role does not
    /// allow, and <c>/status/404</c> (the not-found page, in the console's layout with the ways back) in place of an
    /// empty 404 for an address that is no page (no redirect: the address stays, and the answer says what it is).
    /// API, hub, metrics and asset addresses keep their own status and body (an unknown API route: a 404 problem).
    /// </summary>
    public static IApplicationBuilder UseForbiddenPage(this IApplicationBuilder app)
    {
        app.UseStatusCodePagesWithReExecute(StatusPages + "/{0}");
        return app.Use(async (context, next) =>
        {
            var feature = context.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodePagesFeature>();
            if (feature is not null)
            {
                feature.Enabled = false; // only ForbidPage turns it on, for one page request, or an empty 404 below
            }

            await next(context).ConfigureAwait(false);
            if (context.Response.StatusCode != StatusCodes.Status404NotFound || context.Response.HasStarted || context.Response.ContentType is not null)
            {
                return;
            }

            if (feature is not null && IsPageAddress(context.Request))
            {
                feature.Enabled = true; // StatusCodePagesMiddleware re-executes /status/404
            }
            else if (context.Request.Path.StartsWithSegments("/api") && context.GetEndpoint() is null
                     && context.RequestServices.GetService<IProblemDetailsService>() is { } problems)
            {
                // An address no API route has: a 404 problem, as the API's own 404s are.
                await problems.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = { Status = StatusCodes.Status404NotFound, Title = "Not found", Detail = $"no API route '{context.Request.Path}'" },
                }).ConfigureAwait(false);
            }
        });
    }

    private const string StatusPages = "/status";

    private const string AccessDeniedPage = "/forbidden";

    /// <summary>A GET of an address a person types or follows: not the API, hubs, metrics, the framework's or assets' files.</summary>
    private static bool IsPageAddress(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && !IsMachinePath(request.Path) && !request.Path.StartsWithSegments(StatusPages)
        && !request.Path.StartsWithSegments("/_blazor") && !request.Path.StartsWithSegments("/_framework")
        && !request.Path.StartsWithSegments("/_content") && !request.Path.StartsWithSegments("/lib")
        && !Path.HasExtension(request.Path.Value);

    /// <summary>API, hub and circuit calls get a bare 403; a page request the 403 page (see <see cref="UseForbiddenPage"/>).</summary>
    private static Task ForbidPage(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> context)
    {
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        if (!IsMachinePath(context.Request.Path) && !context.Request.Path.StartsWithSegments("/_blazor")
            && HttpMethods.IsGet(context.Request.Method) && !context.Request.Path.StartsWithSegments(StatusPages) && !context.Request.Path.StartsWithSegments(AccessDeniedPage)
            && context.HttpContext.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodePagesFeature>() is { } feature)
        {
            feature.Enabled = true;
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// API and hub calls get a status code; page requests the sign-in page, by a relative address (never built
    /// from the request's Host header) whose return address is the page asked for.
    /// </summary>
    private static Task StatusOrRedirect(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        var request = context.Request;
        if (IsMachinePath(request.Path) || request.Path.StartsWithSegments("/_blazor"))
        {
            context.Response.StatusCode = status;
        }
        else
        {
            string back = AccountEndpoints.LocalOrRoot(request.PathBase + request.Path + request.QueryString);
            context.Response.Redirect($"{request.PathBase}{context.Options.LoginPath}?returnUrl={Uri.EscapeDataString(back)}");
        }

        return Task.CompletedTask;
    }

    private static bool IsMachinePath(PathString path) => path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs") || path.StartsWithSegments("/metrics");

    private static bool IsAllowedBeforePasswordChange(PathString path) =>
        path.StartsWithSegments("/account") || path.StartsWithSegments("/signin") || path.StartsWithSegments("/_framework")
        || path.StartsWithSegments("/_content") || path.StartsWithSegments("/lib") || path.StartsWithSegments("/favicon.svg")
        || path.StartsWithSegments("/healthz");
}
