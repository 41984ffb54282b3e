using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging;
using OpsConsole.Console.Server.Security.Certificates;
using OpsConsole.Console.Server.Security.Users;

namespace OpsConsole.Server.Tests;

/// <summary>HTTPS on a real Kestrel host: redirection, HSTS, Secure cookies, the self-signed certificate, forwarded headers.</summary>
public sealed class HttpsTests : IDisposable
{
    private readonly TempFolder _certificates = new();
    private readonly TestPki _pki;

    public HttpsTests() => _pki = new TestPki(_certificates.Path);

    public void Dispose()
    {
        _pki.Dispose();
        _certificates.Dispose();
    }

    internal static IReadOnlyList<Uri> Addresses(RunningHost host) =>
        [.. host.App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a))];

    private string[] OwnCertificate() =>
        [$"--Kestrel:Certificates:Default:Path={_pki.ServerCertificateFile}", $"--Kestrel:Certificates:Default:KeyPath={_pki.ServerKeyFile}"];

    [Fact]
    public async Task Https_PlainHttpIsRedirected_HstsIsSent_AndTheAuthAndAntiforgeryCookiesAreSecure()
    {
        await using var host = (await RunningHost.StartAsync(["--urls=http://127.0.0.1:0;https://127.0.0.1:0", .. OwnCertificate()])).WithStaff();
        var http = Addresses(host).Single(a => a.Scheme == "http");
        var https = Addresses(host).Single(a => a.Scheme == "https");

        using (var plain = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = http })
        using (var redirect = await plain.GetAsync("/signin"))
        {
            Assert.Equal(HttpStatusCode.PermanentRedirect, redirect.StatusCode);
            Assert.Equal($"https://127.0.0.1:{https.Port}/signin", redirect.Headers.Location!.ToString());
        }

        using var browser = new Browser(https, TestPki.Handler(_pki.Ca));
        browser.Http.DefaultRequestHeaders.Host = "opsconsole.test"; // HSTS is never sent to localhost or 127.0.0.1
        using (var page = await browser.Http.GetAsync("/signin"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.StartsWith("max-age=", page.Headers.GetValues("Strict-Transport-Security").Single(), StringComparison.Ordinal);
            var antiforgery = page.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(".AspNetCore.Antiforgery", StringComparison.Ordinal));
            Assert.Contains("; secure", antiforgery, StringComparison.OrdinalIgnoreCase);
        }

        using var signIn = await browser.SignInAsync("dana", Staff.DispatcherPassword);
        Assert.Equal("/map", signIn.Headers.Location!.OriginalString);
        var auth = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("opsconsole.auth=", StringComparison.Ordinal));
        Assert.Contains("; secure", auth, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; httponly", auth, StringComparison.OrdinalIgnoreCase);

        // Secure whatever the request's scheme, not only because this one came over HTTPS (SameAsRequest).
        Assert.Equal(Microsoft.AspNetCore.Http.CookieSecurePolicy.Always, host.Get<Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>>()
            .Get(Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationDefaults.AuthenticationScheme).Cookie.SecurePolicy);
        Assert.Equal(Microsoft.AspNetCore.Http.CookieSecurePolicy.Always, host.Get<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Antiforgery.AntiforgeryOptions>>().Value.Cookie.SecurePolicy);
    }

    [Fact]
    public async Task PlainHttpOnLocalhost_StaysTheDefault_NoRedirectNoHsts()
    {
        await using var host = await RunningHost.StartAsync();

        using var plain = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };
        plain.DefaultRequestHeaders.Host = "opsconsole.test";
        using var page = await plain.GetAsync("/signin");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.False(page.Headers.Contains("Strict-Transport-Security"));
        Assert.True(Directory.Exists(Path.Combine(host.Folder.Path, "db")));
        Assert.False(Directory.Exists(Path.Combine(host.Folder.Path, "db", "keys", "tls")));
    }

    [Fact]
    public async Task SelfSigned_IsCreatedOwnerOnly_WithItsFingerprintLogged_AndReusedOnTheNextStart()
    {
        var folder = new TempFolder();
        var logs = new LogLines();
        string? served = null;
        string firstFingerprint;
        string certificateFile = Path.Combine(folder.Path, "db", "keys", "tls", ServerCertificate.CertificateFileName);
        string keyFile = Path.Combine(folder.Path, "db", "keys", "tls", ServerCertificate.KeyFileName);
        var first = await RunningHost.StartAsync(folder, b => b.Logging.AddProvider(logs), "--urls=https://127.0.0.1:0");
        try
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(keyFile)!));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(certificateFile));
            using var file = X509CertificateLoaderFile(certificateFile);
            firstFingerprint = ServerCertificate.Fingerprint(file);
            Assert.Contains(logs.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("Created the self-signed certificate", StringComparison.Ordinal)
                && l.Message.Contains(firstFingerprint, StringComparison.Ordinal));

            using var client = new HttpClient(TestPki.Handler(file, seen: c => served = ServerCertificate.Fingerprint(c))) { BaseAddress = Addresses(first).Single() };
            using var health = await client.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal(firstFingerprint, served);
        }
        finally
        {
            await first.StopKeepingFolderAsync();
        }

        var again = new LogLines();
        await using (var host = await RunningHost.StartAsync(folder, b => b.Logging.AddProvider(again), "--urls=https://127.0.0.1:0"))
        {
            using var file = X509CertificateLoaderFile(certificateFile);
            using var client = new HttpClient(TestPki.Handler(file, seen: c => served = ServerCertificate.Fingerprint(c))) { BaseAddress = Addresses(host).Single() };
            using var health = await client.GetAsync("/healthz");

            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal(firstFingerprint, served);
            Assert.Contains(again.Lines, l => l.Message.Contains("Reusing the self-signed certificate", StringComparison.Ordinal) && l.Message.Contains(firstFingerprint, StringComparison.Ordinal));
            Assert.DoesNotContain(again.Lines, l => l.Message.Contains("Created the self-signed", StringComparison.Ordinal));
        }
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2 X509CertificateLoaderFile(string path) =>
        System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(path);

    [Theory]
    [InlineData(null, "127.0.0.1")] // nothing configured: nobody's headers are believed
    [InlineData("10.9.8.7", "127.0.0.1")] // another proxy is listed, not the caller
    [InlineData("127.0.0.1", "203.0.113.9")] // the caller is the listed proxy
    public async Task ForwardedFor_IsBelievedOnlyFromAListedProxy(string? knownProxy, string auditedAddress)
    {
        string[] args = knownProxy is null ? [] : [$"--ForwardedHeaders:KnownProxies:0={knownProxy}"];
        await using var host = (await RunningHost.StartAsync(args)).WithStaff();
        using var browser = new Browser(host.BaseAddress);
        browser.Http.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.9");

        using var refused = await browser.SignInAsync("dana", "not-the-password!");

        var entry = host.Get<AuditLog>().Recent(10).First(e => e.Action == "sign-in-failed" && e.User == "dana");
        Assert.Equal(auditedAddress, entry.RemoteAddress);
    }

    [Theory]
    [InlineData("10.9.8.7", HttpStatusCode.PermanentRedirect)]
    [InlineData("127.0.0.1", HttpStatusCode.OK)]
    public async Task ForwardedProtoHttps_FromAListedProxyOnly_CountsAsHttps(string knownProxy, HttpStatusCode expected)
    {
        await using var host = await RunningHost.StartAsync(["--urls=http://127.0.0.1:0;https://127.0.0.1:0", .. OwnCertificate(), $"--ForwardedHeaders:KnownProxies:0={knownProxy}"]);
        var http = Addresses(host).Single(a => a.Scheme == "http");
        using var plain = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = http };
        plain.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");

        using var response = await plain.GetAsync("/signin");

        Assert.Equal(expected, response.StatusCode);
    }
}
