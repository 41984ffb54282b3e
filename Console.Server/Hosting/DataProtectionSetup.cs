using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;

namespace OpsConsole.Console.Server.Hosting;

/// <summary>
/// The data-protection key ring (it protects Blazor circuits, anti-forgery tokens and sign-in
/// cookies) lives under <c>Storage:Path/keys/data-protection</c>, owner-only, next to the rest of
/// the console's state, instead of the service account's home folder.
/// </summary>
internal static class DataProtectionSetup
{
    public const string Folder = "keys/data-protection";

    public static IServiceCollection AddConsoleDataProtection(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("OpsConsole");
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
}
