using LiteDB;

namespace OpsConsole.Engine.Storage.LiteDb;

/// <summary><see cref="IUserAccountStore"/> in LiteDB: collection <c>users</c>, one document per user, field names as earlier versions wrote them.</summary>
public sealed class LiteUserAccountStore(LiteStore store) : IUserAccountStore
{
    public const string CollectionName = "users";

    private ILiteCollection<BsonDocument> Users() => store.Database.GetCollection(CollectionName);

    public int Count() => LiteErrors.Guard(() => Users().Count());

    public UserAccount? Find(string id) => LiteErrors.Guard(() => Users().FindById(id) is { } doc ? FromDocument(doc) : null);

    public IReadOnlyList<UserAccount> All() => LiteErrors.Guard(() => Users().FindAll().Select(FromDocument).ToList());

    public bool TryInsert(UserAccount user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return LiteErrors.Guard(() =>
        {
            try
            {
                Users().Insert(ToDocument(user));
                return true;
            }
            catch (LiteException ex) when (ex.ErrorCode == LiteException.INDEX_DUPLICATE_KEY)
            {
                return false;
            }
        });
    }

    public bool Update(UserAccount user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return LiteErrors.Guard(() => Users().Update(ToDocument(user)));
    }

    public bool Delete(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return LiteErrors.Guard(() => Users().Delete(id));
    }

    private static BsonDocument ToDocument(UserAccount u)
    {
        var doc = new BsonDocument
        {
            ["_id"] = u.Id,
            ["Name"] = u.Name,
            ["Role"] = u.Role,
            ["PasswordHash"] = u.PasswordHash,
            ["MustChangePassword"] = u.MustChangePassword,
            ["FailedSignIns"] = u.FailedSignIns,
            ["CreatedAt"] = DateTime.SpecifyKind(u.CreatedAt, DateTimeKind.Utc),
            ["SecurityStamp"] = u.SecurityStamp,
        };
        if (u.LockedUntil is { } locked)
        {
            doc["LockedUntil"] = DateTime.SpecifyKind(locked, DateTimeKind.Utc);
        }

        if (u.Disabled)
        {
            doc["Disabled"] = true; // absent when enabled, as in documents written before users could be disabled
        }

        if (u.SecurityStampReason is not null)
        {
            doc["SecurityStampReason"] = u.SecurityStampReason;
        }

        return doc;
    }

    private static UserAccount FromDocument(BsonDocument d) => new()
    {
        Id = d["_id"].AsString,
        Name = Text(d, "Name") ?? "",
        Role = Text(d, "Role") ?? "",
        PasswordHash = Text(d, "PasswordHash") ?? "",
        MustChangePassword = d["MustChangePassword"].IsBoolean && d["MustChangePassword"].AsBoolean,
        Disabled = d["Disabled"].IsBoolean && d["Disabled"].AsBoolean,
        FailedSignIns = d["FailedSignIns"].IsNumber ? d["FailedSignIns"].AsInt32 : 0,
        LockedUntil = d["LockedUntil"].IsDateTime ? d["LockedUntil"].AsDateTime.ToUniversalTime() : null,
        CreatedAt = d["CreatedAt"].IsDateTime ? d["CreatedAt"].AsDateTime.ToUniversalTime() : default,
        SecurityStamp = Text(d, "SecurityStamp") ?? "",
        SecurityStampReason = Text(d, "SecurityStampReason"),
    };

    private static string? Text(BsonDocument d, string name) => d[name].IsString ? d[name].AsString : null;
}
