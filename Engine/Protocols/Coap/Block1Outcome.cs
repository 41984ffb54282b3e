namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>What <see cref="Block1Reassembler.Accept(CoapEndpoint, string, CoapBlockOption, ReadOnlySpan{byte}, ushort?, uint?)"/> decided for one block.</summary>
public enum Block1Outcome
{
    /// <summary>Block taken, more to come: answer 2.31 Continue echoing <see cref="Block1Result.Block"/> (M=1) (RFC 7959 §2.3, §2.9.1).</summary>
    Continue = 0,

    /// <summary>The last block (M=0) arrived: <see cref="Block1Result.Body"/> is the whole body; echo <see cref="Block1Result.Block"/> (M=0) in the final response (RFC 7959 Figure 7).</summary>
    Complete,

    /// <summary>The block is refused: answer <see cref="Block1Result.ResponseCode"/> (4.00, 4.02, 4.08, 4.13 or 5.03).</summary>
    Error,
}
