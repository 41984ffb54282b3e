using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;

namespace OpsConsole.Console.Server.Security.Certificates;

/// <summary>
/// The certificate of every HTTPS endpoint: Kestrel's own <c>Kestrel:Certificates:Default</c> (PEM
/// certificate + key, or a PFX with its password), checked at start with errors naming the key; or,
/// when HTTPS is asked for and none is configured, a self-signed one created on first start under
/// <c>Storage:Path/keys/tls</c> (folder 0700, files 0600) and reused after.
/// </summary>
public sealed partial class ServerCertificate
{
    public const string PathKey = "Kestrel:Certificates:Default:Path";
    public const string KeyPathKey = "Kestrel:Certificates:Default:KeyPath";
    public const string PasswordKey = "Kestrel:Certificates:Default:Password";
    public const string Folder = "keys/tls";
    public const string CertificateFileName = "server.crt";
    public const string KeyFileName = "server.key";

    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerAll = OwnerReadWrite | UnixFileMode.UserExecute;

    private readonly IConfiguration _configuration;
    private readonly IOptions<StorageOptions> _storage;
    private readonly TimeProvider _time;
    private readonly ILogger<ServerCertificate> _logger;
    private readonly Lazy<X509Certificate2?> _certificate;

    public ServerCertificate(IConfiguration configuration, IOptions<StorageOptions> storage, TimeProvider time, ILogger<ServerCertificate> logger)
    {
        _configuration = configuration;
        _storage = storage;
        _time = time;
        _logger = logger;
        _certificate = new(Load);
    }

    /// <summary>Whether <c>Kestrel:Certificates:Default:Path</c> names a certificate (the operator's own).</summary>
    public bool IsConfigured => !string.IsNullOrEmpty(_configuration[PathKey]);

    /// <summary>The server certificate, or null when nothing is served over HTTPS. Loaded (or created) once.</summary>
    /// <exception cref="StartupException">The configured certificate cannot be used; the message names the key.</exception>
    public X509Certificate2? Certificate => _certificate.Value;

    /// <summary>The SHA-256 fingerprint as <c>AB:CD:…</c>, as browsers and <c>openssl x509 -fingerprint -sha256</c> show it.</summary>
    public static string Fingerprint(X509Certificate2 certificate) =>
        string.Join(':', certificate.GetCertHashString(HashAlgorithmName.SHA256).Chunk(2).Select(c => new string(c)));

    /// <summary>
    /// Whether the console itself is served over HTTPS: an <c>https://</c> address in <c>--urls</c> /
    /// <c>ASPNETCORE_URLS</c>, <c>https_ports</c>, or a <c>Kestrel:Endpoints</c> entry (then plain HTTP is
    /// redirected, HSTS sent, cookies Secure).
    /// </summary>
    public static bool IsHttpsRequested(IConfiguration configuration) =>
        HttpsUrls(configuration).Any() || !string.IsNullOrEmpty(configuration["https_ports"]);

    /// <summary>Whether a server certificate is needed: HTTPS for the console, or the client-certificate endpoint.</summary>
    public static bool IsCertificateNeeded(IConfiguration configuration) =>
        IsHttpsRequested(configuration) || !string.IsNullOrEmpty(configuration[TlsOptions.Section + ":" + nameof(TlsOptions.ClientCertificateUrl)]);

