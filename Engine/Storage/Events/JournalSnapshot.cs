namespace OpsConsole.Engine.Storage.Events;

/// <summary>
/// A prefix of the <see cref="EventJournal"/> for a backup, copied while the journal keeps taking appends:
/// the segments are held open from <see cref="EventJournal.BeginSnapshot"/> on, <see cref="Seal"/> fixes each one's
/// length under the journal's append lock, and <see cref="CopySegment"/> copies exactly that many bytes. The journal
/// is append-only (a failed append is cut off again only beyond the length it started at), so the bytes below a
/// sealed length never change: the copy is a valid journal holding every record acknowledged before the seal.
/// </summary>
public sealed class JournalSnapshot : IDisposable
{
    private readonly EventJournal _journal;
    private readonly SortedDictionary<string, FileStream> _open = new(StringComparer.Ordinal); // names are zero-padded: oldest first
    private List<(string Name, long Length)>? _sealed;

    internal JournalSnapshot(EventJournal journal) => _journal = journal;

    /// <summary>The segments (file names, oldest first) and their lengths; available once sealed.</summary>
    public IReadOnlyList<(string Name, long Length)> Segments => _sealed ?? throw new InvalidOperationException("the snapshot is not sealed yet");

    /// <summary>Fixes the prefix to copy (see <see cref="EventJournal"/>): call once, at the backup's moment.</summary>
    public void Seal() => _journal.Seal(this);

    /// <summary>Copies the sealed prefix of one segment to <paramref name="destination"/>.</summary>
    public void CopySegment(string name, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        long length = Segments.First(s => s.Name == name).Length;
        var source = _open[name];
        source.Position = 0;
        var buffer = new byte[1 << 16];
        long left = length;
        while (left > 0)
        {
            int n = source.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0)
            {
                throw new IOException($"journal segment {name} is shorter than its sealed length {length}");
            }

            destination.Write(buffer, 0, n);
            left -= n;
        }
    }

    internal void Open(string path)
    {
        string name = Path.GetFileName(path);
        if (_open.ContainsKey(name))
        {
            return;
        }

        try
        {
            _open[name] = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            // Deleted since it was listed (retention): its events are in the store's checkpoint.
        }
    }

    internal void FixLengths((string Name, long Length)? cutBack)
    {
        _sealed = [.. _open.Select(kv => (kv.Key, cutBack is { } cut && cut.Name == kv.Key ? Math.Min(cut.Length, kv.Value.Length) : kv.Value.Length))];
    }

    public void Dispose()
    {
        foreach (var stream in _open.Values)
        {
            stream.Dispose();
        }

        _open.Clear();
    }
}
