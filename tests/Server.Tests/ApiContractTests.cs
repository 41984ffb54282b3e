using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using OpsConsole.Engine.Correlation.Hosting;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Protocols;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;

namespace OpsConsole.Server.Tests;

/// <summary>
/// The API as documented is the API as mapped: every call of the README's "Outage API and live hub"
/// table (parsed from README.md, so a newly documented route is checked without touching this test)
/// answers with the documented roles, and the documented hub path exists.
/// </summary>
public sealed partial class ApiContractTests(ApiContractTests.Host host) : IClassFixture<ApiContractTests.Host>
{
    public const string DispatcherKey = "contract-dispatcher-key-0123";
    public const string AdminKey = "contract-admin-key-0123456789";

    public static TheoryData<string> DocumentedCalls() => [.. ApiDocumentation.Read().Calls.Select(c => c.ToString())];

    [Fact]
    public void Readme_HasAnApiTable_AndEveryRowNamesACall()
    {
        var doc = ApiDocumentation.Read();

        Assert.NotEmpty(doc.Calls);
        Assert.Empty(doc.RowsWithoutACall);
        Assert.NotNull(doc.HubPath);
    }

    [Theory]
    [MemberData(nameof(DocumentedCalls))]
    public async Task DocumentedCall_IsMapped_WithTheDocumentedRoles(string call)
    {
        var documented = ApiDocumentation.Read().Calls.Single(c => c.ToString() == call);
        var path = await host.ConcretePathAsync(documented.Path);

        using (var anonymous = await host.SendAsync(documented.Method, path, key: null))
        {
            Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"{documented} without a key: {(int)anonymous.StatusCode}, not 401");
        }

        using (var admin = await host.SendAsync(documented.Method, path, AdminKey))
        {
            AssertMapped(documented, "admin", admin);
            if (!documented.AdminOnly)
            {
                Assert.True(admin.IsSuccessStatusCode, $"{documented} as admin: {(int)admin.StatusCode}");
            }
        }

