using Microsoft.Extensions.Options;

namespace OpsConsole.Console.Server.Backup;

public static class BackupServiceCollectionExtensions
{
    /// <summary>Both doors of the backup: the REST call's administration and the command line's local socket.</summary>
    public static IServiceCollection AddConsoleBackup(this IServiceCollection services)
    {
        services.AddOptions<BackupOptions>().BindConfiguration(BackupOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BackupOptions>, BackupOptionsValidator>();
        services.AddSingleton<BackupAdministration>();
        services.AddSingleton<LocalAdminSocket>();
        services.AddHostedService(sp => sp.GetRequiredService<LocalAdminSocket>());
        return services;
    }
}
