using System.Security.Cryptography;
using OpsConsole.Engine.Security;

namespace OpsConsole.Engine.Tests.Dlms;

public class MeterKeysTests
{
    [Fact]
    public void HkdfSha256_Rfc5869TestCase1_GivesPublishedOkm()
    {
        // RFC 5869 Appendix A.1 (Test Case 1: basic test case with SHA-256).
        var ikm = Hex.Bytes("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        var salt = Hex.Bytes("000102030405060708090a0b0c");
        var info = Hex.Bytes("f0f1f2f3f4f5f6f7f8f9");
        var okm = new byte[42];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, okm, salt, info);
        Assert.Equal(
            "3CB25F25FAACD57A90434F64D0362F2A2D2D0A90CF1A5A4C5DB02D56ECC4C5BF34007208D5B887185865",
            Hex.Of(okm));

        var prk = new byte[32];
        HKDF.Extract(HashAlgorithmName.SHA256, ikm, salt, prk);
        Assert.Equal("077709362C2E32DF0DDC3F0DC47BBA6390B6C73BB50F9C3122EC844AD7C2B3E5", Hex.Of(prk));
    }

    [Fact]
    public void Derive_ReferenceMeter_GivesIndependentlyComputedKeys()
    {
        // make_vectors.py: HKDF-SHA256(master 00..1F, salt empty, "EK"/"AK" ‖ GUID network order, 16).
        var keys = MeterKeys.Derive(DlmsFixtures.MasterKey, DlmsFixtures.MeterGuid);
        Assert.Equal(Hex.Of(DlmsFixtures.MeterEk), Hex.Of(keys.EncryptionKey));
        Assert.Equal(Hex.Of(DlmsFixtures.MeterAk), Hex.Of(keys.AuthenticationKey));
    }

