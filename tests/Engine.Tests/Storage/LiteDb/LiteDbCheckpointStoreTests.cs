using LiteDB;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.LiteDb;
using OpsConsole.Engine.Tests.Storage.Contracts;

namespace OpsConsole.Engine.Tests.Storage.LiteDb;

public sealed class LiteDbCheckpointStoreTests : CheckpointStoreContract
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "opsconsole-tests", Guid.NewGuid().ToString("N"));
    private LiteStore _lite;

    public LiteDbCheckpointStoreTests()
    {
        _lite = new LiteStore(_folder);
        Store = new LiteDbCheckpointStore(_lite);
    }

    protected override ICheckpointStore Store { get; }

    protected override ICheckpointStore Reopen()
    {
        _lite.Dispose();
        _lite = new LiteStore(_folder);
        return new LiteDbCheckpointStore(_lite);
    }

    protected override void Dispose(bool disposing)
    {
        _lite.Dispose();
        Directory.Delete(_folder, recursive: true);
        base.Dispose(disposing);
    }

    [Fact]
    public void Load_OfADamagedChunk_AMissingChunk_OrAnotherFormat_ThrowsInvalidData_SayingWhich()
    {
        Store.Save(Make(2_500_000, 9));
        var collection = _lite.Database.GetCollection(LiteDbCheckpointStore.CollectionName);

        var chunk = collection.FindById(2);
        var data = chunk["data"].AsBinary;
        data[100] ^= 1;
        chunk["data"] = data;
        collection.Update(chunk);
        Assert.Contains("CRC", Assert.Throws<InvalidDataException>(() => Store.Load()).Message, StringComparison.Ordinal);

        collection.Delete(3);
        Assert.Contains("chunk 3 of 3 is missing", Assert.Throws<InvalidDataException>(() => Store.Load()).Message, StringComparison.Ordinal);

        Store.Save(Make(2_500_000, 9)); // intact again
        var header = collection.FindById(0);
        header["format"] = LiteDbCheckpointStore.Format + 1;
        collection.Update(header);
        Assert.Contains("format", Assert.Throws<InvalidDataException>(() => Store.Load()).Message, StringComparison.Ordinal);

        header["format"] = new BsonValue("one");
        collection.Update(header);
        Assert.Throws<InvalidDataException>(() => Store.Load());
    }
}
