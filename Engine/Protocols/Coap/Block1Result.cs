namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>The decision for one Block1 block and what the response carries.</summary>
public readonly struct Block1Result
{
    private Block1Result(
        Block1Outcome outcome, byte responseCode, CoapBlockOption? block, ReadOnlyMemory<byte> body, uint? maxAge = null, bool sourceLimited = false)
    {
        Outcome = outcome;
        ResponseCode = responseCode;
        Block = block;
        Body = body;
        MaxAge = maxAge;
        SourceLimited = sourceLimited;
    }

    /// <summary>Continue, Complete or Error.</summary>
    public Block1Outcome Outcome { get; }

    /// <summary>
    /// The response code: 2.31 for <see cref="Block1Outcome.Continue"/>; for
    /// <see cref="Block1Outcome.Error"/> 4.00 (SZX 7, or a non-final block whose payload is not
    /// the block size), 4.02 (Block1 value longer than 3 bytes), 4.08 (block out of sequence, or
    /// no transfer to continue), 4.13 (body larger than the maximum; send Size1) or 5.03 (too
    /// many transfers in progress, overall or from the sender's address; see <see cref="MaxAge"/>); 0 for <see cref="Block1Outcome.Complete"/>, whose code the
    /// caller decides after processing the body.
    /// </summary>
    public byte ResponseCode { get; }

    /// <summary>The Block1 value to echo in the response (control usage, RFC 7959 §2.3); null when the request had none.</summary>
    public CoapBlockOption? Block { get; }

    /// <summary>For a 5.03: the Max-Age option to send, seconds after which the sender may retry (RFC 7252 §5.9.3.4).</summary>
    public uint? MaxAge { get; }

    /// <summary>A 5.03 because the sender's address holds its share of transfers already (not the global limit).</summary>
    public bool SourceLimited { get; }

    /// <summary>The reassembled body, for <see cref="Block1Outcome.Complete"/>; memory the reassembler no longer touches, so the caller owns it.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    internal static Block1Result Continue(CoapBlockOption block) =>
        new(Block1Outcome.Continue, CoapCode.Continue, block.WithMore(true), default);

    internal static Block1Result Complete(CoapBlockOption? block, ReadOnlyMemory<byte> body) =>
        new(Block1Outcome.Complete, 0, block, body);

    internal static Block1Result Error(byte code, CoapBlockOption? block) =>
        new(Block1Outcome.Error, code, block, default);

    internal static Block1Result Unavailable(CoapBlockOption block, uint maxAge, bool sourceLimited) =>
        new(Block1Outcome.Error, CoapCode.ServiceUnavailable, block, default, maxAge, sourceLimited);
}
