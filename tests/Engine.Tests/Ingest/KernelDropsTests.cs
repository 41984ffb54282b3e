using System.Net;
using System.Net.Sockets;
using OpsConsole.Engine.Ingest;

namespace OpsConsole.Engine.Tests.Ingest;

public sealed class KernelDropsTests
{
    // /proc/net/udp6 as Linux 6.x writes it: two sockets on port 0x1633 (5683) with 12 and 30 drops, one on another port.
    private const string Udp6 = """
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
         1093: 00000000000000000000000000000000:1633 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41234 2 0000000000000000 12
         1094: 00000000000000000000000000000000:1633 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41235 2 0000000000000000 30
         1200: 00000000000000000000000000000000:D431 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41236 2 0000000000000000 999
        """;

    [Fact]
    public void Sum_AddsTheDropsOfEverySocketOnThePort_Only()
    {
        Assert.Equal(42, KernelDrops.Sum(Udp6, 5683));
        Assert.Equal(999, KernelDrops.Sum(Udp6, 0xD431));
        Assert.Equal(0, KernelDrops.Sum(Udp6, 5684));
        Assert.Equal(0, KernelDrops.Sum("", 5683));
    }

    [Fact]
    public void Read_ABoundSocketOnLinux_IsFoundWithNoDrops()
    {
        using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
        socket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));

        Assert.Equal(0, KernelDrops.Read(((IPEndPoint)socket.LocalEndPoint!).Port));
    }
}
