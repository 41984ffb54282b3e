using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace OpsConsole.Console.Server.Security.Certificates;

/// <summary>
/// Decides whether a client certificate gets in: valid now, chaining to the configured CA only
/// (<c>Tls:ClientCertificateAuthority</c>, a custom trust store: the machine's CAs are not trusted
/// for this), usable for client authentication, and listed in <c>Tls:ClientCertificates</c>, which
/// gives its role. Revocation is by removal from the list (no CRL or OCSP is fetched: a control-room
/// network may reach neither).
/// </summary>
public sealed class ClientCertificateTrust
{
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    private readonly IOptionsMonitor<TlsOptions> _options;
    private readonly TimeProvider _time;
    private readonly Lazy<X509Certificate2Collection> _authority;

    public ClientCertificateTrust(IOptionsMonitor<TlsOptions> options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _authority = new(() => TlsOptionsValidator.LoadAuthority(options.CurrentValue.ClientCertificateAuthority).Certificates ?? []);
    }

    /// <summary>The role and SHA-256 thumbprint (lower-case hex) of an accepted certificate, or why it is refused.</summary>
    public (string Role, string Thumbprint)? Check(X509Certificate2 certificate, out string refusal)
    {
        refusal = "";
        var now = _time.GetUtcNow().UtcDateTime;
        if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
        {
            refusal = $"outside its validity ({certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u})";
            return null;
        }

        if (_authority.Value.Count == 0)
        {
            refusal = "no trust anchor configured (Tls:ClientCertificateAuthority)";
            return null;
        }

        using (var chain = new X509Chain())
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(_authority.Value);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = now;
            chain.ChainPolicy.VerificationTimeIgnored = false;
            chain.ChainPolicy.ApplicationPolicy.Add(ClientAuthentication);
            if (!chain.Build(certificate))
            {
                refusal = "does not chain to Tls:ClientCertificateAuthority: "
                    + string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
                return null;
            }
        }

        string sha256 = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        string sha1 = certificate.Thumbprint;
        foreach (var entry in _options.CurrentValue.ClientCertificates)
        {
            bool listed = entry.Thumbprint.Length > 0
                ? entry.NormalizedThumbprint is { } t && (t.Equals(sha256, StringComparison.OrdinalIgnoreCase) || t.Equals(sha1, StringComparison.OrdinalIgnoreCase))
                : entry.Subject.Length > 0 && SameName(entry.Subject, certificate.SubjectName);
            if (listed)
            {
                return (entry.Role, sha256.ToLowerInvariant());
            }
        }

        refusal = "not listed in Tls:ClientCertificates";
        return null;
    }

    private static bool SameName(string configured, X500DistinguishedName subject)
    {
        try
        {
            return new X500DistinguishedName(configured).Format(false) == subject.Format(false);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
