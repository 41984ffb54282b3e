
namespace OpsConsole.Engine.Storage;

/// <summary>
/// Operator actions and remaps, in the order they were made (replayed at start, see <see cref="OperatorAction"/>).
/// Contract (OperatorActionStoreContract): <see cref="Add"/> assigns <see cref="OperatorAction.Id"/> increasing in
/// insertion order; <see cref="All"/> returns every action in that order with every field as added;
/// <see cref="DeleteBefore"/> removes exactly the actions whose <see cref="OperatorAction.At"/> is before the
/// horizon; one writer at a time, readers meanwhile see each action whole or not at all.
/// </summary>
public interface IOperatorActionStore
{
    /// <summary>Stores the action; sets its <see cref="OperatorAction.Id"/>.</summary>
    void Add(OperatorAction action);

    /// <summary>Every action in insertion order: the order they were applied live.</summary>
    IReadOnlyList<OperatorAction> All();

    /// <summary>Deletes the actions made before <paramref name="horizon"/>; how many went.</summary>
    int DeleteBefore(DateTimeOffset horizon);
}
