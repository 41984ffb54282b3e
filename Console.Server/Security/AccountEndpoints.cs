using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using OpsConsole.Console.Server.Security.Sessions;
using OpsConsole.Console.Server.Security.Users;

namespace OpsConsole.Console.Server.Security;

/// <summary>
/// Browser sign-in, sign-out and password change: form posts from the static pages
/// <c>/signin</c> and <c>/account/password</c>, anti-forgery checked (minimal API form binding
/// validates the token), every outcome audited.
/// </summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // Bounded input: a form of a few short fields; anything bigger is refused before it is read (400/413).
        app.MapPost("/account/signin", SignInAsync).AllowAnonymous().RequireRateLimiting(SignInRateLimit.PolicyName)
            .WithFormOptions(bufferBodyLengthLimit: MaxFormBytes, valueCountLimit: 8, valueLengthLimit: MaxFieldLength)
            .WithMetadata(new RequestSizeLimitAttribute(MaxFormBytes));
        app.MapPost("/account/signout", SignOutAsync).RequireAuthorization(Roles.ReadPolicy);
        app.MapPost("/account/password", ChangePasswordAsync).RequireAuthorization(Roles.ReadPolicy).RequireRateLimiting(SignInRateLimit.PolicyName)
            .WithFormOptions(bufferBodyLengthLimit: MaxFormBytes, valueCountLimit: 8, valueLengthLimit: MaxFieldLength)
            .WithMetadata(new RequestSizeLimitAttribute(MaxFormBytes));
        return app;
    }

    /// <summary>Largest sign-in or password form accepted.</summary>
    public const int MaxFormBytes = 16 * 1024;

    /// <summary>Longest form field accepted (the anti-forgery token and a return address fit; a 2 MiB user name does not).</summary>
    public const int MaxFieldLength = 2048;

    private static async Task<IResult> SignInAsync(
        HttpContext http, SignInService signIn, AuditLog audit, SessionStamps sessions, WebTelemetry telemetry, [FromForm(Name = "user")] string? user, [FromForm(Name = "password")] string? password,
        [FromForm(Name = "returnUrl")] string? returnUrl)
    {
        using var activity = WebTelemetry.Source.StartActivity("sign-in");
        SignInCheck check;
        try
        {
            check = signIn.Check(user, password, Remote(http));
        }
        catch (IOException ex) // StorageException included
        {
            // The attempt cannot be recorded (disk full): a failure count that is not kept would weaken the lockout.
            audit.Write((user ?? "").Trim(), "sign-in-unavailable", Remote(http), "could not be recorded: " + ex.Message);
            telemetry.SignIn("unavailable");
            return StorageUnavailable();
        }

        if (check.Outcome != SignInOutcome.Success || check.User is not { } u)
        {
            string error = check.Outcome switch
            {
                SignInOutcome.LockedOut => "locked",
                SignInOutcome.Disabled => "disabled",
                _ => "failed",
            };
            telemetry.SignIn(check.Outcome switch
            {
                SignInOutcome.LockedOut => "locked_out",
                SignInOutcome.Disabled => "disabled",
                _ => "failed",
            });
            return Results.Redirect($"/signin?error={error}&returnUrl={Uri.EscapeDataString(LocalOrRoot(returnUrl))}");
        }

        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, Principal(u, sessions)).ConfigureAwait(false);
        telemetry.SignIn("success");
        return Results.Redirect(u.MustChangePassword ? "/account/password" : LocalOrRoot(returnUrl));
    }

    /// <summary>Ends this browser's session on the server too: a copy of its cookie is refused from now on (<see cref="SessionStamps.SignOut"/>).</summary>
    private static async Task<IResult> SignOutAsync(HttpContext http, AuditLog audit, SessionStamps sessions)
    {
        sessions.SignOut(http.User);
        audit.Write(http.User.Identity?.Name ?? "", "sign-out", Remote(http));
        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme).ConfigureAwait(false);
        return Results.Redirect("/signin");
    }

    private static async Task<IResult> ChangePasswordAsync(
        HttpContext http, UserStore users, AuditLog audit, InitialAdmin initial, SessionStamps sessions, [FromForm(Name = "current")] string? current,
        [FromForm(Name = "password")] string? password, [FromForm(Name = "confirm")] string? confirm)
    {
        var user = users.Find(http.User.Identity?.Name ?? "");
        if (user is null || http.User.Identity?.AuthenticationType != CookieAuthenticationDefaults.AuthenticationScheme)
        {
            return Results.Forbid();
        }

        string? problem = !users.Verify(user, current ?? "")
            ? "The current password is wrong."
            : SignInService.CheckNewPassword(current, password, confirm);
        if (problem is not null)
        {
            audit.Write(user.Name, "password-change-failed", Remote(http), problem);
            return Results.Redirect($"/account/password?error={Uri.EscapeDataString(problem)}");
        }

        bool wasOneTime = user.MustChangePassword;
        users.SetPassword(user, password!); // a new security stamp: the user's other sessions end, this one signs in again below
        audit.Write(user.Name, "password-changed", Remote(http), "other sessions signed out");
        if (wasOneTime)
        {
            initial.ForgetPassword(); // the one-time password is spent: its file goes
        }

        sessions.SignOut(http.User); // this browser goes on with a new session
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, Principal(user, sessions)).ConfigureAwait(false);
        return Results.Redirect("/");
    }

    /// <summary>503 with a page that says why: the console cannot record the sign-in while its disk refuses writes.</summary>
    private static IResult StorageUnavailable() => Results.Content(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in unavailable</title></head><body>"
        + "<h1>Sign-in is unavailable for a moment</h1><p>The console cannot record this sign-in attempt: its disk refuses writes "
        + "(full?). Nothing was changed. Try again in a minute; the administrators see the cause on /healthz.</p>"
        + "<p><a href=\"/signin\">Back to sign-in</a></p></body></html>",
        "text/html; charset=utf-8",
        statusCode: StatusCodes.Status503ServiceUnavailable);

    private static ClaimsPrincipal Principal(ConsoleUser user, SessionStamps sessions)
    {
        List<Claim> claims = [new(ClaimTypes.Name, user.Name), new(ClaimTypes.Role, user.Role), SessionStamps.Claim(user), .. sessions.NewSession()];
        if (user.MustChangePassword)
        {
            claims.Add(new Claim(SecurityExtensions.MustChangePasswordClaim, "true"));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme));
    }

    private static string Remote(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "";

    /// <summary>
    /// <paramref name="url"/> when it is a path on this site, else the start page (no open redirect): it must start
    /// with one <c>/</c>, and hold no backslash and no control character anywhere (browsers drop tabs and line
    /// breaks from addresses and read <c>\</c> as <c>/</c>, so <c>/\t/evil.example</c> and <c>/\evil.example</c>
    /// would be <c>//evil.example</c>; a line break would also make the redirect header invalid).
    /// </summary>
    public static string LocalOrRoot(string? url) =>
        !string.IsNullOrEmpty(url) && url.Length <= MaxFieldLength && url[0] == '/' && !url.StartsWith("//", StringComparison.Ordinal)
            && !url.Contains('\\', StringComparison.Ordinal) && !url.Any(char.IsControl)
            ? url
            : "/";
}
