using System.Security.Claims;
using OpsConsole.Console.Client.Admin;
using OpsConsole.Console.Server.Security;
using OpsConsole.Console.Server.Security.Users;

namespace OpsConsole.Server.Tests;

/// <summary>The user administration against the running host's real LiteDB store: admin only, every change audited.</summary>
public sealed class UserAdministrationTests : IAsyncLifetime
{
    private readonly List<IServiceScope> _scopes = [];
    private RunningHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = (await RunningHost.StartAsync()).WithStaff();
    }

    public async Task DisposeAsync()
    {
        _scopes.ForEach(s => s.Dispose());
        await _host.DisposeAsync();
    }

    /// <summary>The administration as a page session gets it (scoped, like the circuit's).</summary>
    private IUserAdministration Administration()
    {
        var scope = _host.App.Services.CreateScope();
        _scopes.Add(scope);
        return scope.ServiceProvider.GetRequiredService<IUserAdministration>();
    }

    private static ClaimsPrincipal Principal(string name, string role) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], "test"));

    [Fact]
    public async Task Service_RefusesADispatcher_AndAuditsIt()
    {
        var admin = Administration();
        var dana = Principal("dana", Roles.Dispatcher);

        var create = await admin.CreateUserAsync(dana, "mallory", Roles.Admin, "a-long-enough-password");
        var unlock = await admin.UnlockAsync(dana, "ada");
        var reset = await admin.ResetPasswordAsync(dana, "ada");
        var list = await admin.ListUsersAsync(dana);
        var audit = await admin.RecentAuditAsync(dana, 10);

        Assert.All([create, unlock, reset], r => Assert.False(r.Succeeded));
        Assert.Empty(list.Items);
        Assert.Empty(audit.Items);
        Assert.Null(_host.Get<UserStore>().Find("mallory"));
        Assert.True(_host.Get<UserStore>().Verify(_host.Get<UserStore>().Find("ada")!, Staff.AdminPassword));
        var refused = _host.Get<AuditLog>().Recent(20).Where(e => e.Action == "admin-refused").ToArray();
        Assert.Equal(5, refused.Length);
        Assert.All(refused, e => Assert.Equal("dana", e.User));
        Assert.Contains(refused, e => e.Detail == "create user mallory");
    }

    [Fact]
    public async Task Service_AdminCreatesUnlocksResets_AllAuditedWithTheAdminsName()
    {
        var admin = Administration();
        var users = _host.Get<UserStore>();
        var ada = Principal("ada", Roles.Admin);

        var bad = await admin.CreateUserAsync(ada, "no spaces!", "root", "short");
        var taken = await admin.CreateUserAsync(ada, "DANA", Roles.Dispatcher, "a-long-enough-password");
        var created = await admin.CreateUserAsync(ada, "bob.k_2", Roles.Dispatcher, "a-long-enough-password");

        Assert.Equal([AdminResult.NameField, AdminResult.PasswordField, AdminResult.RoleField], bad.FieldErrors.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("already", taken.FieldErrors[AdminResult.NameField], StringComparison.Ordinal);
        Assert.True(created.Succeeded);
        var bob = users.Find("bob.k_2")!;
        Assert.True(bob.MustChangePassword);
        Assert.True(users.Verify(bob, "a-long-enough-password"));

        bob.FailedSignIns = 0;
        bob.LockedUntil = DateTime.UtcNow.AddMinutes(10);
        users.Update(bob);
        Assert.True((await admin.UnlockAsync(ada, "bob.k_2")).Succeeded);
        Assert.Null(users.Find("bob.k_2")!.LockedUntil);

        var reset = await admin.ResetPasswordAsync(ada, "dana");
        Assert.True(reset.Succeeded);
        var dana = users.Find("dana")!;
        Assert.True(dana.MustChangePassword);
        Assert.True(users.Verify(dana, reset.TemporaryPassword!));
        Assert.False(users.Verify(dana, Staff.DispatcherPassword));

        var entries = (await admin.RecentAuditAsync(ada, 500)).Items.Where(e => e.User == "ada").Select(e => e.Action).Reverse().ToArray();
        Assert.Equal(["user-created", "user-unlocked", "password-reset"], entries);
        Assert.DoesNotContain(_host.Get<AuditLog>().Recent(50), e => (e.Detail ?? "").Contains(reset.TemporaryPassword!, StringComparison.Ordinal));
    }
}
