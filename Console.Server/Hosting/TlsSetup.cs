using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;
using OpsConsole.Console.Server.Security.Certificates;

namespace OpsConsole.Console.Server.Hosting;

/// <summary>
/// HTTPS for the console and REST, and the mutual-TLS endpoint for machine clients. Plain HTTP stays
/// the default (on localhost, for trying it); as soon as any endpoint is HTTPS, plain HTTP requests are
/// redirected, HSTS is sent and the sign-in and anti-forgery cookies are <c>Secure</c>.
/// </summary>
internal static class TlsSetup
{
    public static IServiceCollection AddConsoleTls(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TlsOptions>().BindConfiguration(TlsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TlsOptions>, TlsOptionsValidator>();
        services.AddSingleton<ServerCertificate>();
        services.AddSingleton<ClientCertificateTrust>();
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, ClientCertificateAuthenticationHandler>(ClientCertificateAuthenticationHandler.SchemeName, null);
        services.AddConsoleForwardedHeaders();

        services.AddOptions<KestrelServerOptions>().Configure<ServerCertificate, IOptions<TlsOptions>>((kestrel, server, tls) =>
        {
            if (server.Certificate is not { } certificate)
            {
                return;
            }

            // Every HTTPS endpoint (--urls, Kestrel:Endpoints without a certificate of their own) gets it.
            kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
            if (tls.Value.ClientCertificateUrl.Length > 0 && TlsOptionsValidator.TryParseEndpoint(tls.Value.ClientCertificateUrl, out var endPoint))
            {
                // An endpoint set up in code makes Kestrel drop --urls (it logs "Overriding address(es)"), so they are bound here too.
                if (!configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
                {
                    foreach (string url in ServerCertificate.Urls(configuration))
                    {
                        Listen(kestrel, BindingAddress.Parse(url));
                    }
                }

                kestrel.Listen(endPoint, listen => listen.UseHttps(https =>
                {
                    https.ServerCertificate = certificate;
                    https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                    // Checked by ClientCertificateAuthenticationHandler, which answers 401 and logs why.
                    https.AllowAnyClientCertificate();
                }));
            }
        });

        if (ServerCertificate.IsHttpsRequested(configuration))
        {
            services.PostConfigure<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme, o => o.Cookie.SecurePolicy = CookieSecurePolicy.Always);
            services.Configure<AntiforgeryOptions>(o => o.Cookie.SecurePolicy = CookieSecurePolicy.Always);
            services.AddHsts(_ => { }); // the framework's 30 days; localhost is left out
            services.AddHttpsRedirection(o =>
            {
                o.RedirectStatusCode = StatusCodes.Status308PermanentRedirect;
                // With a fixed port it is known now; with port 0 (tests) the middleware finds the bound one.
                var ports = ServerCertificate.HttpsUrls(configuration).Select(u => BindingPort(u)).Where(p => p > 0).Distinct().ToList();
                if (ports.Count == 1)
                {
                    o.HttpsPort = ports[0];
                }
            });
        }

        return services;
    }

    /// <summary>Forwarded headers first; then, with HTTPS on, HSTS and the redirection of plain HTTP.</summary>
    public static WebApplication UseConsoleTransportSecurity(this WebApplication app)
    {
        app.UseConsoleForwardedHeaders();
        if (ServerCertificate.IsHttpsRequested(app.Configuration))
        {
            app.UseHsts();
            app.UseHttpsRedirection();
        }

        return app;
    }

    /// <summary>Binds one <c>--urls</c> address as Kestrel would: localhost, an IP address, or every interface.</summary>
    private static void Listen(KestrelServerOptions kestrel, BindingAddress address)
    {
        Action<ListenOptions> configure = string.Equals(address.Scheme, "https", StringComparison.OrdinalIgnoreCase) ? listen => listen.UseHttps() : _ => { };
        if (string.Equals(address.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            kestrel.ListenLocalhost(address.Port, configure);
        }
        else if (System.Net.IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip))
        {
            kestrel.Listen(ip, address.Port, configure);
        }
        else
        {
            kestrel.ListenAnyIP(address.Port, configure);
        }
    }

    private static int BindingPort(string url)
    {
        int colon = url.LastIndexOf(':');
        return colon > "https://".Length && int.TryParse(url.AsSpan(colon + 1).TrimEnd('/'), out int port) ? port : 443;
    }
}
