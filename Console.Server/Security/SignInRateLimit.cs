using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace OpsConsole.Console.Server.Security;

/// <summary>
/// Sign-in and password-form posts per remote address (ASP.NET Core rate limiting): a burst of
/// <see cref="Burst"/>, then one more every <see cref="Refill"/> (30 a minute). Past that: 429 with
/// <c>Retry-After</c>, logged at most once a minute per address. Generous enough for a control room's shift
/// change behind one address; with the lockout of 5 failures per name and address (<c>SignInThrottle</c>) it
/// bounds password guessing, hashing work and audit entries an address can cause.
/// </summary>
public static partial class SignInRateLimit
{
    public const string PolicyName = "sign-in";

    public const int Burst = 30;

    public static readonly TimeSpan Refill = TimeSpan.FromSeconds(2);

    public static IServiceCollection AddSignInRateLimit(this IServiceCollection services) =>
        services.AddRateLimiter(o =>
        {
            o.AddPolicy(PolicyName, http => RateLimitPartition.GetTokenBucketLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "",
                _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = Burst,
                    TokensPerPeriod = 1,
                    ReplenishmentPeriod = Refill,
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
            o.OnRejected = (context, _) =>
            {
                var http = context.HttpContext;
                string remote = http.Connection.RemoteIpAddress?.ToString() ?? "";
                var services = http.RequestServices;
                if (services.GetRequiredService<LogThrottle>().ShouldLog("sign-in\n" + remote, out int suppressed))
                {
                    LogRejected(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SignInRateLimit).FullName!), remote, suppressed);
                }

                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                http.Response.Headers.RetryAfter = ((int)Refill.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                http.Response.ContentType = "text/plain; charset=utf-8";
                return new ValueTask(http.Response.WriteAsync("Too many sign-in attempts from your address. Wait a minute and try again.", http.RequestAborted));
            };
        });

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning,
        Message = "Too many sign-in attempts from {RemoteAddress}: refused with 429; {Suppressed} more refusals in the last minute were not logged")]
    private static partial void LogRejected(ILogger logger, string remoteAddress, int suppressed);
}
