namespace OpsConsole.Engine.Topology;

/// <summary>
/// A read-only stream that reports how much of the inner stream has been read, at most once per
/// <see cref="Step"/> bytes (and once at the end): progress in the log while a large network file is read.
/// </summary>
internal sealed class ProgressStream(Stream inner, Action<long, long> report) : Stream
{
    public const long Step = 64L << 20;

    private readonly long _total = inner.CanSeek ? inner.Length : -1;
    private long _read;
    private long _nextReport = Step;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Counted(inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Counted(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Counted(int n)
    {
        _read += n;
        if (_read >= _nextReport || (n == 0 && _nextReport != long.MaxValue))
        {
            _nextReport = n == 0 ? long.MaxValue : _read + Step;
            report(_read, _total);
        }

        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
