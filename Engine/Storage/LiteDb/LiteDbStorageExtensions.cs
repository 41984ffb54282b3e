using Microsoft.Extensions.DependencyInjection;

namespace OpsConsole.Engine.Storage.LiteDb;

public static class LiteDbStorageExtensions
{
    /// <summary>Every storage interface on the embedded LiteDB file under <c>Storage:Path</c> (the default backend).</summary>
    public static IServiceCollection AddLiteDbStorage(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            _ = sp.GetService<DataFolderLock>(); // held first when registered: no second process opens the file
            return ActivatorUtilities.CreateInstance<LiteStore>(sp);
        });
        services.AddSingleton<IStorageEngine>(sp => sp.GetRequiredService<LiteStore>());
        services.AddSingleton<IEventStore, LiteEventStore>();
        services.AddSingleton<IOperatorActionStore, LiteOperatorActionStore>();
        services.AddSingleton<IAuditStore, LiteAuditStore>();
        services.AddSingleton<IOutageStore, LiteDbOutageStore>();
        services.AddSingleton<ICheckpointStore, LiteDbCheckpointStore>();
        services.AddSingleton<IUserAccountStore, LiteUserAccountStore>();
        services.AddSingleton<IRevokedSessionStore, LiteRevokedSessionStore>();
        services.AddSingleton<ITopologyStore, LiteTopologyStore>();
        services.AddSingleton<ICounterStore, LiteCounterStore>();
        services.AddSingleton<IMeterLinkStore, LiteMeterLinkStore>();
        return services;
    }
}
