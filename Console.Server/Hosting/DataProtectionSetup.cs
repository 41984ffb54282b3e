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
internal static class DataProtectionSetup
{
    public const string Folder = "keys/data-protection";

    public static IServiceCollection AddConsoleDataProtection(this IServiceCollection services, IConfiguration configuration)
    {
        var protection = services.AddDataProtection().SetApplicationName("OpsConsole");
        if (EncryptingCertificate(configuration) is { } certificate)
        {
            protection.ProtectKeysWithCertificate(certificate);
        }

        services.AddOptions<KeyManagementOptions>().Configure<IOptions<StorageOptions>, ILoggerFactory>((options, storage, loggers) =>
        {
            var folder = new DirectoryInfo(Path.Combine(OptionPaths.Resolve(storage.Value.Path), Folder));
            folder.Create();
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(folder.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                File.SetUnixFileMode(folder.Parent!.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            options.XmlRepository = new FileSystemXmlRepository(folder, loggers);
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
}
