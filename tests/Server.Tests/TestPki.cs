using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace OpsConsole.Server.Tests;

/// <summary>
/// Certificates made in the test: a CA (the trust anchor, like the manual's meter_root.crt), a server
/// certificate it signs for 127.0.0.1/localhost, client certificates it signs, and a second CA nobody trusts.
/// </summary>
internal sealed class TestPki : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    public TestPki(string folder)
    {
        var now = DateTimeOffset.UtcNow;
        Ca = CreateCa("CN=OpsConsole Test Root", now);
        OtherCa = CreateCa("CN=Someone Else's Root", now);
        Server = Issue(Ca, "CN=opsconsole.test", now.AddDays(-1), now.AddDays(30), ServerAuth, rsa: true, server: true);
        CaFile = Path.Combine(folder, "meter_root.crt");
        File.WriteAllText(CaFile, Ca.ExportCertificatePem());
        ServerCertificateFile = Path.Combine(folder, "server.crt");
        ServerKeyFile = Path.Combine(folder, "server.key");
        File.WriteAllText(ServerCertificateFile, Server.ExportCertificatePem());
        File.WriteAllText(ServerKeyFile, Server.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 OtherCa { get; }

    public X509Certificate2 Server { get; }

    public string CaFile { get; }

    public string ServerCertificateFile { get; }

    public string ServerKeyFile { get; }

    /// <summary>A client certificate signed by <paramref name="issuer"/> (the test CA by default), valid from/to the given days from now.</summary>
    public X509Certificate2 Client(string subject, X509Certificate2? issuer = null, int fromDays = -1, int toDays = 30)
    {
        var now = DateTimeOffset.UtcNow;
        return Issue(issuer ?? Ca, subject, now.AddDays(fromDays), now.AddDays(toDays), ClientAuth, rsa: false, server: false);
    }

    public static string Sha256(X509Certificate2 certificate) => certificate.GetCertHashString(HashAlgorithmName.SHA256);

    /// <summary>An HTTPS client presenting <paramref name="clientCertificate"/> (if any) that trusts only a server certificate chaining to <paramref name="trusted"/>.</summary>
    public static SocketsHttpHandler Handler(X509Certificate2 trusted, X509Certificate2? clientCertificate = null, Action<X509Certificate2>? seen = null)
    {
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (certificate is null)
            {
                return false;
            }

            var server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            seen?.Invoke(server);
            if (trusted.SubjectName.RawData.AsSpan().SequenceEqual(server.SubjectName.RawData) && trusted.RawData.AsSpan().SequenceEqual(server.RawData))
            {
                return true; // pinned: the server's own self-signed certificate
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(trusted);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(server) && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None;
        };
        if (clientCertificate is not null)
        {
            // Presented whatever CA names the server lists (the wrong-CA case must reach the server).
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }

        return handler;
    }

    private static X509Certificate2 CreateCa(string subject, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now.AddDays(-10), now.AddYears(5));
    }

    private static X509Certificate2 Issue(X509Certificate2 issuer, string subject, DateTimeOffset from, DateTimeOffset to, Oid usage, bool rsa, bool server)
    {
        using AsymmetricAlgorithm key = rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = key is RSA r
            ? new CertificateRequest(subject, r, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, (ECDsa)key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            names.AddDnsName("opsconsole.test");
            request.CertificateExtensions.Add(names.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var issuerKey = issuer.GetECDsaPrivateKey()!;
        using var signed = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), from, to, serial);
        return key is RSA rsaKey ? signed.CopyWithPrivateKey(rsaKey) : signed.CopyWithPrivateKey((ECDsa)key);
    }

    public void Dispose()
    {
        Ca.Dispose();
        OtherCa.Dispose();
        Server.Dispose();
    }
}

/// <summary>Keeps every log line of a host, for tests that check what is logged.</summary>
internal sealed class LogLines : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string Message)> _lines = new();

    public IReadOnlyCollection<(string Category, LogLevel Level, string Message)> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogLines owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue((category, logLevel, formatter(state, exception)));
    }
}
