using LiteDB;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Engine.Correlation.Hosting;

/// <summary>Operator actions and remaps in LiteDB, in the order they were made.</summary>
public sealed class OperatorActionStore(LiteStore store)
{
    public const string CollectionName = "operatorActions";

    private ILiteCollection<OperatorAction> Collection => store.Database.GetCollection<OperatorAction>(CollectionName);

    public void Add(OperatorAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        action.Id = 0; // auto id: insertion order
        Collection.Insert(action);
    }

    /// <summary>Every action in insertion order: the order they were applied live.</summary>
    public IReadOnlyList<OperatorAction> All() =>
        [.. Collection.FindAll().OrderBy(a => a.Id)];
}
