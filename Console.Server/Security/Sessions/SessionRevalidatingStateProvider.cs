using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using OpsConsole.Console.Server.Security.Circuits;
using OpsConsole.Console.Server.Security.Users;

namespace OpsConsole.Console.Server.Security.Sessions;

/// <summary>
/// The circuit's authentication state, checked again every <see cref="Interval"/>: an open page whose session
/// was revoked (see <see cref="SessionStamps"/>) turns anonymous, its pages give way to the sign-in redirect,
/// and the revocation is audited with the circuit's remote address. The services behind the pages check the
/// stamp on every action as well, so no action gets through in between.
/// </summary>
public sealed partial class SessionRevalidatingStateProvider(
    ILoggerFactory loggerFactory, SessionStamps sessions, AuditLog audit, CircuitRemoteAddress remote)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    private readonly ILogger _logger = loggerFactory.CreateLogger<SessionRevalidatingStateProvider>();

    protected override TimeSpan RevalidationInterval => Interval;

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(authenticationState);
        if (sessions.WhyRevoked(authenticationState.User) is not { } reason)
        {
            return Task.FromResult(true);
        }

        string user = authenticationState.User.Identity?.Name ?? "";
        audit.Write(user, SessionStamps.RevokedAction, remote.Value, reason + "; open page signed out");
        LogRevoked(_logger, user, reason, remote.Value ?? "");
        return Task.FromResult(false);
    }

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Signed out an open page of {User} ({Reason}) from {RemoteAddress}")]
    private static partial void LogRevoked(ILogger logger, string user, string reason, string remoteAddress);
}
