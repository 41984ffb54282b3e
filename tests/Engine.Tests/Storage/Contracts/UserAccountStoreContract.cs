using OpsConsole.Engine.Storage;

namespace OpsConsole.Engine.Tests.Storage.Contracts;

/// <summary>What every <see cref="IUserAccountStore"/> and <see cref="IRevokedSessionStore"/> must honour.</summary>
public abstract class UserAccountStoreContract : StoreContract<(IUserAccountStore Users, IRevokedSessionStore Sessions)>
{
    private static readonly DateTime Day0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static UserAccount Ada() => new()
    {
        Id = "ada",
        Name = "Ada",
        Role = "admin",
        PasswordHash = "AQAAAAIAAYagAAAAE…",
        MustChangePassword = true,
        FailedSignIns = 2,
        LockedUntil = Day0.AddMinutes(15),
        CreatedAt = Day0,
        SecurityStamp = "0123456789ABCDEF",
        SecurityStampReason = "created",
    };

    [Fact]
    public void TryInsert_ThenFind_EveryField_AfterARestart_AndTheIdIsUnique()
    {
        var users = Open().Users;
        Assert.True(users.TryInsert(Ada()));
        Assert.False(users.TryInsert(Ada() with { Name = "ADA" }));

        var reopened = Reopen().Users;

        Assert.Equal(Ada(), reopened.Find("ada"));
        Assert.Null(reopened.Find("bob"));
        Assert.Equal(1, reopened.Count());
    }

    [Fact]
    public void Update_ReplacesTheStoredUser_AndIsFalseForAnUnknownId()
    {
        var users = Open().Users;
        users.TryInsert(Ada());
        users.TryInsert(Ada() with { Id = "bob", Name = "Bob", LockedUntil = null, SecurityStampReason = null });

        Assert.True(users.Update(Ada() with { FailedSignIns = 0, LockedUntil = null, PasswordHash = "new" }));
        Assert.False(users.Update(Ada() with { Id = "carol" }));

        var all = Reopen().Users.All();
        Assert.Equal(["ada", "bob"], all.Select(u => u.Id).Order());
        var ada = all.Single(u => u.Id == "ada");
        Assert.Equal(("new", 0, (DateTime?)null), (ada.PasswordHash, ada.FailedSignIns, ada.LockedUntil));
        Assert.Null(all.Single(u => u.Id == "bob").SecurityStampReason);
    }

    [Fact]
    public void Disabled_RoundTrips_AndDelete_RemovesOneUser_WhoseIdMayBeUsedAgain()
    {
        var users = Open().Users;
        users.TryInsert(Ada());
        users.TryInsert(Ada() with { Id = "bob", Name = "Bob", Disabled = true });

        Assert.True(users.Delete("ada"));
        Assert.False(users.Delete("ada"));
        Assert.False(users.Delete("carol"));

        var reopened = Reopen().Users;
        Assert.Null(reopened.Find("ada"));
        Assert.Equal(["bob"], reopened.All().Select(u => u.Id));
        Assert.True(reopened.Find("bob")!.Disabled);
        Assert.True(reopened.Update(reopened.Find("bob")! with { Disabled = false }));
        Assert.False(reopened.Find("bob")!.Disabled);
        Assert.True(reopened.TryInsert(Ada() with { Name = "ADA" }));
        Assert.Equal("ADA", reopened.Find("ada")!.Name);
    }

    [Fact]
    public void RevokedSessions_UpsertReplaces_DeleteExpiredRemovesExactlyTheEnded()
    {
        var sessions = Open().Sessions;
        sessions.Upsert("s1", Day0.AddHours(1));
        sessions.Upsert("s2", Day0.AddHours(5));
        sessions.Upsert("s1", Day0.AddHours(3)); // replaced, not added

        Assert.Equal(1, sessions.DeleteExpired(Day0.AddHours(4)));

        Assert.Equal([("s2", Day0.AddHours(5))], Reopen().Sessions.All());
    }

    [Fact]
    public async Task ReadersWhileOneWriterInserts_SeeEachUserWhole()
    {
        var users = Open().Users;
        using var done = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            int reads = 0;
            while (!done.IsCancellationRequested || reads == 0)
            {
                Assert.All(users.All(), u => Assert.Equal(Ada() with { Id = u.Id }, u));
                reads++;
            }
        });
        for (int i = 0; i < 100; i++)
        {
            Assert.True(users.TryInsert(Ada() with { Id = $"user{i}" }));
        }

        await done.CancelAsync();
        await reader;
        Assert.Equal(100, users.Count());
    }
}