    [Fact]
    public void Derive_InfoIsLabelThenNetworkOrderGuid_MatchesManualHkdf()
    {
        var info = Hex.Bytes("45 4B" + Hex.Of(DlmsFixtures.MeterGuidNetworkOrder)); // "EK" ‖ 4F AA 59 A2 …
        var expected = new byte[16];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, DlmsFixtures.MasterKey, expected, [], info);
        var actual = new byte[16];
        MeterKeys.DeriveEncryptionKey(DlmsFixtures.MasterKey, DlmsFixtures.MeterGuid, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Derive_DifferentMeters_DifferentKeysAndEkDiffersFromAk()
    {
        var a = MeterKeys.Derive(DlmsFixtures.MasterKey, DlmsFixtures.MeterGuid);
        var b = MeterKeys.Derive(DlmsFixtures.MasterKey, Guid.Parse("4faa59a2-e276-509b-bdc4-9d6ddc1abe44"));
        Assert.False(a.EncryptionKey.SequenceEqual(b.EncryptionKey));
        Assert.False(a.EncryptionKey.SequenceEqual(a.AuthenticationKey));
    }

    [Fact]
    public void Derive_MasterKeyNot32Bytes_Throws()
    {
        Assert.Throws<ArgumentException>(() => MeterKeys.Derive(new byte[16], DlmsFixtures.MeterGuid));
    }

    [Fact]
    public void ToString_NeverShowsKeyBytes()
    {
        var keys = MeterKeys.Derive(DlmsFixtures.MasterKey, DlmsFixtures.MeterGuid);
        var text = keys.ToString();
        Assert.DoesNotContain(Hex.Of(keys.EncryptionKey)[..8], text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Hex.Of(keys.AuthenticationKey)[..8], text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void MeterKeyCache_SameMeter_DerivesOnceAndReturnsSameInstance()
    {
        using var cache = new MeterKeyCache(DlmsFixtures.MasterKey);
        var first = cache.GetKeys(DlmsFixtures.MeterGuid);
        Assert.Same(first, cache.GetKeys(DlmsFixtures.MeterGuid));
        Assert.Equal(1, cache.Count);
        Assert.Equal(Hex.Of(DlmsFixtures.MeterEk), Hex.Of(first.EncryptionKey));
        Assert.True(cache.Forget(DlmsFixtures.MeterGuid));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void MeterKeyCache_ConcurrentFirstUse_EveryThreadGetsTheSameKeys()
    {
        using var cache = new MeterKeyCache(DlmsFixtures.MasterKey);
        var meters = Enumerable.Range(0, 64).Select(i => new Guid(i, 0, 0, new byte[8])).ToArray();
        var seen = new System.Collections.Concurrent.ConcurrentBag<(Guid, string)>();
        Parallel.For(0, 4096, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var id = meters[i % meters.Length];
            seen.Add((id, Hex.Of(cache.GetKeys(id).EncryptionKey)));
        });
        Assert.Equal(meters.Length, cache.Count);
        Assert.All(seen.GroupBy(s => s.Item1), g => Assert.Single(g.Select(s => s.Item2).Distinct()));
        Assert.All(meters, id => Assert.Equal(
            Hex.Of(MeterKeys.Derive(DlmsFixtures.MasterKey, id).EncryptionKey), Hex.Of(cache.GetKeys(id).EncryptionKey)));
    }

    [Fact]
    public void MeterCipherCache_SameMeterAndKey_ReusesTheObject()
    {
        using var cache = new MeterCipherCache(4);
        var a = cache.Get(DlmsFixtures.MeterGuid, DlmsFixtures.MeterEk);
        Assert.Same(a, cache.Get(DlmsFixtures.MeterGuid, DlmsFixtures.MeterEk));
        Assert.Equal(1, cache.Hits);
        Assert.Equal(1, cache.Misses);
        Assert.Equal(12, a.TagSizeInBytes);
    }

    [Fact]
    public void MeterCipherCache_KeyChangedForSameMeter_NewObject()
    {
        using var cache = new MeterCipherCache(4);
        var a = cache.Get(DlmsFixtures.MeterGuid, DlmsFixtures.MeterEk);
        var b = cache.Get(DlmsFixtures.MeterGuid, DlmsFixtures.MeterAk);
        Assert.NotSame(a, b);
        Assert.Equal(2, cache.Misses);
    }

    [Fact]
    public void MeterCipherCache_SlotCollision_EvictsAndDisposesTheOldObject()
    {
        using var cache = new MeterCipherCache(1);
        var a = cache.Get(DlmsFixtures.MeterGuid, DlmsFixtures.MeterEk);
        _ = cache.Get(Guid.NewGuid(), DlmsFixtures.MeterEk);
        Assert.Throws<ObjectDisposedException>(() => a.Encrypt(new byte[12], Array.Empty<byte>(), Array.Empty<byte>(), new byte[12]));
        Assert.NotSame(a, cache.Get(DlmsFixtures.MeterGuid, DlmsFixtures.MeterEk));
        Assert.Equal(3, cache.Misses);
    }

    [Fact]
    public void MeterCipherCache_MetersOfOneSet_StayTogether_AndTheLeastRecentlyUsedGoesFirst()
    {
        using var cache = new MeterCipherCache(MeterCipherCache.Ways); // one set: every meter hashes to it
        var meters = Enumerable.Range(0, MeterCipherCache.Ways + 1).Select(_ => Guid.NewGuid()).ToArray();
        var ciphers = meters.Take(MeterCipherCache.Ways).Select(m => cache.Get(m, DlmsFixtures.MeterEk)).ToArray();
        for (int i = 1; i < MeterCipherCache.Ways; i++)
        {
            Assert.Same(ciphers[i], cache.Get(meters[i], DlmsFixtures.MeterEk)); // meter 0 is now the least recently used
        }

        _ = cache.Get(meters[^1], DlmsFixtures.MeterEk);

        Assert.Equal(MeterCipherCache.Ways - 1, cache.Hits);
        Assert.Throws<ObjectDisposedException>(() => ciphers[0].Encrypt(new byte[12], Array.Empty<byte>(), Array.Empty<byte>(), new byte[12]));
        Assert.Same(ciphers[1], cache.Get(meters[1], DlmsFixtures.MeterEk));
    }

    [Fact]
    public void MeterCipherCache_KeyChanged_ReplacesTheMetersOldObject()
    {
        using var cache = new MeterCipherCache(MeterCipherCache.Ways);
        var old = cache.Get(DlmsFixtures.MeterGuid, DlmsFixtures.MeterEk);
        _ = cache.Get(DlmsFixtures.MeterGuid, DlmsFixtures.MeterAk);
        Assert.Throws<ObjectDisposedException>(() => old.Encrypt(new byte[12], Array.Empty<byte>(), Array.Empty<byte>(), new byte[12]));
    }

    [Fact]
    public void MeterCipherCache_Capacity_RoundsUpToPowerOfTwo()
    {
        using var cache = new MeterCipherCache(300);
        Assert.Equal(512, cache.Capacity);
    }
}