    /// <summary>The <c>--urls</c> / <c>ASPNETCORE_URLS</c> addresses.</summary>
    public static IReadOnlyList<string> Urls(IConfiguration configuration) =>
        (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The configured <c>https://</c> addresses of the console itself (not the client-certificate endpoint).</summary>
    public static IEnumerable<string> HttpsUrls(IConfiguration configuration)
    {
        var endpoints = configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"] ?? "").ToList();
        var urls = endpoints.Count > 0 ? endpoints : Urls(configuration);
        return urls.Where(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
    }

    private X509Certificate2? Load()
    {
        if (IsConfigured)
        {
            var certificate = LoadConfigured(_configuration);
            if (certificate.NotAfter.ToUniversalTime() < _time.GetUtcNow().UtcDateTime)
            {
                LogConfiguredExpired(_logger, certificate.Subject, certificate.NotAfter);
            }

            string fingerprint = Fingerprint(certificate);
            LogConfigured(_logger, certificate.Subject, fingerprint, certificate.NotAfter);
            return certificate;
        }

        if (!string.IsNullOrEmpty(_configuration["Kestrel:Certificates:Default:Subject"]))
        {
            throw new StartupException("Kestrel:Certificates:Default:Subject: certificate stores are not supported; give the certificate as files (Kestrel:Certificates:Default:Path and :KeyPath, or a PFX and :Password)");
        }

        return IsCertificateNeeded(_configuration) ? LoadOrCreateSelfSigned() : null;
    }

    /// <summary>The operator's certificate (<c>Kestrel:Certificates:Default</c>).</summary>
    /// <exception cref="StartupException">It cannot be used; the message names the key.</exception>
    public static X509Certificate2 LoadConfigured(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string path = configuration[PathKey]!;
        string keyPath = configuration[KeyPathKey] ?? "";
        string? password = configuration[PasswordKey];
        RequireReadableFile(PathKey, path);
        if (keyPath.Length > 0)
        {
            RequireReadableFile(KeyPathKey, keyPath);
        }

        bool pkcs12 = keyPath.Length == 0 && !File.ReadAllText(path).Contains("-----BEGIN", StringComparison.Ordinal);
        X509Certificate2 certificate;
        try
        {
            certificate = pkcs12
                ? X509CertificateLoader.LoadPkcs12FromFile(path, password)
                : string.IsNullOrEmpty(password)
                    ? X509Certificate2.CreateFromPemFile(path, keyPath.Length > 0 ? keyPath : null)
                    : X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath.Length > 0 ? keyPath : null);
        }
        catch (CryptographicException ex) when (pkcs12 || !string.IsNullOrEmpty(password))
        {
            throw new StartupException($"{PasswordKey}: wrong password for '{path}', or the file is not a {(pkcs12 ? "PKCS#12 (PFX)" : "PEM")} certificate (password not shown): {ex.Message}");
        }
        catch (CryptographicException ex)
        {
            throw new StartupException($"{(keyPath.Length > 0 ? KeyPathKey + " = '" + keyPath : PathKey + " = '" + path)}': no usable certificate and private key: {ex.Message}");
        }
        catch (ArgumentException ex)
        {
            throw new StartupException($"{(keyPath.Length > 0 ? KeyPathKey + " = '" + keyPath : PathKey + " = '" + path)}': no usable certificate and private key: {ex.Message}");
        }

        if (!certificate.HasPrivateKey)
        {
            throw new StartupException($"{PathKey} = '{path}': the certificate has no private key (give {KeyPathKey}, or a PFX holding the key)");
        }

        return certificate;
    }

    /// <summary>Paths must be absolute: Kestrel reads relative ones from the binaries' folder, the console from the current one.</summary>
    private static void RequireReadableFile(string key, string path)
    {
        if (!Path.IsPathFullyQualified(path))
        {
            throw new StartupException($"{key} = '{path}': give an absolute path");
        }

        if (!File.Exists(path))
        {
            throw new StartupException($"{key} = '{path}': file not found");
        }

        try
        {
            using var _ = File.OpenRead(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"{key} = '{path}': cannot be read ({ex.Message})");
        }
    }

    private X509Certificate2 LoadOrCreateSelfSigned()
    {
        var folder = new DirectoryInfo(Path.Combine(OptionPaths.Resolve(_storage.Value.Path), Folder));
        string certificateFile = Path.Combine(folder.FullName, CertificateFileName);
        string keyFile = Path.Combine(folder.FullName, KeyFileName);
        try
        {
            folder.Create();
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(folder.FullName, OwnerAll);
                File.SetUnixFileMode(folder.Parent!.FullName, OwnerAll); // keys/
            }

            if (File.Exists(certificateFile) && File.Exists(keyFile))
            {
                if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(keyFile) & ~OwnerReadWrite) != 0)
                {
                    throw new StartupException($"Storage:Path: the self-signed certificate's key '{keyFile}' is readable by others; chmod 600 it or delete it to make a new one");
                }

                var existing = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
                if (existing.NotAfter.ToUniversalTime() > _time.GetUtcNow().UtcDateTime)
                {
                    string reused = Fingerprint(existing);
                    LogSelfSigned(_logger, "Reusing", certificateFile, reused, existing.NotAfter);
                    return existing;
                }
            }

            var created = CreateSelfSigned(_time.GetUtcNow());
            WriteOwnerOnly(keyFile, created.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
            WriteOwnerOnly(certificateFile, created.ExportCertificatePem());
            string fingerprint = Fingerprint(created);
            LogSelfSigned(_logger, "Created", certificateFile, fingerprint, created.NotAfter);
            return X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new StartupException($"Storage:Path = '{_storage.Value.Path}': cannot create or read the self-signed HTTPS certificate in '{folder.FullName}' ({ex.Message})", ex);
        }
    }

    /// <summary>RSA 2048 (the data-protection key ring can be encrypted with it), for localhost and this machine, two years.</summary>
    public static X509Certificate2 CreateSelfSigned(DateTimeOffset now)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={Dns.GetHostName()}, O=OpsConsole self-signed", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName(Dns.GetHostName());
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(2));
    }

    /// <summary>Written to a new file created 0600 by the open call itself, then renamed into place.</summary>
    private static void WriteOwnerOnly(string path, string text)
    {
        string temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerReadWrite;
        }

        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning,
        Message = "HTTPS: {Action} the self-signed certificate {File}, SHA-256 fingerprint {Fingerprint}, valid until {NotAfter:u}. Browsers will warn until it is trusted; compare this fingerprint with the one they show.")]
    private static partial void LogSelfSigned(ILogger logger, string action, string file, string fingerprint, DateTime notAfter);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "HTTPS: certificate {Subject}, SHA-256 fingerprint {Fingerprint}, valid until {NotAfter:u}")]
    private static partial void LogConfigured(ILogger logger, string subject, string fingerprint, DateTime notAfter);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "HTTPS: the certificate {Subject} expired on {NotAfter:u}; clients will refuse it")]
    private static partial void LogConfiguredExpired(ILogger logger, string subject, DateTime notAfter);
}
