using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Topology;

namespace OpsConsole.Engine;

public static class EngineServiceCollectionExtensions
{
    /// <summary>The engine: validated options, the embedded store and the network in force.</summary>
    public static IServiceCollection AddEngine(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        AddValidated<HesOptions, HesOptionsValidator>(services, HesOptions.Section);
        AddValidated<SecurityOptions, SecurityOptionsValidator>(services, SecurityOptions.Section);
        AddValidated<TopologyOptions, TopologyOptionsValidator>(services, TopologyOptions.Section);
        AddValidated<StorageOptions, StorageOptionsValidator>(services, StorageOptions.Section);
        AddValidated<ValidationOptions, ValidationOptionsValidator>(services, ValidationOptions.Section);
        AddValidated<CorrelationOptions, CorrelationOptionsValidator>(services, CorrelationOptions.Section);

        services.AddSingleton<LiteStore>();
        services.AddSingleton<TopologyStore>();
        services.AddSingleton<TopologyState>();
        services.AddSingleton<Ingest.IngestStats>();
        services.AddHostedService<TopologyBootstrapper>();
        return services;
    }

    private static void AddValidated<TOptions, TValidator>(IServiceCollection services, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().BindConfiguration(section, o => o.ErrorOnUnknownConfiguration = false).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
    }
}
