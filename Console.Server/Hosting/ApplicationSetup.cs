using OpsConsole.Console.Server.Security;
using OpsConsole.Console.Server.Security.Users;
using OpsConsole.Engine.Application;
using OpsConsole.Engine.Application.Users;

namespace OpsConsole.Console.Server.Hosting;

public static class ApplicationSetup
{
    /// <summary>
    /// The application layer (Engine/Application) every front door calls, with the host's ports: the audit log and
    /// the user store behind <see cref="IAuditTrail"/> and <see cref="IUserAccounts"/>, and the caller's
    /// <see cref="Actor"/> from its claims (<see cref="ActorResolver"/>).
    /// </summary>
    public static IServiceCollection AddConsoleApplication(this IServiceCollection services)
    {
        services.AddEngineApplication();
        services.AddSingleton<IAuditTrail, AuditTrail>();
        services.AddSingleton<IUserAccounts, UserAccounts>();
        services.AddSingleton<ActorResolver>();
        return services;
    }
}
