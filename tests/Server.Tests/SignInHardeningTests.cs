using System.Net;
using System.Text;
using Microsoft.AspNetCore.Identity;
using OpsConsole.Console.Server.Security;
using OpsConsole.Console.Server.Security.Users;

namespace OpsConsole.Server.Tests;

/// <summary>
/// What an anonymous client can do to the sign-in: redirect a user off-site, lock an account, tell names apart,
/// flood the audit, guess fast. Clients at other addresses connect from other 127.x addresses.
/// </summary>
public sealed class SignInHardeningTests : IAsyncLifetime
{
    private readonly CountingHasher _hasher = new();
    private RunningHost _host = null!;

    public async Task InitializeAsync() =>
        _host = (await RunningHost.StartAsync(b => b.Services.AddSingleton<IPasswordHasher<ConsoleUser>>(_hasher))).WithStaff();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static IPAddress Address(int last) => IPAddress.Parse($"127.0.0.{last}");

    private AuditEntry[] Audit() => [.. _host.Get<AuditLog>().Recent(1000)];

    [Theory]
    [InlineData("/\t/evil.example")]
    [InlineData("/\n/evil.example")]
    [InlineData("//evil.example")]
    [InlineData("/\\evil.example")]
    [InlineData("/\\/evil.example")]
    [InlineData("https://evil.example/")]
    [InlineData("/map\r\nSet-Cookie: planted=1")]
    [InlineData("/ma\u007fp")]
    [InlineData("evil.example")]
    public async Task SignIn_WithAnOffSiteOrBrokenReturnUrl_GoesToTheStartPage(string returnUrl)
    {
        using var browser = new Browser(_host.BaseAddress);

        var response = await browser.PostFormAsync("/signin", "/account/signin", ("user", "ada"), ("password", Staff.AdminPassword), ("returnUrl", returnUrl));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.OriginalString);
    }

    [Theory]
    [InlineData("/outages")]
    [InlineData("/map?element=T1")]
    public async Task SignIn_WithALocalReturnUrl_GoesThere(string returnUrl)
    {
        using var browser = new Browser(_host.BaseAddress);

        var response = await browser.PostFormAsync("/signin", "/account/signin", ("user", "ada"), ("password", Staff.AdminPassword), ("returnUrl", returnUrl));

        Assert.Equal(returnUrl, response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task SignInRedirect_IsRelative_NotBuiltFromTheHostHeader()
    {
        using var browser = new Browser(_host.BaseAddress);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/outages?sort=age");
        request.Headers.Host = "evil.example";

        using var response = await browser.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/signin?returnUrl=%2Foutages%3Fsort%3Dage", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task WrongPasswords_LockOnlyTheAddressThatSentThem_TheOwnerStillSignsIn_Audited()
    {
        using var attacker = new Browser(_host.BaseAddress, Address(2));
        for (int i = 1; i <= SignInService.MaxFailures; i++)
        {
            var wrong = await attacker.SignInAsync("ada", "not-the-password");
            Assert.Contains(i < SignInService.MaxFailures ? "error=failed" : "error=locked", wrong.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        var attackerRight = await attacker.SignInAsync("ada", Staff.AdminPassword); // even the right password, from there
        using var owner = new Browser(_host.BaseAddress, Address(1));
        var ownerSignIn = await owner.SignInAsync("ada", Staff.AdminPassword);

        Assert.Contains("error=locked", attackerRight.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal("/map", ownerSignIn.Headers.Location!.OriginalString);
        var audit = Audit();
        Assert.Contains(audit, e => e.Action == "sign-in-failed" && e.User == "ada" && e.RemoteAddress == "127.0.0.2"
            && e.Detail!.Contains("this address locked out of this name until", StringComparison.Ordinal));
        Assert.Contains(audit, e => e.Action == "sign-in-refused" && e.User == "ada" && e.RemoteAddress == "127.0.0.2");
        Assert.Contains(audit, e => e.Action == "sign-in" && e.User == "ada" && e.RemoteAddress == "127.0.0.1");
    }

    [Fact]
    public async Task UnknownName_LocksLikeAKnownOne_AndEveryAnswerHashesOnePassword()
    {
        using var browser = new Browser(_host.BaseAddress, Address(3));
        using var other = new Browser(_host.BaseAddress, Address(8)); // each address within its rate limit
        string[] known = new string[SignInService.MaxFailures + 1];
        string[] unknown = new string[SignInService.MaxFailures + 1];
        var knownHashes = new int[known.Length];
        var unknownHashes = new int[known.Length];
        for (int i = 0; i < known.Length; i++)
        {
            int before = _hasher.Verifications;
            known[i] = (await browser.SignInAsync("dana", "not-the-password")).Headers.Location!.OriginalString;
            knownHashes[i] = _hasher.Verifications - before;
            before = _hasher.Verifications;
            unknown[i] = (await other.SignInAsync("dina", "not-the-password")).Headers.Location!.OriginalString;
            unknownHashes[i] = _hasher.Verifications - before;
        }

        Assert.Equal(known, unknown); // the same answers, failed then locked, for a name that exists and one that does not
        Assert.Contains("error=locked", unknown[^1], StringComparison.Ordinal);
        Assert.All(knownHashes, n => Assert.Equal(1, n)); // and the same work: one hash check each, locked or not
        Assert.All(unknownHashes, n => Assert.Equal(1, n));
    }

    [Fact]
    public async Task SignInPosts_FromOneAddress_AreRateLimited_OtherAddressesAreNot()
    {
        using var flooder = new Browser(_host.BaseAddress, Address(4));
        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < SignInRateLimit.Burst + 20; i++) // more than the burst and what refills in 40 s
        {
            statuses.Add((await flooder.SignInAsync($"guess{i}", "not-the-password")).StatusCode);
        }

        using var other = new Browser(_host.BaseAddress, Address(5));
        var otherSignIn = await other.SignInAsync("dana", Staff.DispatcherPassword);

        Assert.All(statuses.Take(SignInRateLimit.Burst), s => Assert.Equal(HttpStatusCode.Redirect, s));
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.Equal("/map", otherSignIn.Headers.Location!.OriginalString);
        Assert.True(Audit().Count(e => e.RemoteAddress == "127.0.0.4") < statuses.Count); // refused attempts add no audit entries
    }

    [Fact]
    public async Task HugeUserName_IsRefusedBeforeItIsReadOrStored()
    {
        using var browser = new Browser(_host.BaseAddress, Address(6));
        long sizeBefore = new FileInfo(_host.Get<OpsConsole.Engine.Storage.LiteDb.LiteStore>().FilePath).Length;
        int entriesBefore = Audit().Length;

        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 3; i++)
        {
            string token = await browser.TokenAsync("/signin");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/account/signin")
            {
                Content = new FormUrlEncodedContent([new("__RequestVerificationToken", token), new("user", new string('a', 2 * 1024 * 1024)), new("password", "x")]),
            };
            request.Headers.ExpectContinue = true; // the answer comes before the body: a refusal of its size is seen, not a reset
            using var response = await browser.Http.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, $"{(int)s}"));
        Assert.Equal(entriesBefore, Audit().Length);
        Assert.True(new FileInfo(_host.Get<OpsConsole.Engine.Storage.LiteDb.LiteStore>().FilePath).Length - sizeBefore < 256 * 1024);
    }

    [Fact]
    public async Task LongNameWithControlCharacters_IsAuditedBoundedAndEscaped()
    {
        using var browser = new Browser(_host.BaseAddress, Address(7));
        string typed = "ada\r\n2026-12-04 sign-in ok\u001b[2J" + new string('x', 1500);

        var response = await browser.SignInAsync(typed, "not-the-password");

        Assert.Contains("error=failed", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var entry = Assert.Single(Audit(), e => e.RemoteAddress == "127.0.0.7");
        Assert.True(entry.User.Length <= AuditLog.MaxUserLength + 1, $"{entry.User.Length} characters stored");
        Assert.StartsWith("ada\\u000d\\u000a2026-12-04", entry.User, StringComparison.Ordinal);
        Assert.DoesNotContain(entry.User, char.IsControl);
        Assert.EndsWith("…", entry.User, StringComparison.Ordinal);
    }

    /// <summary>Identity's hasher, counting its checks (the seam the timing test looks through).</summary>
    private sealed class CountingHasher : IPasswordHasher<ConsoleUser>
    {
        private readonly PasswordHasher<ConsoleUser> _inner = new();
        private int _verifications;

        public int Verifications => Volatile.Read(ref _verifications);

        public string HashPassword(ConsoleUser user, string password) => _inner.HashPassword(user, password);

        public PasswordVerificationResult VerifyHashedPassword(ConsoleUser user, string hashedPassword, string providedPassword)
        {
            Interlocked.Increment(ref _verifications);
            return _inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }
}
