namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// A Block1 transfer whose next block did not arrive in time (RFC 7959 §2.5): the caller logs it
/// as <c>ERR_PACKET_FRAGMENTED</c> (wire-format.md §1).
/// </summary>
/// <param name="Source">Who was sending.</param>
/// <param name="Path">The resource it was sent to, e.g. <c>/ami/ev</c>.</param>
/// <param name="Received">The contiguous bytes received before the transfer stalled.</param>
/// <param name="BlocksReceived">How many blocks were taken.</param>
/// <param name="LastBlockAt">When the last block was taken.</param>
public sealed record AbandonedBlock1Transfer(
    CoapEndpoint Source,
    string Path,
    ReadOnlyMemory<byte> Received,
    int BlocksReceived,
    DateTimeOffset LastBlockAt);
