using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OpsConsole.Console.Server.Security;

/// <summary>
/// The web front door's <see cref="Meter"/> and <see cref="ActivitySource"/> (both named <see cref="Name"/>):
/// sign-ins by outcome and refused API keys. Requests themselves are measured by ASP.NET Core's own meters
/// (<c>Microsoft.AspNetCore.Hosting</c>), exported beside these.
/// </summary>
public sealed class WebTelemetry
{
    public const string Name = "OpsConsole.Web";

    /// <summary>Sign-in attempts by <c>outcome</c>: success, failed, locked_out, disabled, unavailable (the store could not record it).</summary>
    public const string SignIns = "opsconsole.web.signins";

    /// <summary>Requests refused for an unknown API key.</summary>
    public const string ApiKeyRefusals = "opsconsole.web.api_key.refusals";

    /// <summary>The web's activities: <c>sign-in</c>.</summary>
    public static readonly ActivitySource Source = new(Name);

    private readonly Counter<long> _signIns;
    private readonly Counter<long> _apiKeyRefusals;

    public WebTelemetry(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(Name);
        _signIns = meter.CreateCounter<long>(SignIns, "{attempt}", "Sign-in attempts by outcome");
        _apiKeyRefusals = meter.CreateCounter<long>(ApiKeyRefusals, "{request}", "Requests refused for an unknown API key");
    }

    public void SignIn(string outcome) => _signIns.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void ApiKeyRefused() => _apiKeyRefusals.Add(1);
}
