using System.Security.Cryptography;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols.Dlms;
using OpsConsole.Engine.Security;

namespace OpsConsole.Engine.Tests.Dlms;

/// <summary>Wire fixtures shared by the DLMS tests; every hex literal names its source.</summary>
internal static class DlmsFixtures
{
    // ---- DLMS UA 1000-2 "Green Book", suite 0 AES-GCM example (authenticated encryption of an xDLMS
    // InitiateRequest). Reproduced byte for byte in public DLMS stacks' tests, e.g. u9n/dlms-cosem
    // tests/test_xdlms/test_initiate.py (TestGlobalCipherInitiateRequest, commit 23f068ad) as the
    // glo-initiate-request "21 30 30 01234567 801302FF…6855", and openmuc jDLMS / a Go DLMS stack
    // (TestCipherData). Cross-checked on this machine with pyca/cryptography 48 (AESGCM).
    public static readonly byte[] GreenBookSystemTitle = Hex.Bytes("4D 4D 4D 00 00 BC 61 4E");
    public const uint GreenBookInvocationCounter = 0x01234567;
    public static readonly byte[] GreenBookEk = Hex.Bytes("00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F");
    public static readonly byte[] GreenBookAk = Hex.Bytes("D0 D1 D2 D3 D4 D5 D6 D7 D8 D9 DA DB DC DD DE DF");

    // xDLMS InitiateRequest (dedicated key 00112233…EEFF, conformance 00 7E 1F, max PDU 04 B0).
    public static readonly byte[] GreenBookPlaintext = Hex.Bytes(
        "01 01 10 00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF 00 00 06 5F 1F 04 00 00 7E 1F 04 B0");

    public static readonly byte[] GreenBookCiphertext = Hex.Bytes(
        "80 13 02 FF 8A 78 74 13 3D 41 4C ED 25 B4 25 34 D2 8D B0 04 77 20 60 6B 17 5B D5 22 11 BE 68");

    public static readonly byte[] GreenBookTag = Hex.Bytes("41 DB 20 4D 39 EE 6F DB 8E 35 68 55");

    // The same ciphered content in this contract's general-glo-ciphering frame (wire-format.md §2):
    // DB, 08 + system title, length 0x30 (= 1 + 4 + 31 + 12), SC 30, IC, ciphertext, tag.
    public static readonly byte[] GreenBookFrame = Hex.Bytes(
        "DB 08 4D 4D 4D 00 00 BC 61 4E 30 30 01 23 45 67" +
        "80 13 02 FF 8A 78 74 13 3D 41 4C ED 25 B4 25 34 D2 8D B0 04 77 20 60 6B 17 5B D5 22 11 BE 68" +
        "41 DB 20 4D 39 EE 6F DB 8E 35 68 55");

    // Second published vector with the same keys and IC: Get-Request for the clock's attribute 2
    // "C0 01 00 00 08 00 00 01 00 00 FF 02 00" (u9n/dlms-cosem tests/test_security.py,
    // test_encrypt_authenticated / test_decrypt_authenticated). Ciphertext ‖ 12-byte tag:
    public static readonly byte[] GetRequestPlaintext = Hex.Bytes("C0 01 00 00 08 00 00 01 00 00 FF 02 00");
    public static readonly byte[] GetRequestCipheredWithTag = Hex.Bytes(
        "41 13 12 FF 93 5A 47 56 68 27 C4 67 BC 7D 82 5C 3B E4 A7 7C 3F CC 05 6B 6B");

