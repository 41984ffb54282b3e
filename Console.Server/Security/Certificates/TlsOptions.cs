using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace OpsConsole.Console.Server.Security.Certificates;

/// <summary>
/// <c>Tls:*</c> — the mutual-TLS endpoint for machine clients (the MDMS). The server certificate itself
/// is Kestrel's own <c>Kestrel:Certificates:Default</c> (see <see cref="ServerCertificate"/>).
/// </summary>
public sealed class TlsOptions
{
    public const string Section = "Tls";

    /// <summary><c>https://0.0.0.0:8443</c>: an HTTPS endpoint that requires a client certificate. Empty: none.</summary>
    public string ClientCertificateUrl { get; set; } = "";

    /// <summary>PEM (or DER) file of the CA certificate(s) client certificates must chain to (the trust anchor).</summary>
    public string ClientCertificateAuthority { get; set; } = "";

    /// <summary>The client certificates allowed in, each by thumbprint or subject, with a role.</summary>
    public IList<ClientCertificateEntry> ClientCertificates { get; } = [];
}

/// <summary>One machine client: its certificate (SHA-256 or SHA-1 thumbprint, or exact subject) and its role.</summary>
public sealed class ClientCertificateEntry
{
    public string Thumbprint { get; set; } = "";

    public string Subject { get; set; } = "";

    public string Role { get; set; } = "";

    /// <summary>The thumbprint as upper-case hex without separators (<c>AB:CD…</c> and <c>ab cd…</c> are accepted).</summary>
    public string NormalizedThumbprint => new([.. Thumbprint.Where(c => c is not (':' or ' ')).Select(char.ToUpperInvariant)]);
}

internal sealed class TlsOptionsValidator : IValidateOptions<TlsOptions>
{
    public ValidateOptionsResult Validate(string? name, TlsOptions options)
    {
        var errors = new List<string>();
        if (options.ClientCertificateUrl.Length > 0 && !TryParseEndpoint(options.ClientCertificateUrl, out _))
        {
            errors.Add($"Tls:ClientCertificateUrl = '{options.ClientCertificateUrl}': must be https://<IP address, * or localhost>:<port>, e.g. https://0.0.0.0:8443");
        }

        if (options.ClientCertificateUrl.Length > 0 || options.ClientCertificates.Count > 0)
        {
            if (options.ClientCertificateAuthority.Length == 0)
            {
                errors.Add("Tls:ClientCertificateAuthority: required with a client-certificate endpoint (the CA file client certificates must chain to)");
            }
            else if (LoadAuthority(options.ClientCertificateAuthority) is { Error: { } error })
            {
                errors.Add(error);
            }
        }

        for (int i = 0; i < options.ClientCertificates.Count; i++)
        {
            var entry = options.ClientCertificates[i];
            string thumbprint = entry.NormalizedThumbprint;
            if (entry.Thumbprint.Length == 0 && entry.Subject.Length == 0)
            {
                errors.Add($"Tls:ClientCertificates:{i}: needs a Thumbprint or a Subject");
            }
            else if (entry.Thumbprint.Length > 0 && entry.Subject.Length > 0)
            {
                errors.Add($"Tls:ClientCertificates:{i}: give a Thumbprint or a Subject, not both");
            }
            else if (entry.Thumbprint.Length > 0 && (thumbprint.Length is not (40 or 64) || !thumbprint.All(char.IsAsciiHexDigit)))
            {
                errors.Add($"Tls:ClientCertificates:{i}:Thumbprint = '{entry.Thumbprint}': must be a SHA-256 (64 hex digits) or SHA-1 (40 hex digits) thumbprint");
            }

            if (!Roles.IsKnown(entry.Role))
            {
                errors.Add($"Tls:ClientCertificates:{i}:Role = '{entry.Role}': must be '{Roles.Dispatcher}' or '{Roles.Admin}'");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>The address to listen on for <c>https://host:port</c>; host <c>*</c>, <c>+</c> or <c>0.0.0.0</c> is every interface.</summary>
    public static bool TryParseEndpoint(string url, out IPEndPoint endPoint)
    {
        endPoint = null!;
        string host = url.StartsWith("https://*:", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://+:", StringComparison.OrdinalIgnoreCase)
            ? "0.0.0.0" : "";
        string normalized = host.Length > 0 ? "https://0.0.0.0" + url[9..] : url;
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps
            || uri.AbsolutePath != "/" || uri.Query.Length > 0)
        {
            return false;
        }

        IPAddress? address = uri.IsLoopback && uri.HostNameType == UriHostNameType.Dns ? IPAddress.Loopback
            : IPAddress.TryParse(uri.Host.Trim('[', ']'), out var parsed) ? parsed : null;
        if (address is null)
        {
            return false;
        }

        endPoint = new IPEndPoint(address, uri.Port);
        return true;
    }

    /// <summary>The CA certificates in <paramref name="path"/>, or an error naming the key.</summary>
    public static (X509Certificate2Collection? Certificates, string? Error) LoadAuthority(string path)
    {
        string full = OpsConsole.Engine.Configuration.OptionPaths.Resolve(path);
        try
        {
            var certificates = new X509Certificate2Collection();
            string text = File.ReadAllText(full);
            if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            {
                certificates.ImportFromPem(text);
            }
            else
            {
                certificates.Add(X509CertificateLoader.LoadCertificateFromFile(full));
            }

            return certificates.Count == 0
                ? (null, $"Tls:ClientCertificateAuthority = '{path}': no certificate in the file")
                : (certificates, null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            return (null, $"Tls:ClientCertificateAuthority = '{path}': cannot be read as a PEM or DER certificate ({ex.Message})");
        }
    }
}
