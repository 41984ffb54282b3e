using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;
using OpsConsole.Console.Server.Security.Certificates;
using OpsConsole.Engine.Configuration;

namespace OpsConsole.Console.Server.Hosting;

/// <summary>
/// The data-protection key ring (it protects Blazor circuits, anti-forgery tokens and sign-in
/// cookies) lives under <c>Storage:Path/keys/data-protection</c>, owner-only, next to the rest of
/// the console's state, instead of the service account's home folder. With an HTTPS certificate of
/// the operator's own (<c>Kestrel:Certificates:Default</c>, RSA) the keys are encrypted with it at rest.
/// </summary>
internal static partial class DataProtectionSetup
{
    public const string Folder = "keys/data-protection";

    public static IServiceCollection AddConsoleDataProtection(this IServiceCollection services, IConfiguration configuration)
    {
        var protection = services.AddDataProtection().SetApplicationName("OpsConsole");
        bool encrypted = false;
        if (EncryptingCertificate(configuration) is { } certificate)
        {
            protection.ProtectKeysWithCertificate(certificate);
            encrypted = true;
        }
        else
        {
            // ASP.NET Core's own warning ("No XML encryptor configured…") says neither where nor what to do: the key ring's
            // repository says it instead, once, with the fix (OwnerOnlyFolderRepository).
            services.Configure<LoggerFilterOptions>(o => o.AddFilter(typeof(XmlKeyManager).FullName, LogLevel.Error));
        }

        services.AddOptions<KeyManagementOptions>().Configure<IOptions<StorageOptions>, ILoggerFactory>((options, storage, loggers) =>
        {
            var folder = new DirectoryInfo(Path.Combine(OptionPaths.Resolve(storage.Value.Path), Folder));
            options.XmlRepository = new OwnerOnlyFolderRepository(folder, loggers, encrypted);
        });
        return services;
    }

    /// <summary>
    /// The operator's certificate when it has an RSA key (XML encryption needs one); not the self-signed one,
    /// whose key lies next to the key ring. After a certificate change, keys made before it cannot be read:
    /// a new key is made and everyone signs in once more.
    /// </summary>
    private static X509Certificate2? EncryptingCertificate(IConfiguration configuration)
    {
        if (string.IsNullOrEmpty(configuration[ServerCertificate.PathKey]))
        {
            return null;
        }

        var certificate = ServerCertificate.LoadConfigured(configuration);
        using var rsa = certificate.GetRSAPublicKey();
        return rsa is null ? null : certificate;
    }

    /// <summary>
    /// The key ring's folder is created (owner-only) when the key ring is first read or written, when the host starts,
    /// not when the options are built: a start refused by the configuration check creates nothing.
    /// </summary>
    private sealed class OwnerOnlyFolderRepository(DirectoryInfo folder, ILoggerFactory loggers, bool encrypted) : IXmlRepository
    {
        private readonly Lazy<FileSystemXmlRepository> _inner = new(() =>
        {
            if (!encrypted)
            {
                var logger = loggers.CreateLogger(typeof(DataProtectionSetup).FullName!);
                string path = folder.FullName;
                LogUnencrypted(logger, path);
            }

            folder.Create();
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(folder.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                File.SetUnixFileMode(folder.Parent!.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            return new FileSystemXmlRepository(folder, loggers);
        });

        public IReadOnlyCollection<System.Xml.Linq.XElement> GetAllElements() => _inner.Value.GetAllElements();

        public void StoreElement(System.Xml.Linq.XElement element, string friendlyName) => _inner.Value.StoreElement(element, friendlyName);
    }

    [LoggerMessage(EventId = 6201, Level = LogLevel.Information,
        Message = "Data-protection keys (they protect sign-in cookies and page sessions) are kept unencrypted in {Folder}, readable by this account only. To encrypt them at rest, give an HTTPS certificate with an RSA key (Kestrel:Certificates:Default, see README 'HTTPS and mutual TLS'); nothing else to do otherwise")]
    private static partial void LogUnencrypted(ILogger logger, string folder);
}
