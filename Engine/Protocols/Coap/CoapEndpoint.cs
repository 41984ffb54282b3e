using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// A CoAP endpoint without security: an IP address and a UDP port (RFC 7252 §4.1), as an
/// immutable value usable as a dictionary key without allocating. An IPv4 address and its
/// IPv4-mapped IPv6 form (what a dual-mode socket reports) are the same endpoint.
/// </summary>
public readonly struct CoapEndpoint : IEquatable<CoapEndpoint>
{
    private readonly UInt128 _address;
    private readonly long _scopeId;
    private readonly ushort _port;

    private CoapEndpoint(UInt128 address, long scopeId, ushort port)
    {
        _address = address;
        _scopeId = scopeId;
        _port = port;
    }

    /// <summary>The UDP port.</summary>
    public int Port => _port;

    /// <summary>The endpoint of a received datagram.</summary>
    public static CoapEndpoint From(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return From(endpoint.Address, endpoint.Port);
    }

    /// <summary>The endpoint of an address and a port (0–65535).</summary>
    public static CoapEndpoint From(IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        if ((uint)port > ushort.MaxValue)
        {
            CoapThrowHelper.ThrowArgumentOutOfRange(nameof(port), "A UDP port is 0-65535.");
        }

        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        long scopeId = 0;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            // ::ffff:a.b.c.d (RFC 4291 §2.5.5.2), so both spellings of one IPv4 peer compare equal.
            bytes[10] = 0xFF;
            bytes[11] = 0xFF;
            address.TryWriteBytes(bytes[12..], out _);
        }
        else
        {
            address.TryWriteBytes(bytes, out _);
            scopeId = address.ScopeId;
        }

        return new CoapEndpoint(BinaryPrimitives.ReadUInt128BigEndian(bytes), scopeId, (ushort)port);
    }

    /// <summary>The same address with another port (port 0: the address alone, e.g. as a per-host key).</summary>
    public CoapEndpoint WithPort(ushort port) => new(_address, _scopeId, port);

    /// <summary>The endpoint as an <see cref="IPEndPoint"/>; IPv4-mapped addresses come back as IPv4.</summary>
    public IPEndPoint ToIPEndPoint()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, _address);
        var address = new IPAddress(bytes, _scopeId);
        return new IPEndPoint(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, _port);
    }

    public bool Equals(CoapEndpoint other) =>
        _address == other._address && _port == other._port && _scopeId == other._scopeId;

    public override bool Equals(object? obj) => obj is CoapEndpoint other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_address, _port, _scopeId);

    /// <summary>e.g. <c>192.0.2.10:5683</c> or <c>[2001:db8::1]:5683</c>.</summary>
    public override string ToString() => ToIPEndPoint().ToString();

    public static bool operator ==(CoapEndpoint left, CoapEndpoint right) => left.Equals(right);

    public static bool operator !=(CoapEndpoint left, CoapEndpoint right) => !left.Equals(right);
}
