using System.Diagnostics;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace OpsConsole.Browser.Tests;

/// <summary>
/// Issue 13 item 9 in a real browser against the real server process: the admin creates a dispatcher on the users page,
/// the dispatcher signs in in another browser, the admin presses <i>Disable</i>, and the dispatcher's open page is
/// sent to the sign-in page (the server revalidates an open page's session every <see cref="RevalidationInterval"/>), where
/// signing in again is refused with "This account is disabled".
/// </summary>
public sealed class UserAdministrationBrowserTests(ServerProcess server, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<ServerProcess>, IClassFixture<BrowserFixture>
{
    /// <summary>SessionRevalidatingStateProvider.Interval (the server assembly is not referenced here).</summary>
    private static readonly TimeSpan RevalidationInterval = TimeSpan.FromSeconds(30);

    private const string TemporaryPassword = "first-shift-password-1";
    private const string ChosenPassword = "dora-s-own-password-2";

    [Fact]
    public async Task Admin_DisablesASignedInDispatcher_HerOpenPageEnds_AndSignInIsRefused()
    {
        var admin = await browser.NewPageAsync(server.BaseAddress);
        await server.SignInAsync(admin);
        await admin.GotoAsync("admin/users");
        await admin.Locator("input[aria-label='User name']").FillAsync("dora");
        await admin.Locator("input[aria-label='User name']").PressAsync("Tab");
        await admin.Locator("input[aria-label='Temporary password']").FillAsync(TemporaryPassword);
        await admin.Locator("input[aria-label='Temporary password']").PressAsync("Tab");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Create user", Exact = true }).ClickAsync();
        await Expect(admin.GetByRole(AriaRole.Status)).ToContainTextAsync("Created dora");

        // Dora signs in elsewhere (her first sign-in: she chooses her password) and opens the outages board.
        var dora = await browser.NewPageAsync(server.BaseAddress);
        await SignInAsync(dora, TemporaryPassword);
        await dora.WaitForURLAsync("**/account/password");
        await dora.GetByLabel("Current password").FillAsync(TemporaryPassword);
        await dora.GetByLabel("New password", new() { Exact = true }).FillAsync(ChosenPassword);
        await dora.GetByLabel("New password again").FillAsync(ChosenPassword);
        await dora.GetByRole(AriaRole.Button, new() { Name = "Save password" }).ClickAsync();
        await dora.WaitForURLAsync(url => !url.Contains("/account/", StringComparison.Ordinal));
        var circuit = dora.WaitForWebSocketAsync(); // the page's live connection: what must notice the disabling
        await dora.GotoAsync("outages");
        await circuit;
        await Expect(dora).ToHaveTitleAsync("Outages · OpsConsole");

        // The admin disables her (one's own row cannot be disabled: the button is off).
        await admin.ReloadAsync();
        await Expect(admin.GetByRole(AriaRole.Button, new() { Name = "Disable admin", Exact = true })).ToBeDisabledAsync();
        var clock = Stopwatch.StartNew();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Disable dora", Exact = true }).ClickAsync();
        await Expect(admin.GetByRole(AriaRole.Status)).ToContainTextAsync("Disabled dora");
        var row = admin.GetByRole(AriaRole.Row).Filter(new() { Has = admin.Locator("td[data-label='Name']", new() { HasTextString = "dora" }) });
        await Expect(row.Locator("td[data-label='Status']")).ToHaveTextAsync("disabled");

        // Her open page ends without her doing anything (a deadline, not a sleep: revalidation runs every 30 s).
        await dora.WaitForURLAsync("**/signin**", new() { Timeout = (float)(RevalidationInterval + TimeSpan.FromSeconds(30)).TotalMilliseconds });
        output.WriteLine($"Dora's open page reached the sign-in page {clock.Elapsed.TotalSeconds:0.0} s after the click");

        // Her right password is refused with the reason; a wrong one reads as any failure.
        await SignInAsync(dora, ChosenPassword);
        await Expect(dora.GetByText("This account is disabled")).ToBeVisibleAsync();
        await SignInAsync(dora, "not-her-password-at-all");
        await Expect(dora.GetByText("Wrong user name or password.")).ToBeVisibleAsync();

        // Enabled again, she signs in with the password she chose.
        await admin.GetByRole(AriaRole.Button, new() { Name = "Enable dora", Exact = true }).ClickAsync();
        await Expect(row.Locator("td[data-label='Status']")).ToHaveTextAsync("enabled");
        await SignInAsync(dora, ChosenPassword);
        await dora.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
    }

    private static async Task SignInAsync(IPage page, string password)
    {
        await page.GotoAsync("signin");
        await page.GetByLabel("User name").FillAsync("dora");
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }
}
