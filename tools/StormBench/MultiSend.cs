using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OpsConsole.Tools.StormBench;

/// <summary>
/// Linux <c>sendmmsg(2)</c> on connected sockets: the sender queues each socket's due datagrams and hands them to the
/// kernel up to <see cref="BatchSize"/> at a time. Real gasps come from meters and gateways on other machines; on this
/// machine the bench's sender shares the two cores with the server under test, so the sender should cost as little as
/// it can (one <c>send</c> a datagram: ~21 % of the two cores at 100,000/s, perf 2026-12-06).
/// </summary>
internal sealed unsafe partial class MultiSend : IDisposable
{
    public const int BatchSize = 64;
    private const int EINTR = 4;

    private readonly Socket[] _sockets;
    private readonly MMsgHdr* _headers; // BatchSize per socket
    private readonly IoVec* _iovecs;
    private readonly int[] _counts;
    private readonly List<GCHandle> _pins = [];

    public MultiSend(Socket[] sockets)
    {
        _sockets = sockets;
        _headers = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(sockets.Length * BatchSize * sizeof(MMsgHdr)));
        _iovecs = (IoVec*)NativeMemory.AllocZeroed((nuint)(sockets.Length * BatchSize * sizeof(IoVec)));
        _counts = new int[sockets.Length];
    }

    public static bool Supported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    public long Sent { get; private set; }

    public long Errors { get; private set; }

    /// <summary>Pins the frames once, before the clock starts (they are sent from their managed arrays).</summary>
    public void Pin(byte[][] frames)
    {
        foreach (byte[] frame in frames)
        {
            _pins.Add(GCHandle.Alloc(frame, GCHandleType.Pinned));
        }
    }

    /// <summary>Queues <paramref name="frame"/> (pinned) on socket <paramref name="socket"/>; sends that socket's batch when full.</summary>
    public void Add(int socket, byte[] frame)
    {
        int n = _counts[socket];
        IoVec* iov = _iovecs + (socket * BatchSize) + n;
        iov->Base = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(frame));
        iov->Length = (nuint)frame.Length;
        MMsgHdr* h = _headers + (socket * BatchSize) + n;
        h->Iov = iov;
        h->IovLength = 1;
        _counts[socket] = n + 1;
        if (n + 1 == BatchSize)
        {
            Flush(socket);
        }
    }

    /// <summary>Sends everything queued, on every socket.</summary>
    public void FlushAll()
    {
        for (int s = 0; s < _sockets.Length; s++)
        {
            if (_counts[s] > 0)
            {
                Flush(s);
            }
        }
    }

    public void Dispose()
    {
        foreach (var pin in _pins)
        {
            pin.Free();
        }

        NativeMemory.Free(_headers);
        NativeMemory.Free(_iovecs);
    }

    private void Flush(int socket)
    {
        int count = _counts[socket];
        int done = 0;
        int fd = (int)_sockets[socket].Handle;
        while (done < count)
        {
            int n = SendMmsg(fd, _headers + (socket * BatchSize) + done, (uint)(count - done), 0);
            if (n < 0)
            {
                if (Marshal.GetLastPInvokeError() == EINTR)
                {
                    continue;
                }

                Errors += count - done; // as one send's SocketException a datagram
                break;
            }

            done += n;
        }

        Sent += done;
        _counts[socket] = 0;
    }

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    private static partial int SendMmsg(int socket, MMsgHdr* messages, uint count, int flags);

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary><c>struct mmsghdr</c>: a 56-byte <c>struct msghdr</c>, then the sent length (64-bit Linux).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    private struct MMsgHdr
    {
        [FieldOffset(0)] public byte* Name;
        [FieldOffset(8)] public uint NameLength;
        [FieldOffset(16)] public IoVec* Iov;
        [FieldOffset(24)] public nuint IovLength;
        [FieldOffset(32)] public void* Control;
        [FieldOffset(40)] public nuint ControlLength;
        [FieldOffset(48)] public int Flags;
        [FieldOffset(56)] public uint Length;
    }
}
