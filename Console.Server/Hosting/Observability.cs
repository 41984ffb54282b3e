using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Ingest;
using OpsConsole.Console.Server.Security;

namespace OpsConsole.Console.Server.Hosting;

/// <summary>
/// Metrics and traces in one place (the shape of eShop's ServiceDefaults): one meter and one activity source per
/// subsystem (<see cref="IngestTelemetry"/>, <see cref="CorrelationTelemetry"/>, <see cref="WebTelemetry"/>) plus
/// ASP.NET Core's and the runtime's own meters, exported in the Prometheus text format at <see cref="MetricsPath"/>
/// (protected like the API: an API key or a signed-in session, <see cref="MapConsoleMetrics"/>). Traces go to an
/// OTLP collector when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, and nowhere otherwise.
/// </summary>
public static class Observability
{
    public const string MetricsPath = "/metrics";

    /// <summary>The meters exported at <see cref="MetricsPath"/>.</summary>
    public static readonly string[] Meters =
    [
        IngestTelemetry.Name,
        CorrelationTelemetry.Name,
        WebTelemetry.Name,
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Authentication",
        "System.Runtime",
    ];

    /// <summary>The activity sources traced.</summary>
    public static readonly string[] Sources = [IngestTelemetry.Name, CorrelationTelemetry.Name, WebTelemetry.Name, "Microsoft.AspNetCore"];

    public static IServiceCollection AddConsoleObservability(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("opsconsole"))
            .WithMetrics(m => m.AddMeter(Meters).AddPrometheusExporter());
        if (!string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.WithTracing(t => t.AddSource(Sources)).UseOtlpExporter();
        }

        return services;
    }

    /// <summary>The scrape endpoint, behind the read policy like <c>/api/stats</c>: deny by default.</summary>
    public static IEndpointConventionBuilder MapConsoleMetrics(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPrometheusScrapingEndpoint(MetricsPath).RequireAuthorization(Roles.ReadPolicy);
}
