using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace OpsConsole.Console.Server.Security;

/// <summary>
/// The <c>X-Api-Key</c> scheme of api.md. Keys are compared in constant time against SHA-256
/// digests held in memory; a key never appears in a log line or a response. A refused key is logged with the
/// remote address and the first 4 hex digits of its SHA-256 (to tell a typo from a scan), at most once a minute
/// per address (<see cref="LogThrottle"/>), with the count of those held back.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyRegistry registry,
    ApiKeyFailureLog failures) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(HeaderName, out var values) || values.Count == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (values.Count != 1 || registry.Find(values[0]) is not { } role)
        {
            failures.Refused(Context, values.Count == 1 ? values[0] : string.Join(',', values.ToArray()));
            return Task.FromResult(AuthenticateResult.Fail("invalid API key"));
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, ActorName(role.Role, role.Fingerprint)), new Claim(ClaimTypes.Role, role.Role)],
            SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    /// <summary>
    /// The user name of a machine client, recorded as the actor of what it does (outage history, operator actions):
    /// <c>api-key:&lt;role&gt;:&lt;first 4 hex digits of the key's SHA-256&gt;</c>; tells the keys apart, never reveals one.
    /// </summary>
    public static string ActorName(string role, string fingerprint)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        return $"api-key:{role}:{fingerprint[..Math.Min(4, fingerprint.Length)]}";
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = HeaderName;
        return Task.CompletedTask;
    }
}

/// <summary>The log of refused API keys (see <see cref="ApiKeyAuthenticationHandler"/>): throttled per remote address, never the key.</summary>
public sealed partial class ApiKeyFailureLog(LogThrottle throttle, ILogger<ApiKeyFailureLog> logger, WebTelemetry telemetry)
{
    public void Refused(HttpContext context, string? presented)
    {
        ArgumentNullException.ThrowIfNull(context);
        telemetry.ApiKeyRefused();
        string remote = context.Connection.RemoteIpAddress?.ToString() ?? "";
        if (!throttle.ShouldLog("api-key\n" + remote, out int suppressed))
        {
            return;
        }

        string prefix = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(presented ?? "")).AsSpan(0, 2));
        LogRefused(logger, prefix, remote, suppressed);
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning,
        Message = "Refused an API key (SHA-256 {KeyHashPrefix}…) from {RemoteAddress}; {Suppressed} more refusals from this address in the last minute were not logged")]
    private static partial void LogRefused(ILogger logger, string keyHashPrefix, string remoteAddress, int suppressed);
}

/// <summary>The configured keys, as digests; lookups take the same time whatever matches.</summary>
public sealed class ApiKeyRegistry
{
    private readonly (byte[] Digest, string Role, string Fingerprint)[] _keys;

    public ApiKeyRegistry(IOptions<ApiOptions> options)
    {
        _keys = [.. options.Value.Keys.Select(k =>
        {
            var digest = SHA256.HashData(Encoding.UTF8.GetBytes(k.Key));
            return (digest, k.Role, Convert.ToHexStringLower(digest.AsSpan(0, 4)));
        })];
    }

    /// <summary>The role of <paramref name="presented"/>, or null; every configured key is compared.</summary>
    public (string Role, string Fingerprint)? Find(string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return null;
        }

        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), digest);
        (string, string)? found = null;
        foreach (var (key, role, fingerprint) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(key, digest))
            {
                found = (role, fingerprint);
            }
        }

        return found;
    }
}
