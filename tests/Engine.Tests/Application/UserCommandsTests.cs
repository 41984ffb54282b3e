using OpsConsole.Engine.Application;
using OpsConsole.Engine.Application.Users;

namespace OpsConsole.Engine.Tests.Application;

/// <summary>
/// Disable, enable, change role and delete (issue 13 item 9) over in-memory accounts: admin only (a refusal audited
/// once as <c>admin-refused</c>, nothing changed), each change audited exactly once, and the console always keeps an
/// admin who can sign in.
/// </summary>
public sealed class UserCommandsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 4, 0, 0, TimeSpan.Zero);

    private readonly FakeAccounts _users = new();
    private readonly FakeAudit _audit = new();
    private readonly UserCommands _commands;

    private static readonly Actor Ada = new("ada", ActorRole.Admin, null, "10.0.0.5");
    private static readonly Actor Dana = new("dana", ActorRole.Dispatcher, null, "10.0.0.7");

    public UserCommandsTests()
    {
        _commands = new UserCommands(_users, _audit, new CommandGuard(_audit));
        _users.Add("ada", "admin");
        _users.Add("dana", "dispatcher");
        _users.Add("Bob", "admin");
    }

    [Fact]
    public void EveryNewCommand_RefusesANonAdmin_AuditsOnce_AndChangesNothing()
    {
        var before = _users.All();
        var anonymous = Actor.Anonymous with { RemoteAddress = "10.0.0.9" };
        var revoked = Ada with { SessionRevoked = "account disabled" };

        foreach (var actor in new[] { Dana, anonymous, revoked })
        {
            Assert.False(_commands.Disable(actor, "bob").Succeeded);
            Assert.False(_commands.Enable(actor, "bob").Succeeded);
            Assert.False(_commands.ChangeRole(actor, "bob", "dispatcher").Succeeded);
            Assert.False(_commands.Delete(actor, "bob").Succeeded);
        }

        Assert.Equal(before, _users.All());
        Assert.Equal(12, _audit.Entries.Count);
        Assert.All(_audit.Entries, e => Assert.Equal(UserCommands.RefusedAction, e.Action));
        Assert.Equal(
            ["disable bob", "enable bob", "change role of bob to dispatcher", "delete bob"],
            _audit.Entries.Where(e => e.Actor == "dana").Select(e => e.Detail));
        Assert.Equal(CommandStatus.SessionEnded, _commands.Delete(revoked, "bob").Status);
        Assert.Equal(0, _users.Writes);
    }

    [Fact]
    public void DisableEnableRoleDelete_EachChange_AuditedExactlyOnce_WithTheAdminAndAddress()
    {
        Assert.Equal("Bob", _commands.Disable(Ada, "BOB").Value);
        Assert.True(_users.Find("bob")!.Disabled);
        Assert.Equal("Bob", _commands.Enable(Ada, "bob").Value);
        Assert.False(_users.Find("bob")!.Disabled);
        Assert.Equal("dana", _commands.ChangeRole(Ada, "dana", "admin").Value);
        Assert.Equal("admin", _users.Find("dana")!.Role);
        Assert.Equal("dana", _commands.Delete(Ada, "dana").Value);
        Assert.Null(_users.Find("dana"));

        Assert.Equal(
            [
                ("user-disabled", "Bob; signed out everywhere"),
                ("user-enabled", "Bob"),
                ("role-changed", "dana: dispatcher to admin; signed out everywhere"),
                ("user-deleted", "dana (admin); signed out everywhere"),
            ],
            _audit.Entries.Select(e => (e.Action, e.Detail)));
        Assert.All(_audit.Entries, e => Assert.Equal(("ada", "10.0.0.5"), (e.Actor, e.RemoteAddress)));
        Assert.Equal(4, _users.Writes);
    }

    [Fact]
    public void AnAdmin_CannotDisableDemoteOrDeleteThemself()
    {
        var results = new[] { _commands.Disable(Ada, "ada"), _commands.ChangeRole(Ada, "ADA", "dispatcher"), _commands.Delete(Ada, " ada ") };

        Assert.All(results, r => Assert.Equal(CommandStatus.Conflict, r.Status));
        Assert.All(results, r => Assert.StartsWith("You cannot ", r.Error, StringComparison.Ordinal));
        Assert.Contains("your own account", results[1].Error, StringComparison.Ordinal);
        Assert.Empty(_audit.Entries);
        Assert.Equal(0, _users.Writes);
    }

    [Fact]
    public void TheLastEnabledAdmin_CannotBeDisabledDemotedOrDeleted_ButAnotherAdminMakesItPossible()
    {
        Assert.True(_commands.Disable(Ada, "bob").Succeeded); // ada is now the only enabled admin; bob is a disabled one
        var root = new Actor("root", ActorRole.Admin, null, null); // e.g. an admin API key, not a user

        var results = new[] { _commands.Disable(root, "ada"), _commands.ChangeRole(root, "ada", "dispatcher"), _commands.Delete(root, "ada") };

        Assert.All(results, r => Assert.Equal(CommandStatus.Conflict, r.Status));
        Assert.All(results, r => Assert.Contains("ada is the last enabled administrator", r.Error, StringComparison.Ordinal));
        Assert.Equal(("admin", false), (_users.Find("ada")!.Role, _users.Find("ada")!.Disabled));
        Assert.True(_commands.Delete(root, "bob").Succeeded); // a disabled admin is not the one that counts

        Assert.True(_commands.ChangeRole(root, "dana", "admin").Succeeded);
        Assert.True(_commands.ChangeRole(root, "ada", "dispatcher").Succeeded);
        Assert.Equal(["user-disabled", "user-deleted", "role-changed", "role-changed"], _audit.Entries.Select(e => e.Action));
    }

    [Fact]
    public void WrongInput_AndNoChange_AreClearErrors_NotAudited()
    {
        Assert.Equal((CommandStatus.Invalid, "There is no user 'carol'."), Of(_commands.Disable(Ada, "carol")));
        Assert.Equal((CommandStatus.Invalid, "There is no user ''."), Of(_commands.Delete(Ada, "")));
        Assert.Equal((CommandStatus.Invalid, "Choose dispatcher or admin."), Of(_commands.ChangeRole(Ada, "dana", "root")));
        Assert.Equal((CommandStatus.Conflict, "dana is already dispatcher."), Of(_commands.ChangeRole(Ada, "dana", "dispatcher")));
        Assert.Equal((CommandStatus.Conflict, "dana is not disabled."), Of(_commands.Enable(Ada, "dana")));
        Assert.True(_commands.Disable(Ada, "dana").Succeeded);
        Assert.Equal((CommandStatus.Conflict, "dana is already disabled."), Of(_commands.Disable(Ada, "dana")));

        Assert.Equal(["user-disabled"], _audit.Entries.Select(e => e.Action));
        Assert.Equal(1, _users.Writes);

        static (CommandStatus, string?) Of(CommandResult<string> r) => (r.Status, r.Error);
    }

    private sealed class FakeAccounts : IUserAccounts
    {
        private readonly List<UserAccount> _users = [];

        public int Writes { get; private set; }

        public void Add(string name, string role) => _users.Add(new UserAccount(name, role, false, null, 0, T0));

        public UserAccount? Find(string name) => _users.FirstOrDefault(u => string.Equals(u.Name, name, StringComparison.OrdinalIgnoreCase));

        public IReadOnlyList<UserAccount> All() => [.. _users];

        public bool Exists(string name) => Find(name) is not null;

        public bool TryCreate(string name, string role, string temporaryPassword, DateTimeOffset now) => throw new NotSupportedException();

        public string? Unlock(string name) => throw new NotSupportedException();

        public string? SetTemporaryPassword(string name, string password) => throw new NotSupportedException();

        public string? CheckNewPassword(string password) => null;

        public string? SetDisabled(string name, bool disabled) => Replace(name, u => u with { Disabled = disabled });

        public string? SetRole(string name, string role) => Replace(name, u => u with { Role = role });

        public string? Delete(string name)
        {
            if (Find(name) is not { } user)
            {
                return null;
            }

            Writes++;
            _users.Remove(user);
            return user.Name;
        }

        private string? Replace(string name, Func<UserAccount, UserAccount> change)
        {
            int i = _users.FindIndex(u => string.Equals(u.Name, name, StringComparison.OrdinalIgnoreCase));
            if (i < 0)
            {
                return null;
            }

            Writes++;
            _users[i] = change(_users[i]);
            return _users[i].Name;
        }
    }

    private sealed class FakeAudit : IAuditTrail
    {
        public List<AuditRecord> Entries { get; } = [];

        public void Write(string actor, string action, string? remoteAddress, string? detail) =>
            Entries.Add(new AuditRecord(T0, actor, action, remoteAddress ?? "", detail));

        public IReadOnlyList<AuditRecord> Recent(int count) => [.. Entries.AsEnumerable().Reverse().Take(count)];
    }
}
