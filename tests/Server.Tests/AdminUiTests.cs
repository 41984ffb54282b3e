using System.Security.Claims;
using Bunit;
using MudBlazor.Services;
using OpsConsole.Console.Client.Admin;
using OpsConsole.Console.Client.Layout;
using OpsConsole.Console.Client.Pages.Admin;

namespace OpsConsole.Server.Tests;

/// <summary>The users and audit pages and the admin menu over a fake administration (no host, no browser).</summary>
public sealed class AdminUiTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 18, 30, 0, TimeSpan.Zero);
    private readonly BunitContext _ctx = new();
    private readonly FakeAdministration _admin = new();

    public AdminUiTests()
    {
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _ctx.Services.AddMudServices();
        _ctx.Services.AddSingleton<IUserAdministration>(_admin);
        _ctx.Services.AddSingleton<TimeProvider>(new FixedTime(Now));
        _admin.Users.Add(new UserSummary("ada", "admin", false, null, 0, Now.AddDays(-3)));
        _admin.Users.Add(new UserSummary("dana", "dispatcher", true, Now.AddMinutes(10), 0, Now.AddDays(-1)));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    [Fact]
    public void NewUserForm_WhilePrerendered_TakesNoInput()
    {
        SignIn("ada", "admin");
        _ctx.Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Static", isInteractive: false));

        var cut = _ctx.Render<UsersPage>();

        var form = cut.Find("[aria-label='New user']");
        Assert.All(form.QuerySelectorAll("input"), i => Assert.True(i.HasAttribute("disabled")));
        Assert.True(form.QuerySelector("button[aria-label='Create user']")!.HasAttribute("disabled"));
    }

    private void SignIn(string name, string role)
    {
        var auth = _ctx.AddAuthorization();
        auth.SetAuthorized(name);
        auth.SetRoles(role);
        _ctx.Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true)); // the forms wait for interactivity
    }

    private static string[] Column(IRenderedComponent<UsersPage> cut, string label) =>
        [.. cut.FindAll($"tbody tr td[data-label='{label}']").Select(td => td.TextContent.Trim())];

    private static void Click(IRenderedComponent<UsersPage> cut, string ariaLabel) => cut.Find($"button[aria-label='{ariaLabel}']").Click();

    [Fact]
    public void Users_AreListed_WithRoleFlagsAndLockout()
    {
        SignIn("ada", "admin");
        var cut = _ctx.Render<UsersPage>();

        Assert.Equal(["ada", "dana"], Column(cut, "Name"));
        Assert.Equal(["admin", "dispatcher"], Column(cut, "Role"));
        Assert.Equal(["no", "yes"], Column(cut, "Must change"));
        Assert.Equal(["", "2026-11-24 18:40 UTC"], Column(cut, "Locked until"));
        Assert.Equal("ada", Assert.Single(_admin.Callers.Distinct()));
    }

    [Fact]
    public void Create_WithABadNameAndShortPassword_ShowsFieldErrors_ThenCreates()
    {
        SignIn("ada", "admin");
        var cut = _ctx.Render<UsersPage>();

        cut.Find("input[aria-label='User name']").Change("no spaces!");
        cut.Find("input[aria-label='Temporary password']").Change("short");
        Click(cut, "Create user");

        cut.WaitForAssertion(() => Assert.Contains("letters, digits", cut.Markup, StringComparison.Ordinal)); // MudButton's click is asynchronous
        Assert.Contains("at least 12 characters", cut.Markup, StringComparison.Ordinal);
        Assert.Single(_admin.Calls);
        Assert.Equal(2, Column(cut, "Name").Length);

        cut.Find("input[aria-label='User name']").Change("bob");
        cut.Find("input[aria-label='Temporary password']").Change("a-long-enough-password");
        Click(cut, "Create user");

        cut.WaitForAssertion(() => Assert.Contains("Created bob", cut.Find("[role='status']").TextContent, StringComparison.Ordinal));
        Assert.Equal("create bob dispatcher by ada", _admin.Calls[^1]);
        Assert.DoesNotContain("letters, digits", cut.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("at least 12 characters", cut.Markup, StringComparison.Ordinal);
        Assert.Equal(["ada", "bob", "dana"], Column(cut, "Name"));
        Assert.Contains("Created bob", cut.Find("[role='status']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void UnlockAndReset_CallTheService_AndShowTheTemporaryPasswordOnce()
    {
        SignIn("ada", "admin");
        var cut = _ctx.Render<UsersPage>();
        Assert.True(cut.Find("button[aria-label='Unlock ada']").HasAttribute("disabled"));

        Click(cut, "Unlock dana");
        cut.WaitForAssertion(() => Assert.Equal(["", ""], Column(cut, "Locked until")));
        Assert.Equal("unlock dana by ada", _admin.Calls[^1]);

        Click(cut, "Reset password of dana");
        cut.WaitForAssertion(() => Assert.Contains("temp-password-123", cut.Find("[role='status']").TextContent, StringComparison.Ordinal));
        Assert.Equal("reset dana by ada", _admin.Calls[^1]);
    }

    [Fact]
    public void DisableEnableRoleDelete_CallTheService_OwnRowCannot_AndARefusalStaysShown()
    {
        SignIn("ada", "admin");
        _admin.Users.Add(new UserSummary("eve", "admin", false, null, 0, Now.AddDays(-2), Disabled: true));
        var cut = _ctx.Render<UsersPage>();

        Assert.Equal(["enabled", "enabled", "disabled"], Column(cut, "Status"));
        Assert.All(["Disable ada", "Make ada dispatcher", "Delete ada"], b => Assert.True(cut.Find($"button[aria-label='{b}']").HasAttribute("disabled")));

        Click(cut, "Disable dana");
        cut.WaitForAssertion(() => Assert.Equal(["enabled", "disabled", "disabled"], Column(cut, "Status")));
        Assert.Equal("disable dana by ada", _admin.Calls[^1]);
        Assert.Contains("signed out everywhere", cut.Find("[role='status']").TextContent, StringComparison.Ordinal);

        Click(cut, "Enable eve");
        cut.WaitForAssertion(() => Assert.Equal(["enabled", "disabled", "enabled"], Column(cut, "Status")));
        Assert.Equal("enable eve by ada", _admin.Calls[^1]);

        Click(cut, "Make dana admin");
        cut.WaitForAssertion(() => Assert.Equal(["admin", "admin", "admin"], Column(cut, "Role")));
        Assert.Equal("role dana admin by ada", _admin.Calls[^1]);

        Click(cut, "Delete eve");
        cut.WaitForAssertion(() => Assert.Contains("Delete eve?", cut.Find("[role='alertdialog']").TextContent, StringComparison.Ordinal));
        Assert.Equal(3, Column(cut, "Name").Length); // nothing deleted before the confirmation
        Click(cut, "Cancel delete");
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[role='alertdialog']")));
        Click(cut, "Delete eve");
        cut.WaitForAssertion(() => cut.Find("button[aria-label='Confirm delete eve']"));
        Click(cut, "Confirm delete eve");
        cut.WaitForAssertion(() => Assert.Equal(["ada", "dana"], Column(cut, "Name")));
        Assert.Equal("delete eve by ada", _admin.Calls[^1]);

        Click(cut, "Delete dana");
        cut.WaitForAssertion(() => cut.Find("button[aria-label='Confirm delete dana']"));
        Click(cut, "Confirm delete dana");
        cut.WaitForAssertion(() => Assert.Equal(["ada"], Column(cut, "Name")));
    }

    [Fact]
    public void Demoting_TheLastAdmin_ShowsTheServicesRefusal()
    {
        SignIn("root", "admin"); // a name not in the list: every button of ada's row is live

        var cut = _ctx.Render<UsersPage>();
        Click(cut, "Make ada dispatcher");

        cut.WaitForAssertion(() => Assert.Contains("last enabled administrator", cut.Find("[role='alert']").TextContent, StringComparison.Ordinal));
        Assert.Equal(["admin", "dispatcher"], Column(cut, "Role"));
        Assert.Equal("role ada dispatcher by root", _admin.Calls[^1]);
    }

    [Fact]
    public void Users_ServiceRefusal_IsShown()
    {
        SignIn("dana", "dispatcher");
        _admin.Refuse = true;

        var cut = _ctx.Render<UsersPage>();

        Assert.Empty(Column(cut, "Name"));
        Assert.Contains("Only an administrator", cut.Find("[role='alert']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Audit_ListsEntries_AndFiltersByUserActionOrDetail()
    {
        SignIn("ada", "admin");
        _admin.Audit.AddRange([
            new AuditRow(Now, "ada", "user-created", "", "bob (dispatcher), temporary password"),
            new AuditRow(Now.AddMinutes(-1), "dana", "sign-in-failed", "10.0.0.7", "wrong password (1 in a row)"),
            new AuditRow(Now.AddMinutes(-2), "ada", "sign-in", "10.0.0.5", null),
        ]);
        var cut = _ctx.Render<AuditPage>();
        string[] Users() => [.. cut.FindAll("tbody tr td[data-label='Action']").Select(td => td.TextContent.Trim())];

        Assert.Equal(["user-created", "sign-in-failed", "sign-in"], Users());
        Assert.Equal(AuditPage.Count, _admin.AuditCount);

        cut.Find("input[aria-label='Filter']").Input("dana");
        cut.WaitForAssertion(() => Assert.Equal(["sign-in-failed"], Users()));
        cut.Find("input[aria-label='Filter']").Input("SIGN-IN");
        cut.WaitForAssertion(() => Assert.Equal(["sign-in-failed", "sign-in"], Users()));
        cut.Find("input[aria-label='Filter']").Input("bob");
        cut.WaitForAssertion(() => Assert.Equal(["user-created"], Users()));
    }

    [Theory]
    [InlineData("dispatcher", false)]
    [InlineData("admin", true)]
    public void NavMenu_ShowsTheAdminLinks_OnlyToAdmins(string role, bool shown)
    {
        SignIn("someone", role);

        var cut = _ctx.Render<NavMenu>();

        Assert.Equal(shown, cut.FindAll("a[href='admin/users']").Count == 1);
        Assert.Equal(shown, cut.FindAll("a[href='admin/audit']").Count == 1);
        Assert.Single(cut.FindAll("a[href='outages']"));
    }

    [Fact]
    public void SignOutButton_NamesTheUserAndRole()
    {
        SignIn("dana", "dispatcher");

        var cut = _ctx.Render<SignOutButton>();

        Assert.Equal("dana (dispatcher)", cut.Find("[aria-label='Signed in as']").TextContent.Trim());
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class FakeAdministration : IUserAdministration
    {
        public List<UserSummary> Users { get; } = [];

        public List<AuditRow> Audit { get; } = [];

        public List<string> Calls { get; } = [];

        public List<string> Callers { get; } = [];

        public bool Refuse { get; set; }

        public int AuditCount { get; private set; }

        private static string Name(ClaimsPrincipal user) => user.Identity?.Name ?? "";

        public Task<AdminQuery<UserSummary>> ListUsersAsync(ClaimsPrincipal user)
        {
            Callers.Add(Name(user));
            return Task.FromResult(Refuse
                ? new AdminQuery<UserSummary>([], "Only an administrator may do this.")
                : new AdminQuery<UserSummary>([.. Users.OrderBy(u => u.Name, StringComparer.Ordinal)], null));
        }

        public Task<AdminResult> CreateUserAsync(ClaimsPrincipal user, string name, string role, string temporaryPassword)
        {
            Calls.Add($"create {name} {role} by {Name(user)}");
            var errors = new Dictionary<string, string>();
            if (name.Contains(' ', StringComparison.Ordinal))
            {
                errors[AdminResult.NameField] = "1 to 64 characters: letters, digits, '.', '_' or '-'.";
            }

            if (temporaryPassword.Length < 12)
            {
                errors[AdminResult.PasswordField] = "The new password needs at least 12 characters.";
            }

            if (errors.Count > 0)
            {
                return Task.FromResult(AdminResult.Invalid(errors));
            }

            Users.Add(new UserSummary(name, role, true, null, 0, Now));
            return Task.FromResult(AdminResult.Ok);
        }

        public Task<AdminResult> UnlockAsync(ClaimsPrincipal user, string name)
        {
            Calls.Add($"unlock {name} by {Name(user)}");
            int i = Users.FindIndex(u => u.Name == name);
            Users[i] = Users[i] with { LockedUntil = null, FailedSignIns = 0 };
            return Task.FromResult(AdminResult.Ok);
        }

        public Task<AdminResult> ResetPasswordAsync(ClaimsPrincipal user, string name)
        {
            Calls.Add($"reset {name} by {Name(user)}");
            return Task.FromResult(AdminResult.Ok with { TemporaryPassword = "temp-password-123" });
        }

        public Task<AdminResult> SetDisabledAsync(ClaimsPrincipal user, string name, bool disabled)
        {
            Calls.Add($"{(disabled ? "disable" : "enable")} {name} by {Name(user)}");
            int i = Users.FindIndex(u => u.Name == name);
            Users[i] = Users[i] with { Disabled = disabled };
            return Task.FromResult(AdminResult.Ok);
        }

        public Task<AdminResult> ChangeRoleAsync(ClaimsPrincipal user, string name, string role)
        {
            Calls.Add($"role {name} {role} by {Name(user)}");
            if (Users.Count(u => u.Role == "admin") == 1 && role != "admin" && Users.Single(u => u.Name == name).Role == "admin")
            {
                return Task.FromResult(AdminResult.Fail($"{name} is the last enabled administrator: make another user admin (or enable one) first."));
            }

            int i = Users.FindIndex(u => u.Name == name);
            Users[i] = Users[i] with { Role = role };
            return Task.FromResult(AdminResult.Ok);
        }

        public Task<AdminResult> DeleteAsync(ClaimsPrincipal user, string name)
        {
            Calls.Add($"delete {name} by {Name(user)}");
            Users.RemoveAll(u => u.Name == name);
            return Task.FromResult(AdminResult.Ok);
        }

        public Task<AdminQuery<AuditRow>> RecentAuditAsync(ClaimsPrincipal user, int count)
        {
            AuditCount = count;
            return Task.FromResult(new AdminQuery<AuditRow>([.. Audit.Take(count)], null));
        }
    }
}
