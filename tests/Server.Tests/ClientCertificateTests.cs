using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpsConsole.Console.Server.Security.Certificates;
using OpsConsole.Engine.Correlation.Hosting;

namespace OpsConsole.Server.Tests;

/// <summary>
/// Mutual TLS for machine clients on a real HTTPS endpoint (Tls:ClientCertificateUrl): a certificate of
/// the configured CA, listed with a role, gets in as that role; anything else is a logged 401.
/// </summary>
public sealed class ClientCertificateTests : IAsyncLifetime
{
    private readonly TempFolder _certificates = new();
    private readonly LogLines _logs = new();
    private TestPki _pki = null!;
    private X509Certificate2 _dispatcher = null!;
    private X509Certificate2 _admin = null!;
    private X509Certificate2 _expired = null!;
    private X509Certificate2 _unlisted = null!;
    private X509Certificate2 _otherCa = null!;
    private RunningHost _host = null!;

    public async Task InitializeAsync()
    {
        _pki = new TestPki(_certificates.Path);
        _dispatcher = _pki.Client("CN=mdms-dispatcher");
        _admin = _pki.Client("CN=mdms-admin, O=North Co-op");
        _expired = _pki.Client("CN=mdms-expired", fromDays: -60, toDays: -1);
        _unlisted = _pki.Client("CN=stranger");
        _otherCa = _pki.Client("CN=mdms-other-ca", issuer: _pki.OtherCa);
        _host = await RunningHost.StartAsync(b => b.Logging.AddProvider(_logs), Arguments(
            (_dispatcher, "dispatcher", ByThumbprintWithColons(_dispatcher)), (_admin, "admin", null), (_expired, "dispatcher", null), (_otherCa, "admin", null)));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _pki.Dispose();
        _certificates.Dispose();
    }

    /// <summary>The host's arguments: each listed certificate by its SHA-256 thumbprint, or by subject (the admin).</summary>
    private string[] Arguments(params (X509Certificate2 Certificate, string Role, string? Thumbprint)[] listed)
    {
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0", "--Tls:ClientCertificateUrl=https://127.0.0.1:0", $"--Tls:ClientCertificateAuthority={_pki.CaFile}",
            $"--Kestrel:Certificates:Default:Path={_pki.ServerCertificateFile}", $"--Kestrel:Certificates:Default:KeyPath={_pki.ServerKeyFile}",
        };
        for (int i = 0; i < listed.Length; i++)
        {
            var (certificate, role, thumbprint) = listed[i];
            args.Add(certificate == _admin ? $"--Tls:ClientCertificates:{i}:Subject={certificate.Subject}" : $"--Tls:ClientCertificates:{i}:Thumbprint={thumbprint ?? TestPki.Sha256(certificate)}");
            args.Add($"--Tls:ClientCertificates:{i}:Role={role}");
        }

