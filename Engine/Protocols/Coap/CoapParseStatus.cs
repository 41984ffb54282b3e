namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// Outcome of <see cref="CoapMessage.TryParse"/>. Each value maps to exactly one reaction of a
/// server, so the listener can switch on it without looking at anything else.
/// </summary>
public enum CoapParseStatus
{
    /// <summary>A well-formed message; every field of the view is valid.</summary>
    Ok = 0,

    /// <summary>
    /// A message format error after a readable version-1 header (RFC 7252 §3, §3.1, §4.1): the
    /// view's <see cref="CoapMessageView.Type"/>, <see cref="CoapMessageView.MessageId"/> and, when it
    /// was readable, <see cref="CoapMessageView.Token"/> are valid, and
    /// <see cref="CoapMessageView.FormatError"/> says what was wrong. A CON is rejected with a
    /// matching RST (RFC 7252 §4.2); a NON is silently ignored (§4.3); an ACK or RST is silently
    /// ignored (§4.2).
    /// </summary>
    FormatError = 1,

    /// <summary>
    /// Fewer than the 4 header bytes. This is a format error too, but there is no Message ID a
    /// Reset could echo, so nothing can be answered: silently ignore it.
    /// </summary>
    HeaderTruncated = 2,

    /// <summary>
    /// The Version field is not 1. RFC 7252 §3: "Messages with unknown version numbers MUST be
    /// silently ignored" — never answer these with a RST. Type and Message ID are exposed for logging.
    /// </summary>
    UnsupportedVersion = 3,
}
