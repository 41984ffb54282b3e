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
        app.MapPost("/account/signin", SignInAsync).AllowAnonymous();
        app.MapPost("/account/signout", SignOutAsync).RequireAuthorization(Roles.ReadPolicy);
        app.MapPost("/account/password", ChangePasswordAsync).RequireAuthorization(Roles.ReadPolicy);
        return app;
    }

    private static async Task<IResult> SignInAsync(
        HttpContext http, SignInService signIn, AuditLog audit, [FromForm(Name = "user")] string? user, [FromForm(Name = "password")] string? password,
        [FromForm(Name = "returnUrl")] string? returnUrl)
    {
        SignInCheck check;
        try
        {
            check = signIn.Check(user, password, Remote(http));
        }
        catch (Exception ex) when (ex is IOException or LiteDB.LiteException)
        {
            // The attempt cannot be recorded (disk full): a failure count that is not kept would weaken the lockout.
            audit.Write((user ?? "").Trim(), "sign-in-unavailable", Remote(http), "could not be recorded: " + ex.Message);
            return StorageUnavailable();
        }

        if (check.Outcome != SignInOutcome.Success || check.User is not { } u)
        {
            string error = check.Outcome == SignInOutcome.LockedOut ? "locked" : "failed";
            return Results.Redirect($"/signin?error={error}&returnUrl={Uri.EscapeDataString(LocalOrRoot(returnUrl))}");
        }

        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, Principal(u)).ConfigureAwait(false);
        return Results.Redirect(u.MustChangePassword ? "/account/password" : LocalOrRoot(returnUrl));
    }

    private static async Task<IResult> SignOutAsync(HttpContext http, AuditLog audit)
    {
        audit.Write(http.User.Identity?.Name ?? "", "sign-out", Remote(http));
        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme).ConfigureAwait(false);
        return Results.Redirect("/signin");
    }

    private static async Task<IResult> ChangePasswordAsync(
        HttpContext http, UserStore users, AuditLog audit, InitialAdmin initial, [FromForm(Name = "current")] string? current,
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

        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, Principal(user)).ConfigureAwait(false);
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

    private static ClaimsPrincipal Principal(ConsoleUser user)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, user.Name), new(ClaimTypes.Role, user.Role), SessionStamps.Claim(user) };
        if (user.MustChangePassword)
        {
            claims.Add(new Claim(SecurityExtensions.MustChangePasswordClaim, "true"));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme));
    }

    private static string Remote(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "";

    /// <summary>Only a local path (no open redirect).</summary>
    private static string LocalOrRoot(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            ? url
            : "/";
}