        using var dispatcher = await host.SendAsync(documented.Method, path, DispatcherKey);
        if (documented.AdminOnly)
        {
            Assert.True(dispatcher.StatusCode == HttpStatusCode.Forbidden, $"{documented} (admin only) as dispatcher: {(int)dispatcher.StatusCode}, not 403");
        }
        else
        {
            AssertMapped(documented, "dispatcher", dispatcher);
            Assert.True(dispatcher.IsSuccessStatusCode, $"{documented} as dispatcher: {(int)dispatcher.StatusCode}");
        }
    }

    [Fact]
    public async Task DocumentedHub_Negotiates_ForAKeyOnly()
    {
        var hub = ApiDocumentation.Read().HubPath!;

        using (var anonymous = await host.SendAsync(HttpMethod.Post, hub + "/negotiate?negotiateVersion=1", key: null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using var dispatcher = await host.SendAsync(HttpMethod.Post, hub + "/negotiate?negotiateVersion=1", DispatcherKey);
        Assert.True(dispatcher.StatusCode == HttpStatusCode.OK, $"POST {hub}/negotiate as dispatcher: {(int)dispatcher.StatusCode}");
        Assert.Contains("connectionToken", await dispatcher.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static void AssertMapped(DocumentedCall call, string role, HttpResponseMessage response) =>
        Assert.True(response.StatusCode is not (HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed),
            $"{call} as {role}: {(int)response.StatusCode} — the README documents a route the server does not map");

    /// <summary>One running host for the class: API keys for both roles, and one open outage so that {id} routes have a real id.</summary>
    public sealed partial class Host : IAsyncLifetime
    {
        private RunningHost _host = null!;
        private HttpClient _http = null!;
        private string _outageId = null!;

        public async Task InitializeAsync()
        {
            _host = await RunningHost.StartAsync("--Correlation:WindowMs=200", $"--Api:Keys:0:Key={DispatcherKey}", "--Api:Keys:0:Role=dispatcher",
                $"--Api:Keys:1:Key={AdminKey}", "--Api:Keys:1:Role=admin");
            _http = new HttpClient { BaseAddress = _host.BaseAddress };
            var outage = WaitForOutageUnderT1();
            using var udp = _host.Connect();
            await PowerDownAsync(udp, 1);
            await PowerDownAsync(udp, 2);
            _outageId = (await outage).Id;
        }

        public async Task DisposeAsync()
        {
            _http.Dispose();
            await _host.DisposeAsync();
        }

        /// <summary>The documented path with its placeholders filled: an outage id after "outages", a meter after "meters", real meters for "meters=a,b".</summary>
        public Task<string> ConcretePathAsync(string documented) =>
            Task.FromResult(Placeholder().Replace(documented, m => m.Groups["collection"].Value switch
            {
                "outages" => "outages/" + _outageId,
                "meters" => "meters/M1",
                _ => throw new InvalidOperationException($"no sample id for '{m.Value}' in {documented}: add one to {nameof(ConcretePathAsync)}"),
            }).Replace("meters=a,b", "meters=M3,M4", StringComparison.Ordinal)); // real meters (that never reported: no endpoint, answered at once)

        public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? key)
        {
            using var request = new HttpRequestMessage(method, path);
            if (key is not null)
            {
                request.Headers.Add("X-Api-Key", key);
            }

            if (method != HttpMethod.Get)
            {
                request.Content = new StringContent("{}", Encoding.UTF8, "application/json"); // a bad body: any answer but 404/405 proves the route
            }

            return await _http.SendAsync(request);
        }

        private async Task PowerDownAsync(UdpClient udp, int n)
        {
            var guid = Guid.Parse($"00000000-0000-4000-8000-{n:x12}");
            var keys = MeterKeys.Derive(await File.ReadAllBytesAsync(_host.KeyFile), guid);
            var now = DateTimeOffset.UtcNow;
            var e = new MeterEvent(guid, MeterEventCode.PowerDown, 1, 1, now, now, 4200, -70, 0x8000_0000u);
            await udp.SendAsync(MeterFrameWriter.Post(CoapType.Confirmable, (ushort)n, [0x42], MeterFrameWriter.Apdu(e, 0x4F50530000000000UL + (ulong)n, 1, keys)));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var answer = await udp.ReceiveAsync(timeout.Token);
            Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(answer.Buffer, out var view));
            Assert.Equal(CoapCode.Format(CoapCode.Changed), CoapCode.Format(view.Code));
        }

        private Task<Engine.Correlation.Outage> WaitForOutageUnderT1()
        {
            var feed = _host.Get<IOutageFeed>();
            var found = new TaskCompletionSource<Engine.Correlation.Outage>(TaskCreationOptions.RunContinuationsAsynchronously);
            feed.Changed += changes =>
            {
                foreach (var c in changes.Where(c => c.Outage.DeviceId == "T1"))
                {
                    found.TrySetResult(c.Outage);
                }
            };
            return found.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        [GeneratedRegex(@"(?<collection>[a-z-]+)/\{[^}]+\}")]
        private static partial Regex Placeholder();
    }
}

/// <summary>A call documented in the README's API table.</summary>
/// <param name="AdminOnly">A change (README: "changes need admin"), or a row that says "admin:".</param>
public sealed record DocumentedCall(HttpMethod Method, string Path, bool AdminOnly)
{
    public override string ToString() => $"{Method} {Path}";
}

/// <summary>The README's "Outage API and live hub" section, parsed.</summary>
internal sealed partial record ApiDocumentation(IReadOnlyList<DocumentedCall> Calls, IReadOnlyList<string> RowsWithoutACall, string? HubPath)
{
    private const string Section = "## Outage API and live hub";

    public static ApiDocumentation Read() => Parse(File.ReadAllText(ReadmePath()));

    public static ApiDocumentation Parse(string readme)
    {
        int start = readme.IndexOf(Section, StringComparison.Ordinal);
        if (start < 0)
        {
            throw new InvalidOperationException($"README.md has no '{Section}' section");
        }

        int end = readme.IndexOf("\n## ", start + Section.Length, StringComparison.Ordinal);
        var text = end < 0 ? readme[start..] : readme[start..end];
        var calls = new List<DocumentedCall>();
        var orphans = new List<string>();
        foreach (var row in text.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('|')))
        {
            var cells = row.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (cells[0] is "call" || cells[0].All(ch => ch is '-' or ' ' or ':'))
            {
                continue; // header and separator
            }

            var found = Call().Matches(cells[0]);
            if (found.Count == 0)
            {
                orphans.Add(row);
            }

            bool adminRow = cells.Length > 1 && cells[1].StartsWith("admin:", StringComparison.Ordinal);
            foreach (Match m in found)
            {
                var method = HttpMethod.Parse(m.Groups["method"].Value);
                calls.Add(new DocumentedCall(method, m.Groups["path"].Value, adminRow || method != HttpMethod.Get));
            }
        }

        var hub = Hub().Match(text);
        return new ApiDocumentation(calls, orphans, hub.Success ? hub.Groups["path"].Value : null);
    }

    private static string ReadmePath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OpsConsole.sln")))
            {
                return Path.Combine(dir.FullName, "README.md");
            }
        }

        throw new InvalidOperationException("README.md not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"`(?<method>GET|POST|PUT|PATCH|DELETE) (?<path>/[^`\s]*)`")]
    private static partial Regex Call();

    [GeneratedRegex(@"hub `(?<path>/[^`\s]+)`")]
    private static partial Regex Hub();
}
