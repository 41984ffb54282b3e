using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using OpsConsole.Console.Server.Hosting;
using OpsConsole.Console.Server.Security.Certificates;

namespace OpsConsole.Server.Tests;

/// <summary>Certificate configuration: a PFX, encrypted data-protection keys, errors naming the key, and the real process over HTTPS.</summary>
public sealed partial class TlsConfigurationTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly TestPki _pki;

    public TlsConfigurationTests() => _pki = new TestPki(_folder.Path);

    public void Dispose()
    {
        _pki.Dispose();
        _folder.Dispose();
    }

    private string Pfx(string password)
    {
        string path = Path.Combine(_folder.Path, "server.pfx");
        File.WriteAllBytes(path, _pki.Server.Export(X509ContentType.Pkcs12, password));
        return path;
    }

    private async Task<string> StartFailureMessage(params string[] settings)
    {
        string[] args = ["--urls=https://127.0.0.1:0", $"--Storage:Path={Path.Combine(_folder.Path, "db")}", "--Hes:Port=0", TempFolder.KeyFileArg(),
            $"--Topology:File={SmallNetwork.WriteTo(_folder.Path)}", .. settings];
        var ex = await Record.ExceptionAsync(async () =>
        {
            await using var app = ConsoleHost.Build(args);
            await app.StartAsync();
            await app.StopAsync();
        });
        Assert.NotNull(ex);
        var message = ConsoleHost.DescribeStartupFailure(ex);
        Assert.True(message is not null, $"not described as a start-up failure: {ex}");
        return message;
    }

    public static TheoryData<string[], string> BadSettings => new()
    {
        { ["--Kestrel:Certificates:Default:Path=/nonexistent/server.crt"], "Kestrel:Certificates:Default:Path = '/nonexistent/server.crt': file not found" },
        { ["--Kestrel:Certificates:Default:Path=certs/server.crt"], "Kestrel:Certificates:Default:Path = 'certs/server.crt': give an absolute path" },
        { ["--Tls:ClientCertificateUrl=https://127.0.0.1:0", "--Tls:ClientCertificateAuthority=/nonexistent/meter_root.crt"], "Tls:ClientCertificateAuthority = '/nonexistent/meter_root.crt': cannot be read" },
        { ["--Tls:ClientCertificateUrl=https://127.0.0.1:0"], "Tls:ClientCertificateAuthority: required" },
        { ["--Tls:ClientCertificateUrl=http://0.0.0.0:8443"], "Tls:ClientCertificateUrl = 'http://0.0.0.0:8443'" },
        { ["--Tls:ClientCertificates:0:Thumbprint=not-a-thumbprint", "--Tls:ClientCertificates:0:Role=dispatcher"], "Tls:ClientCertificates:0:Thumbprint = 'not-a-thumbprint'" },
        { ["--Tls:ClientCertificates:0:Subject=CN=mdms", "--Tls:ClientCertificates:0:Role=root"], "Tls:ClientCertificates:0:Role = 'root'" },
        { ["--ForwardedHeaders:KnownProxies:0=proxy.local"], "ForwardedHeaders:KnownProxies:0 = 'proxy.local'" },
        { ["--ForwardedHeaders:KnownNetworks:0=10.0.0.0/40"], "ForwardedHeaders:KnownNetworks:0 = '10.0.0.0/40'" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task Start_WithABadTlsSetting_FailsNamingTheKey(string[] settings, string expected)
    {
        var message = await StartFailureMessage(settings);

        Assert.Contains(expected, message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithAWrongPfxPassword_FailsNamingThePasswordKey_NeverItsValue()
    {
        var message = await StartFailureMessage($"--Kestrel:Certificates:Default:Path={Pfx("right-password")}", "--Kestrel:Certificates:Default:Password=wrong-password");

        Assert.Contains("Kestrel:Certificates:Default:Password: wrong password", message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithAnUnreadableCaFile_FailsNamingTheKey()
    {
        string ca = Path.Combine(_folder.Path, "garbage.crt");
        await File.WriteAllTextAsync(ca, "not a certificate");

        var message = await StartFailureMessage("--Tls:ClientCertificateUrl=https://127.0.0.1:0", $"--Tls:ClientCertificateAuthority={ca}");

        Assert.Contains($"Tls:ClientCertificateAuthority = '{ca}': cannot be read as a PEM or DER certificate", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pfx_ServesHttps_AndEncryptsTheDataProtectionKeysAtRest_ReadableAfterARestart()
    {
        var folder = new TempFolder();
        string[] args = ["--urls=https://127.0.0.1:0", $"--Kestrel:Certificates:Default:Path={Pfx("pfx-password-1")}", "--Kestrel:Certificates:Default:Password=pfx-password-1"];
        string keyFolder = Path.Combine(folder.Path, "db", "keys", "data-protection");
        string[] keys;
        var first = await RunningHost.StartAsync(folder, null, args);
        try
        {
            string? served = null;
            using var client = new HttpClient(TestPki.Handler(_pki.Ca, seen: c => served = TestPki.Sha256(c))) { BaseAddress = HttpsTests.Addresses(first).Single() };
            using var page = await client.GetAsync("/signin"); // renders an anti-forgery token: the key ring has a key
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal(TestPki.Sha256(_pki.Server), served);
        }
        finally
        {
            await first.StopKeepingFolderAsync();
        }

        keys = Directory.GetFiles(keyFolder, "key-*.xml");
        Assert.NotEmpty(keys);
        foreach (string key in keys)
        {
            string xml = await File.ReadAllTextAsync(key);
            Assert.Contains("<encryptedSecret", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<value>", xml, StringComparison.Ordinal); // an unencrypted master key is a <value> element
            Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(key) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead));
        }

        await using var second = await RunningHost.StartAsync(folder, null, args);
        using (var client = new HttpClient(TestPki.Handler(_pki.Ca)) { BaseAddress = HttpsTests.Addresses(second).Single() })
        using (var page = await client.GetAsync("/signin"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        Assert.Equal(keys.Order(), Directory.GetFiles(keyFolder, "key-*.xml").Order()); // decrypted and reused, no new key
    }

    [Fact]
    public async Task ServerProcess_OverHttps_ServesWithTheSelfSignedCertificateWhoseFingerprintItLogs()
    {
        using var folder = new TempFolder();
        var dll = Path.Combine(AppContext.BaseDirectory, "OpsConsole.Console.Server.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", "https://127.0.0.1:0", "--Hes:Port=0"])
        {
            WorkingDirectory = folder.Path,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        try
        {
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            string? fingerprint = null;
            Uri? address = null;
            while (address is null && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                fingerprint ??= FingerprintLine().Match(line) is { Success: true } f ? f.Groups[1].Value : null;
                address = ListeningLine().Match(line) is { Success: true } a ? new Uri(a.Groups[1].Value) : null;
            }

            Assert.True(address is not null, "the process did not start: " + (process.HasExited ? await stderr : ""));
            Assert.NotNull(fingerprint);
            string keyFile = Path.Combine(folder.Path, "data", ServerCertificate.Folder, ServerCertificate.KeyFileName);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));

            string? served = null;
            using var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                served = ServerCertificate.Fingerprint(X509CertificateLoader.LoadCertificate(certificate!.GetRawCertData()));
                return served == fingerprint; // pinned to the fingerprint in the log
            };
            using var client = new HttpClient(handler) { BaseAddress = address };
            using var page = await client.GetAsync("/signin", timeout.Token);

            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal(fingerprint, served);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task ServerProcess_WithAMissingCertificateFile_ExitsWithCode2NamingTheKey()
    {
        using var folder = new TempFolder();
        var dll = Path.Combine(AppContext.BaseDirectory, "OpsConsole.Console.Server.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", "https://127.0.0.1:0", "--Hes:Port=0", "--Kestrel:Certificates:Default:Path=/nonexistent/server.crt"])
        {
            WorkingDirectory = folder.Path,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(2, process.ExitCode);
        var error = await stderr;
        Assert.Contains("Kestrel:Certificates:Default:Path = '/nonexistent/server.crt': file not found", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        _ = await stdout;
    }

    [GeneratedRegex("SHA-256 fingerprint ([0-9A-F:]{95})")]
    private static partial Regex FingerprintLine();

    [GeneratedRegex("Now listening on: (https://127\\.0\\.0\\.1:[0-9]+)")]
    private static partial Regex ListeningLine();
}
