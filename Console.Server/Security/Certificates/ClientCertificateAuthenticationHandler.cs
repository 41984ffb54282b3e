using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace OpsConsole.Console.Server.Security.Certificates;

/// <summary>
/// Authenticates the TLS client certificate of the connection (the mutual-TLS endpoint,
/// <c>Tls:ClientCertificateUrl</c>) by <see cref="ClientCertificateTrust"/>. A refused certificate is a
/// 401 and a warning naming its subject, thumbprint, the reason and the remote address. The TLS layer
/// itself takes any certificate, so that every refusal gets here to be answered and logged.
/// </summary>
public sealed partial class ClientCertificateAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ClientCertificateTrust trust) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ClientCertificate";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Context.Connection.ClientCertificate is not { } certificate)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (trust.Check(certificate, out string refusal) is not { } accepted)
        {
            LogRefused(Logger, certificate.Subject, certificate.GetCertHashString(HashAlgorithmName.SHA256), refusal,
                Context.Connection.RemoteIpAddress?.ToString() ?? "");
            return Task.FromResult(AuthenticateResult.Fail("client certificate refused: " + refusal));
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, ActorName(accepted.Role, accepted.Thumbprint)), new Claim(ClaimTypes.Role, accepted.Role)],
            SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    /// <summary>
    /// The user name of a certificate client, recorded as the actor of what it does:
    /// <c>cert:&lt;role&gt;:&lt;first 8 hex digits of the certificate's SHA-256 thumbprint&gt;</c>.
    /// </summary>
    public static string ActorName(string role, string thumbprint)
    {
        ArgumentNullException.ThrowIfNull(thumbprint);
        return $"cert:{role}:{thumbprint[..Math.Min(8, thumbprint.Length)].ToLowerInvariant()}";
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning,
        Message = "Client certificate refused: subject {Subject}, SHA-256 thumbprint {Thumbprint}, reason: {Reason}, from {RemoteAddress}")]
    private static partial void LogRefused(ILogger logger, string subject, string thumbprint, string reason, string remoteAddress);
}