    // ---- This system's end-to-end vector, computed independently with Python 3 + pyca/cryptography 48
    // (HKDF + AESGCM) from wire-format.md §2–4 by make_vectors.py in this folder:
    // master key 00 01 … 1F; GUID 4faa59a2-e276-509b-bdc4-9d6ddc1abe43; system title 4D4D4D0000BC614E; IC 1.
    public static readonly byte[] MasterKey = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    public static readonly Guid MeterGuid = Guid.Parse("4faa59a2-e276-509b-bdc4-9d6ddc1abe43");
    public static readonly byte[] MeterGuidNetworkOrder = Hex.Bytes("4F AA 59 A2 E2 76 50 9B BD C4 9D 6D DC 1A BE 43");
    public static readonly byte[] MeterEk = Hex.Bytes("09 91 06 C9 E7 18 B0 45 16 E2 03 4C C8 6B AA 0C");
    public static readonly byte[] MeterAk = Hex.Bytes("7B E5 27 0D 0E EE 21 BA C1 82 90 46 50 CB B3 30");
    public const ulong MeterSystemTitle = 0x4D4D4D0000BC614EUL;

    // Data-Notification: invoke 0x80000001 (high priority), send time 2024-05-01 12:00:00.00 UTC (Wednesday),
    // power down, event id 42, epoch 3, event time 11:59:59.50, 3650 mV, −87 dBm.
    public static readonly byte[] NotificationPlaintext = Hex.Bytes(
        "0F 80 00 00 01" +
        "0C 07 E8 05 01 03 0C 00 00 00 00 00 00" +
        "02 07" +
        "09 10 4F AA 59 A2 E2 76 50 9B BD C4 9D 6D DC 1A BE 43" +
        "11 01" +
        "06 00 00 00 2A" +
        "12 00 03" +
        "09 0C 07 E8 05 01 03 0B 3B 3B 32 00 00 00" +
        "12 0E 42" +
        "0F A9");

    public static readonly byte[] NotificationFrame = Hex.Bytes(
        "DB 08 4D 4D 4D 00 00 BC 61 4E 54 30 00 00 00 01" +
        "D6 16 B4 F0 FE 70 FF CA 72 51 21 71 D4 85 9B FB 94 67 BD E5 66 BA 60 BF 60 B1 DC CB FA 89 77 6C" +
        "4B 43 17 35 18 06 02 6F 49 01 15 B9 F3 AF 86 9A 2A DC 77 7B 2D 88 04 31 82 C7 80 A0 08 4E 00 07" +
        "20 E7 75" +
        "7B 47 13 03 93 A2 7A CB E2 7F E3 CA");

    public static MeterEvent NotificationEvent => new(
        MeterGuid,
        MeterEventCode.PowerDown,
        EventId: 42,
        Epoch: 3,
        SendTime: new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero),
        EventTime: new DateTimeOffset(2024, 5, 1, 11, 59, 59, 500, TimeSpan.Zero),
        CapacitorMillivolts: 3650,
        RssiDbm: -87,
        InvokeIdAndPriority: 0x8000_0001);

    public static AesGcm NewGcm(byte[] ek) => new(ek, GeneralGloCiphering.AuthenticationTagSize);

    /// <summary>Encrypts <paramref name="plaintext"/> into a complete frame.</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, MeterKeys keys, ulong systemTitle, uint invocationCounter)
    {
        Span<byte> title = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(title, systemTitle);
        using var gcm = new AesGcm(keys.EncryptionKey, GeneralGloCiphering.AuthenticationTagSize);
        var frame = new byte[GeneralGloCiphering.GetEncryptedLength(plaintext.Length)];
        Assert.True(GeneralGloCiphering.TryEncrypt(title, invocationCounter, plaintext, gcm, keys.AuthenticationKey, frame, out int written));
        Assert.Equal(frame.Length, written);
        return frame;
    }
}

/// <summary>A registry fake: system title → (GUID, keys).</summary>
internal sealed class DictionaryKeyLookup : IMeterKeyLookup
{
    private readonly Dictionary<ulong, MeterCredentials> _meters = [];

    public DictionaryKeyLookup Add(ulong systemTitle, Guid meterId, MeterKeys keys)
    {
        _meters[systemTitle] = new MeterCredentials(meterId, keys);
        return this;
    }

    public bool TryGetMeter(ulong systemTitle, out MeterCredentials credentials) => _meters.TryGetValue(systemTitle, out credentials);
}
