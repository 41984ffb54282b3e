using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.Options;
using OpsConsole.Console.Client;
using OpsConsole.Console.Client.Map;
using OpsConsole.Console.Server.Api;
using OpsConsole.Console.Server.Backup;
using OpsConsole.Console.Server.Components;
using OpsConsole.Console.Server.Health;
using OpsConsole.Console.Server.Map;
using OpsConsole.Console.Server.Security;

namespace OpsConsole.Console.Server.Hosting;

public static class ConsoleServerExtensions
{
    /// <summary>The host's own services: the map adapter, health checks, Blazor Server.</summary>
    public static IServiceCollection AddConsoleServer(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MapOptions>().BindConfiguration(MapOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<MapOptions>, MapOptionsValidator>();
        services.AddSingleton<MbTilesBasemap>();
        services.AddSingleton<NetworkTiles>();
        services.AddSingleton<INetworkMapSource, TopologyMapSource>();
        services.AddSingleton<IUnmappedMeterCount, UnmappedMeterCountSource>();
        services.AddSingleton<OpsConsole.Console.Server.Outages.OutageBoardSource>();
        services.AddScoped<OpsConsole.Console.Client.Outages.IOutageBoardSource, OpsConsole.Console.Server.Outages.CircuitOutageBoardSource>();
        services.AddHostedService(sp => sp.GetRequiredService<OpsConsole.Console.Server.Outages.OutageBoardSource>());
        services.AddCascadingAuthenticationState();
        services.AddConsoleTls(configuration);
        services.AddConsoleDataProtection(configuration);
        services.AddConsoleSecurity();
        services.AddProblemDetails();
        services.AddExceptionHandler<RequestTooLarge>(); // 413 problem for a body found too long while read, not 500
        services.AddSingleton<OpsConsole.Console.Server.Topology.NetworkAdministration>();
        services.AddScoped<OpsConsole.Console.Client.Admin.INetworkAdministration, OpsConsole.Console.Server.Topology.CircuitNetworkAdministration>();
        services.AddScoped<OpsConsole.Console.Client.Admin.IUnmappedMeterQueue, OpsConsole.Console.Server.Meters.UnmappedMeterQueue>();
        services.AddScoped<OpsConsole.Console.Client.Admin.IMeterMuteAdministration, OpsConsole.Console.Server.Meters.CircuitMeterMuteAdministration>();
        services.AddHealthChecks().AddCheck<StoreHealthCheck>("store").AddCheck<ListenerHealthCheck>("listener").AddCheck<NetworkHealthCheck>("network").AddCheck<StorageHealthCheck>("storage");
        services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true;
            o.MimeTypes = ResponseCompressionDefaults.MimeTypes.Concat(["application/json"]);
        });
        services.AddSignalR();
        services.AddSingleton<OpsConsole.Console.Server.Hubs.HubListeners>();
        services.AddHostedService<OpsConsole.Console.Server.Hubs.OutageHubPublisher>();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddConsoleObservability(configuration);
        services.AddConsoleApplication();
        services.AddConsoleBackup();
        return services;
    }

    /// <summary>The request pipeline and endpoints.</summary>
    public static WebApplication UseConsoleServer(this WebApplication app)
    {
        app.UseConsoleTransportSecurity();
        app.UseSecurityHeaders();
        app.UseExceptionHandler();
        app.UseResponseCompression();
        app.UseStaticFiles(); // wwwroot (Leaflet, icon): public, served before routing so no endpoint (and no sign-in) is involved
        app.UseRouting();
        app.UseForbiddenPage();
        app.UseAuthentication();
        app.UseAuthorization();
        RequestTooLarge.UseRequestTooLarge(app); // after routing (it reads the endpoint's own limit) and sign-in: 413 problem for a declared length over the limit
        app.UseCrossSiteWriteGuard();
        app.UseRateLimiter();
        app.UsePasswordChangeGate();
        app.UseAntiforgery();
        // Everything needs a signed-in user or machine client (the fallback policy, AddConsoleSecurity) except these:
        app.MapStaticAssets().AllowAnonymous(); // scripts, styles, fonts: the sign-in page needs them
        app.MapHealthChecks("/healthz", HealthResponse.Options).AllowAnonymous();
        app.MapNetworkMap();
        MbTilesBasemap.MapBasemap(app);
        app.MapStatsApi();
        app.MapOutageApi();
        app.MapTopologyApi();
        app.MapAuditApi();
        app.MapAccountEndpoints();
        app.MapConsoleMetrics();
        app.MapBackupApi();
        app.MapHub<OpsConsole.Console.Server.Hubs.OutageHub>(OpsConsole.Console.Server.Hubs.OutageHub.Path).RequireAuthorization(Roles.ReadPolicy);
        app.MapRazorComponents<App>()
            .AddInteractiveServerRenderMode()
            .AddAdditionalAssemblies(typeof(ConsoleClientServiceCollectionExtensions).Assembly)
            .RequireAuthorization(Roles.ReadPolicy); // every page and the Blazor circuit; /signin opts out
        return app;
    }
}
