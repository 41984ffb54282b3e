using OpsConsole.Console.Server.Security;
using OpsConsole.Console.Server.Security.Users;

namespace OpsConsole.Server.Tests;

/// <summary>The two users the security tests sign in as: dana (dispatcher) and ada (admin), with known passwords.</summary>
internal static class Staff
{
    public const string DispatcherPassword = "dispatch-shift-7!";
    public const string AdminPassword = "admin-of-the-night-1";

    /// <summary>Creates dana and ada in the host's user store (no password change pending).</summary>
    public static RunningHost WithStaff(this RunningHost host)
    {
        var users = host.Get<UserStore>();
        users.TryCreate("dana", Roles.Dispatcher, DispatcherPassword, mustChangePassword: false, DateTime.UtcNow);
        users.TryCreate("ada", Roles.Admin, AdminPassword, mustChangePassword: false, DateTime.UtcNow);
        return host;
    }

    /// <summary>A cookie-keeping client signed in through the real sign-in form (it lands on the map).</summary>
    public static async Task<Browser> SignedInAsync(this RunningHost host, string user, string password)
    {
        var browser = new Browser(host.BaseAddress);
        var signIn = await browser.SignInAsync(user, password);
        Assert.Equal("/map", signIn.Headers.Location!.OriginalString);
        return browser;
    }
}
