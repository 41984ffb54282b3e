using System.Text;

namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// A resource path as its Uri-Path options (RFC 7252 §5.10.1, §6.4): one UTF-8 segment per
/// option, in order. Built once, then matched against requests without allocating.
/// </summary>
public sealed class CoapUriPath
{
    private readonly byte[][] _segments;
    private readonly string _text;

    /// <summary>Creates a path from its segments, e.g. <c>new CoapUriPath("ami", "ev")</c> for <c>/ami/ev</c>.</summary>
    public CoapUriPath(params string[] segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        _segments = new byte[segments.Length][];
        for (int i = 0; i < segments.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(segments[i], nameof(segments));
            _segments[i] = Encoding.UTF8.GetBytes(segments[i]);
            if (_segments[i].Length > byte.MaxValue)
            {
                CoapThrowHelper.ThrowArgument(nameof(segments), "A Uri-Path segment is 0-255 bytes (RFC 7252 §5.10.1).");
            }
        }

        _text = "/" + string.Join('/', segments);
    }

    /// <summary><c>/ami/ev</c>: where meters POST their events (wire-format.md §1).</summary>
    public static CoapUriPath AmiEvents { get; } = new("ami", "ev");

    /// <summary>The number of segments.</summary>
    public int SegmentCount => _segments.Length;

    /// <summary>One segment's UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> GetSegment(int index) => _segments[index];

    /// <summary>True when the message's Uri-Path options are exactly these segments, in order (byte-wise, RFC 7252 §3.2 "string").</summary>
    public bool Matches(in CoapMessageView message)
    {
        int index = 0;
        foreach (CoapOption option in message.GetOptions(CoapOptionNumber.UriPath))
        {
            if (index >= _segments.Length || !option.Value.SequenceEqual(_segments[index]))
            {
                return false;
            }

            index++;
        }

        return index == _segments.Length;
    }

    /// <summary>Appends the Uri-Path options (the caller keeps option order: nothing above 11 may precede them).</summary>
    public bool TryWrite(ref CoapWriter writer)
    {
        foreach (byte[] segment in _segments)
        {
            if (!writer.TryWriteOption(CoapOptionNumber.UriPath, segment))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A message's path as text, e.g. <c>/ami/ev</c>, for logs (allocates; invalid UTF-8 becomes U+FFFD).</summary>
    public static string Format(in CoapMessageView message)
    {
        var text = new StringBuilder();
        foreach (CoapOption option in message.GetOptions(CoapOptionNumber.UriPath))
        {
            text.Append('/').Append(Encoding.UTF8.GetString(option.Value));
        }

        return text.Length == 0 ? "/" : text.ToString();
    }

    /// <summary>The path as text, e.g. <c>/ami/ev</c>.</summary>
    public override string ToString() => _text;
}
