using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace OpsConsole.Console.Client;

public static class ConsoleClientServiceCollectionExtensions
{
    /// <summary>The console's components and their UI services. The host supplies <see cref="Map.INetworkMapSource"/>.</summary>
    public static IServiceCollection AddConsoleClient(this IServiceCollection services)
    {
        services.AddMudServices();
        return services;
    }
}