        return [.. args];
    }

    private static string ByThumbprintWithColons(X509Certificate2 certificate) =>
        string.Join(':', TestPki.Sha256(certificate).Chunk(2).Select(c => new string(c))).ToLowerInvariant();

    private Uri MutualTls => HttpsTests.Addresses(_host).Single(a => a.Scheme == "https");

    private HttpClient Client(X509Certificate2 certificate) => new(TestPki.Handler(_pki.Ca, certificate)) { BaseAddress = MutualTls };

    [Fact]
    public async Task ListedDispatcherCertificate_Gets200OnOutages()
    {
        using var client = Client(_dispatcher);

        using var response = await client.GetAsync("/api/outages");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task TheConsolesOwnAddress_IsStillServed_NextToTheMutualTlsEndpoint()
    {
        var console = HttpsTests.Addresses(_host).Single(a => a.Scheme == "http");
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = console };

        using var page = await client.GetAsync("/signin");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode); // not dropped for the code-defined endpoint, not redirected to it
        Assert.NotEqual(console.Port, MutualTls.Port);
    }

    [Fact]
    public async Task DispatcherCertificate_OnAnAdminCall_Is403()
    {
        using var client = Client(_dispatcher);

        using var response = await client.PutAsJsonAsync("/api/meters/M9/parent", new { transformer = "T2" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(_host.Get<OpsConsole.Engine.Storage.IOperatorActionStore>().All());
    }

    [Fact]
    public async Task AdminCertificateListedBySubject_Remaps_RecordedAsCertRoleAndThumbprintPrefix()
    {
        using var client = Client(_admin);

        using var response = await client.PutAsJsonAsync("/api/meters/M9/parent", new { transformer = "T2" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var action = Assert.Single(_host.Get<OpsConsole.Engine.Storage.IOperatorActionStore>().All());
        Assert.Equal("cert:admin:" + TestPki.Sha256(_admin)[..8].ToLowerInvariant(), action.Actor);
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "expired", "outside its validity" },
        { "unlisted", "not listed in Tls:ClientCertificates" },
        { "other-ca", "does not chain to Tls:ClientCertificateAuthority" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task RefusedCertificate_Is401_AndTheRefusalIsLogged(string which, string reason)
    {
        var certificate = which switch { "expired" => _expired, "unlisted" => _unlisted, _ => _otherCa };
        using var client = Client(certificate);

        using var response = await client.GetAsync("/api/outages");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var line = Assert.Single(_logs.Lines, l => l.Message.StartsWith("Client certificate refused", StringComparison.Ordinal)).Message;
        Assert.Contains(certificate.Subject, line, StringComparison.Ordinal);
        Assert.Contains(TestPki.Sha256(certificate), line, StringComparison.Ordinal);
        Assert.Contains(reason, line, StringComparison.Ordinal);
        Assert.Contains("from 127.0.0.1", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hub_WithAListedCertificate_Connects_AndWithAnUnlistedOne_Is401()
    {
        await using var hub = Hub(_dispatcher);
        await hub.StartAsync();
        Assert.Equal(HubConnectionState.Connected, hub.State);

        await using var refused = Hub(_unlisted);
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => refused.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
    }

    private HubConnection Hub(X509Certificate2 certificate) => new HubConnectionBuilder()
        .WithUrl(new Uri(MutualTls, "/hubs/outages"), HttpTransportType.WebSockets, o =>
        {
            o.HttpMessageHandlerFactory = _ => TestPki.Handler(_pki.Ca, certificate);
            o.WebSocketFactory = async (context, cancellationToken) =>
            {
                var socket = new System.Net.WebSockets.ClientWebSocket();
                await socket.ConnectAsync(context.Uri, new HttpMessageInvoker(TestPki.Handler(_pki.Ca, certificate)), cancellationToken);
                return socket;
            };
        })
        .Build();

    [Fact]
    public async Task CertificateRemovedFromTheList_IsRefusedWithoutARestart()
    {
        using var folder = new TempFolder();
        string settings = Path.Combine(folder.Path, "clients.json");
        string Listing(bool listed) => listed
            ? $$"""{ "Tls": { "ClientCertificates": [ { "Thumbprint": "{{TestPki.Sha256(_dispatcher)}}", "Role": "dispatcher" } ] } }"""
            : """{ "Tls": { "ClientCertificates": [ ] } }""";
        await File.WriteAllTextAsync(settings, Listing(true));
        var logs = new LogLines();
        await using var host = await RunningHost.StartAsync(b =>
        {
            b.Logging.AddProvider(logs);
            b.Configuration.AddJsonFile(settings, optional: false, reloadOnChange: true);
        }, Arguments());
        var endpoint = HttpsTests.Addresses(host).Single(a => a.Scheme == "https");
        using var client = new HttpClient(TestPki.Handler(_pki.Ca, _dispatcher)) { BaseAddress = endpoint };
        using (var before = await client.GetAsync("/api/outages"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = host.Get<IOptionsMonitor<TlsOptions>>().OnChange(o =>
        {
            if (o.ClientCertificates.Count == 0)
            {
                reloaded.TrySetResult();
            }
        });
        await File.WriteAllTextAsync(settings, Listing(false));
        await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(30));

        using var after = await client.GetAsync("/api/outages");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Contains(logs.Lines, l => l.Message.Contains("not listed in Tls:ClientCertificates", StringComparison.Ordinal));
    }
}
