namespace OpsConsole.Engine.Storage;

/// <summary>
/// A store could not do what was asked (disk full, damaged file, the backend unreachable), whatever the backend.
/// An <see cref="IOException"/>: callers that already wait out disk errors (the indexer, the audit queue) wait this
/// one out the same way. Implementations wrap their own exceptions in it; no backend's exception type leaves
/// its folder.
/// </summary>
public sealed class StorageException : IOException
{
    public StorageException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    public StorageException()
    {
    }

    public StorageException(string message)
        : base(message)
    {
    }
}
