using OpsConsole.Engine.Application.Topology;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Hosting;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Ingest.Processing;
using OpsConsole.Engine.Security;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.LiteDb;
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
        AddValidated<RetentionOptions, RetentionOptionsValidator>(services, RetentionOptions.Section);
        AddValidated<MeterClientOptions, MeterClientOptionsValidator>(services, MeterClientOptions.Section);
        AddValidated<VerificationOptions, VerificationOptionsValidator>(services, VerificationOptions.Section);

        // The folder's lock first: nothing opens the database or the journal while another process holds it.
        services.AddSingleton(sp => DataFolderLock.Acquire(OptionPaths.Resolve(sp.GetRequiredService<IOptions<StorageOptions>>().Value.Path)));
        services.AddLiteDbStorage(); // every storage interface (Engine/Storage); LiteDB is the embedded default
        services.AddSingleton<TopologyState>();
        services.AddSingleton<TopologyImporter>();
        services.AddSingleton<ValidatedNetworkFile>();
        services.AddSingleton<Ingest.IngestStats>();
        // Hosted services start in registration order: the network is in force before the
        // listener takes its first datagram (a meter is unknown until its network is loaded).
        services.AddSingleton(sp =>
        {
            var hes = sp.GetRequiredService<IOptions<HesOptions>>().Value;
            var validation = sp.GetRequiredService<IOptions<ValidationOptions>>().Value;
            var correlation = sp.GetRequiredService<IOptions<CorrelationOptions>>().Value;
            return new StartupWarmup(
                hes.WarmupMs > 0 ? () => IngestWarmup.RunAsync(validation, TimeSpan.FromMilliseconds(hes.WarmupMs)) : null,
                correlation.WarmupMs > 0 ? () => CorrelationWarmup.Run(correlation, TimeSpan.FromMilliseconds(correlation.WarmupMs)) : null);
        });
        services.AddHostedService(sp => new StartEarly(sp.GetRequiredService<StartupWarmup>().Begin)); // first: the warm-ups run beside the network's load
        services.AddHostedService(sp => new StartEarly(sp.GetRequiredService<CorrelationService>().BeginCheckpointRead)); // and so does the checkpoint's read
        services.AddHostedService<TopologyBootstrapper>();
        services.AddIngest();
        services.AddCorrelation(); // after the ingest: its start recovers the event store the replay reads
        services.AddSingleton<IngestTotals>();
        services.AddHostedService(sp => sp.GetRequiredService<IngestTotals>());
        services.AddSingleton<StorageRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<StorageRetention>()); // after the replay's start: deletes by age, daily
        return services;
    }

    /// <summary>The CoAP/UDP listener and what it writes to: keys, journal, event store, log.</summary>
    private static void AddIngest(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            // Created owner-only on first start; never logged. The cache keeps its own copy.
            var master = MasterKeyFile.LoadOrCreate(sp.GetRequiredService<MasterKeyLocation>().Path);
            try
            {
                return new MeterKeyCache(master);
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(master);
            }
        });
        services.AddSingleton(sp =>
        {
            // Which file and why, logged once at start (MasterKeyLocation).
            var location = MasterKeyLocation.Resolve(sp.GetRequiredService<IOptions<SecurityOptions>>().Value.MasterKeyFile,
                sp.GetRequiredService<IOptions<StorageOptions>>().Value.Path, Environment.CurrentDirectory);
            location.Log(sp.GetService<ILoggerFactory>()?.CreateLogger<MasterKeyLocation>() ?? NullLogger<MasterKeyLocation>.Instance);
            return location;
        });
        services.AddSingleton(sp =>
        {
            _ = sp.GetRequiredService<DataFolderLock>();
            return new EventJournal(EventJournal.FolderUnder(OptionPaths.Resolve(sp.GetRequiredService<IOptions<StorageOptions>>().Value.Path)));
        });
        services.AddSingleton<Storage.Backup.BackupService>();
        services.AddSingleton<EventStore>();
        services.AddSingleton<EventProcessorLog>();
        services.AddSingleton<IngestContextFactory>();
        services.AddSingleton<IngestTelemetry>();
        services.AddSingleton<EventIndexer>();
        services.AddSingleton<JournalWriter>();
        services.AddSingleton<UdpIngestService>();
        services.AddSingleton<Ami.MeterClient>(); // its own socket, opened on first use (wire-format.md §6)
        services.AddHostedService(sp => sp.GetRequiredService<UdpIngestService>()); // after the network is loaded
    }

    /// <summary>The correlation engine on its own loop, fed by the ingest, read through <see cref="IOutageFeed"/>.</summary>
    private static void AddCorrelation(this IServiceCollection services)
    {
        services.AddSingleton<CorrelationService>();
        services.AddSingleton<IAcceptedEventSink>(sp => sp.GetRequiredService<CorrelationService>());
        services.AddSingleton<IOutageFeed>(sp => sp.GetRequiredService<CorrelationService>());
        services.AddHostedService(sp => sp.GetRequiredService<CorrelationService>());
        services.AddSingleton<CorrelationTelemetry>();
        services.AddHostedService(sp => sp.GetRequiredService<CorrelationTelemetry>()); // so its instruments exist from the start
    }

    private static void AddValidated<TOptions, TValidator>(IServiceCollection services, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().BindConfiguration(section, o => o.ErrorOnUnknownConfiguration = false).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
    }
}
