namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// Which options the head-end understands, and the RFC 7252 §5.4.1 check that follows from it:
/// a request carrying a critical option the server does not recognise is answered 4.02 Bad
/// Option (CON) or rejected (NON), never processed.
/// </summary>
public static class CoapOptionPolicy
{
    /// <summary>
    /// True for the options the head-end processes: If-Match (1), Uri-Host (3), If-None-Match (5),
    /// Uri-Port (7), Uri-Path (11), Content-Format (12), Uri-Query (15), Accept (17), Block1 (27)
    /// and Size1 (60).
    /// </summary>
    public static bool IsRecognized(int optionNumber) => optionNumber switch
    {
        CoapOptionNumber.IfMatch or CoapOptionNumber.UriHost or CoapOptionNumber.IfNoneMatch
            or CoapOptionNumber.UriPort or CoapOptionNumber.UriPath or CoapOptionNumber.ContentFormat
            or CoapOptionNumber.UriQuery or CoapOptionNumber.Accept or CoapOptionNumber.Block1
            or CoapOptionNumber.Size1 => true,
        _ => false,
    };

    /// <summary>
    /// Finds the first critical option the head-end must treat as unrecognised: one it does not
    /// know (RFC 7252 §5.4.1); one it knows whose value length is outside the defined range
    /// (§5.4.3, e.g. a 4-byte Block1); or a second instance of a non-repeatable one (§5.4.5,
    /// e.g. two Block1 options — RFC 7959 §2.1). Unrecognised elective options are ignored.
    /// </summary>
    /// <returns>True when the caller must answer 4.02 Bad Option (to a CON) instead of processing.</returns>
    public static bool TryFindUnrecognizedCritical(in CoapMessageView message, out ushort optionNumber)
    {
        int previous = -1;
        foreach (CoapOption option in message.Options)
        {
            int number = option.Number;
            if (CoapOptionNumber.IsCritical(number)
                && (!IsRecognized(number)
                    || !IsLengthAllowed(number, option.Value.Length)
                    || (number == previous && !IsRepeatable(number))))
            {
                optionNumber = option.Number;
                return true;
            }

            previous = number;
        }

        optionNumber = 0;
        return false;
    }

    /// <summary>The value length ranges of RFC 7252 Table 4 and RFC 7959 Tables 1 and 3.</summary>
    private static bool IsLengthAllowed(int optionNumber, int length) => optionNumber switch
    {
        CoapOptionNumber.IfMatch => length <= 8,
        CoapOptionNumber.UriHost => length is >= 1 and <= 255,
        CoapOptionNumber.IfNoneMatch => length == 0,
        CoapOptionNumber.UriPort or CoapOptionNumber.ContentFormat or CoapOptionNumber.Accept => length <= 2,
        CoapOptionNumber.UriPath or CoapOptionNumber.UriQuery => length <= 255,
        CoapOptionNumber.Block1 or CoapOptionNumber.Block2 => length <= 3,
        CoapOptionNumber.Size1 => length <= 4,
        _ => true,
    };

    private static bool IsRepeatable(int optionNumber) =>
        optionNumber is CoapOptionNumber.IfMatch or CoapOptionNumber.UriPath or CoapOptionNumber.UriQuery;
}
