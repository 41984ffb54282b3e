using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Engine.Application.Power;
using OpsConsole.Engine.Application.Meters;
using OpsConsole.Engine.Application.Outages;
using OpsConsole.Engine.Application.Push;
using OpsConsole.Engine.Application.Topology;
using OpsConsole.Engine.Application.Users;

namespace OpsConsole.Engine.Application;

public static class ApplicationServiceCollectionExtensions
{
    /// <summary>
    /// The commands and queries every front door calls, and the one push path. The host supplies the ports:
    /// <see cref="IAuditTrail"/> and <see cref="IUserAccounts"/>.
    /// </summary>
    public static IServiceCollection AddEngineApplication(this IServiceCollection services)
    {
        services.AddSingleton<CommandGuard>();
        services.AddSingleton<OutageVerifier>();
        services.AddSingleton<OutageCommands>();
        services.AddSingleton<OutageQueries>();
        services.AddSingleton<MeterCommands>();
        services.AddSingleton(sp => new LastGaspIndex(sp.GetRequiredService<Storage.Events.EventStore>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<MeterQueries>();
        services.AddSingleton<PowerStatusQueries>();
        services.AddSingleton<TopologyCommands>();
        services.AddSingleton<UserCommands>();
        services.AddSingleton<OutageUpdates>();
        services.AddSingleton<OutageVerificationService>(); // verification in the background (Verification:*), off the correlation loop
        services.AddHostedService(sp => sp.GetRequiredService<OutageVerificationService>());
        services.AddHostedService<NestedCrewAudit>(); // a nested outage taking its parent's crew, audited as the system
        return services;
    }
}
