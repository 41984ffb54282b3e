namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// The options of a parsed message, in wire order (ascending number), optionally only those of
/// one number. Enumerating allocates nothing: <c>foreach (CoapOption o in message.Options)</c>.
/// </summary>
public readonly ref struct CoapOptionCollection
{
    private readonly ReadOnlySpan<byte> _encoded;
    private readonly int _only;

    internal CoapOptionCollection(ReadOnlySpan<byte> encoded, int only)
    {
        _encoded = encoded;
        _only = only;
    }

    /// <summary>Returns the allocation-free enumerator.</summary>
    public CoapOptionEnumerator GetEnumerator() => new(_encoded, _only);

    /// <summary>How many option instances there are (walks the options).</summary>
    public int Count()
    {
        int count = 0;
        foreach (CoapOption _ in this)
        {
            count++;
        }

        return count;
    }
}
