using LiteDB;

namespace OpsConsole.Engine.Storage.LiteDb;

/// <summary>LiteDB's own exception never leaves this folder: it becomes a <see cref="StorageException"/> (an <see cref="IOException"/>).</summary>
internal static class LiteErrors
{
    public static T Guard<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (LiteException ex)
        {
            throw new StorageException($"LiteDB: {ex.Message}", ex);
        }
    }

    public static void Guard(Action work)
    {
        try
        {
            work();
        }
        catch (LiteException ex)
        {
            throw new StorageException($"LiteDB: {ex.Message}", ex);
        }
    }
}
