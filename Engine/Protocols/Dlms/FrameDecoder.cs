using OpsConsole.Engine.Security;

namespace OpsConsole.Engine.Protocols.Dlms;

/// <summary>
/// The ingest path's APDU decoder: <c>general-glo-ciphering</c> (wire-format.md §2) → registry lookup
/// (§4) → AES-GCM authenticate/decrypt → <c>Data-Notification</c> (§3) → GUID check (§4).
/// Pure: no I/O, no logging, no allocation on the happy path once a meter's GCM object is cached.
/// </summary>
/// <remarks>
/// <para>
/// Not thread-safe: each ingest worker owns one decoder (it holds the worker's
/// <see cref="MeterCipherCache"/> and plaintext buffer); the <see cref="IMeterKeyLookup"/> is shared.
/// </para>
/// <para>
/// Checks run in this order, and the first failure decides: frame structure (Malformed / Truncated /
/// UnsupportedSecurity) → system title known (UnknownSystemTitle) → tag verifies (AuthenticationFailed)
/// → plaintext is a Data-Notification (NotADataNotification / Malformed) → decrypted GUID equals the
/// registered one (RogueGuid). Nothing unauthenticated is parsed beyond the outer header, and key
/// material is derived only for registered meters. Invocation-counter replay state and the §5
/// validations belong to the ingest stage, which gets the counter in the result.
/// </para>
/// </remarks>
public sealed class FrameDecoder : IDisposable
{
    private const int InitialBufferSize = 256;

    private readonly IMeterKeyLookup _lookup;
    private readonly MeterCipherCache _ciphers;
    private byte[] _plaintext = new byte[InitialBufferSize];

    /// <param name="lookup">The shared, thread-safe registry lookup.</param>
    /// <param name="cipherCacheCapacity">Slots of this worker's <see cref="MeterCipherCache"/>.</param>
    public FrameDecoder(IMeterKeyLookup lookup, int cipherCacheCapacity = 256)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        _lookup = lookup;
        _ciphers = new MeterCipherCache(cipherCacheCapacity);
    }

    /// <summary>This worker's GCM cache (hit/miss counts for diagnostics).</summary>
    public MeterCipherCache Ciphers => _ciphers;

    /// <summary>Decodes one CoAP payload. Never throws on any input.</summary>
    public FrameDecodeResult Decode(ReadOnlySpan<byte> apdu)
    {
        if (!GeneralGloCiphering.TryParse(apdu, out var frame, out var error))
        {
            var status = error switch
            {
                DlmsFrameError.Truncated => FrameDecodeStatus.Truncated,
                DlmsFrameError.UnsupportedSecurityControl => FrameDecodeStatus.UnsupportedSecurity,
                _ => FrameDecodeStatus.Malformed,
            };
            return new FrameDecodeResult
            {
                Status = status,
                Error = error,
                SystemTitle = frame.HasSystemTitle ? frame.SystemTitleValue : null,
                InvocationCounter = frame.HasInvocationCounter ? frame.InvocationCounter : null,
            };
        }

        ulong systemTitle = frame.SystemTitleValue;
        uint invocationCounter = frame.InvocationCounter;
        if (!_lookup.TryGetMeter(systemTitle, out var meter) || meter.Keys is null)
        {
            return new FrameDecodeResult
            {
                Status = FrameDecodeStatus.UnknownSystemTitle,
                SystemTitle = systemTitle,
                InvocationCounter = invocationCounter,
            };
        }

        if (_plaintext.Length < frame.Ciphertext.Length)
        {
            _plaintext = new byte[Math.Max(frame.Ciphertext.Length, _plaintext.Length * 2)];
        }

        var cipher = _ciphers.Get(meter.MeterId, meter.Keys.EncryptionKey);
        if (!frame.TryDecrypt(cipher, meter.Keys.AuthenticationKey, _plaintext, out int length))
        {
            return new FrameDecodeResult
            {
                Status = FrameDecodeStatus.AuthenticationFailed,
                Error = DlmsFrameError.AuthenticationFailed,
                SystemTitle = systemTitle,
                InvocationCounter = invocationCounter,
                RegisteredMeterId = meter.MeterId,
            };
        }

        var plaintext = _plaintext.AsSpan(0, length);
        try
        {
            if (!DataNotification.TryParse(plaintext, out var meterEvent, out error))
            {
                bool notADataNotification = error == DlmsFrameError.NotADataNotification;
                return new FrameDecodeResult
                {
                    Status = notADataNotification ? FrameDecodeStatus.NotADataNotification : FrameDecodeStatus.Malformed,
                    Error = error,
                    SystemTitle = systemTitle,
                    InvocationCounter = invocationCounter,
                    RegisteredMeterId = meter.MeterId,
                    PlaintextTag = notADataNotification && length > 0 ? plaintext[0] : null,
                };
            }

            return new FrameDecodeResult
            {
                Status = meterEvent.MeterId == meter.MeterId ? FrameDecodeStatus.Ok : FrameDecodeStatus.RogueGuid,
                Event = meterEvent,
                SystemTitle = systemTitle,
                InvocationCounter = invocationCounter,
                RegisteredMeterId = meter.MeterId,
            };
        }
        finally
        {
            plaintext.Clear(); // no plaintext left behind in the worker's buffer
        }
    }

    /// <summary>Disposes this worker's GCM objects.</summary>
    public void Dispose() => _ciphers.Dispose();
}
