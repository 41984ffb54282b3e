using OpsConsole.Engine.Application.Topology;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpsConsole.Console.Server.Security.Users;
using OpsConsole.Console.Server.Topology;
using OpsConsole.Engine.Topology;

namespace OpsConsole.Server.Tests;

/// <summary>
/// The guard on <c>POST /api/topology</c> (api.md) over real HTTP in the running host: dry run, the removal limit
/// and force, the audit of every import and remap whatever the door, the roll-back, health while the network has
/// no meters, imports one at a time, and body limits.
/// </summary>
public sealed class TopologyImportGuardTests : IAsyncLifetime
{
    private const string AdminKey = "admin-key-0123456789abcdef";
    private const string DispatcherKey = "dispatcher-key-0123456789";
    private const string EmptyNetwork = """{"type":"FeatureCollection","features":[]}""";

    private RunningHost _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _host = await RunningHost.StartAsync($"--Api:Keys:0:Key={AdminKey}", "--Api:Keys:0:Role=admin",
            $"--Api:Keys:1:Key={DispatcherKey}", "--Api:Keys:1:Role=dispatcher");
        _http = new HttpClient { BaseAddress = _host.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        _http.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    private static StringContent GeoJson(string text, string mediaType = "application/geo+json") => new(text, Encoding.UTF8, mediaType);

    private async Task<(HttpStatusCode Status, JsonElement Body)> Post(string path, string network, string mediaType = "application/geo+json")
    {
        using var response = await _http.PostAsync(path, GeoJson(network, mediaType));
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<HttpStatusCode> MeterStatus(string id)
    {
        using var response = await _http.GetAsync($"/api/meters/{id}");
        return response.StatusCode;
    }

    private async Task<JsonElement> Health()
    {
        using var response = await _http.GetAsync("/healthz");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>The audit rows of the topology and remap actions, oldest first.</summary>
    private List<AuditEntry> Audit(Func<AuditEntry, bool>? match = null) =>
        [.. _host.Get<AuditLog>().Recent(1000).Where(e => e.Action.StartsWith("topology-", StringComparison.Ordinal) || e.Action.StartsWith("outage-action", StringComparison.Ordinal))
            .Where(match ?? (_ => true)).Reverse()];

    private static void AssertApiKeyActor(string user) => Assert.Matches("^api-key:admin:[0-9a-f]{4}$", user);

    private static int Count(JsonElement body, string part, string kind) => body.GetProperty(part).GetProperty(kind).GetInt32();

    /// <summary>SmallNetwork with M4 gone, M10 added under T2 and M1's address changed.</summary>
    private static string Edited() => SmallNetwork.GeoJson
        .Replace(
            """{"kind":"meter","id":"M4","parent":"T2","guid":"00000000-0000-4000-8000-000000000004","systemTitle":"4F50530000000004"}""",
            """{"kind":"meter","id":"M10","parent":"T2","guid":"00000000-0000-4000-8000-000000000010","systemTitle":"4F50530000000010"}""",
            StringComparison.Ordinal)
        .Replace("1 Main St", "3 Main St", StringComparison.Ordinal);

    [Fact]
    public async Task EmptyNetwork_IsRefusedWith409_NothingChanges_AndTheRefusalIsAudited()
    {
        var (status, problem) = await Post("/api/topology", EmptyNetwork);

        Assert.Equal(HttpStatusCode.Conflict, status);
        string detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("remove 5 of the 5 meters", detail, StringComparison.Ordinal);
        Assert.Contains("Topology:MaxRemovalFraction = 0.1", detail, StringComparison.Ordinal);
        Assert.Contains("?force=true", detail, StringComparison.Ordinal);
        Assert.Equal(5, problem.GetProperty("metersRemoved").GetInt32());
        Assert.Equal(HttpStatusCode.OK, await MeterStatus("M1"));
        Assert.Equal(5, _host.Get<TopologyState>().Current.MeterCount);
        var row = Assert.Single(Audit());
        Assert.Equal(NetworkAdministration.RefusedAction, row.Action);
        AssertApiKeyActor(row.User);
        Assert.Contains("removed 13 (substation 1, feeder 1, device 2, transformer 3, meter 5, line 1)", row.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DryRun_Answers200WithTheDifferenceByKind_AndChangesNothing()
    {
        var (status, body) = await Post("/api/topology?dryRun=true", Edited());

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal((1, 1, 1), (Count(body, "added", "meter"), Count(body, "removed", "meter"), Count(body, "changed", "meter")));
        Assert.Equal(0, Count(body, "changed", "transformer") + Count(body, "added", "line") + Count(body, "removed", "substation"));
        Assert.Equal(JsonValueKind.Array, body.GetProperty("findings").ValueKind);
        Assert.Equal(HttpStatusCode.OK, await MeterStatus("M4")); // still the old network
        Assert.Equal(HttpStatusCode.NotFound, await MeterStatus("M10"));
        var row = Assert.Single(Audit());
        Assert.Equal(NetworkAdministration.DryRunAction, row.Action);
        Assert.Contains("added 1 (meter 1), removed 1 (meter 1), changed 1 (meter 1)", row.Detail, StringComparison.Ordinal);

        // One meter of five is 20 %: over the default 10 %, so the real import needs force; an empty dry run is no exception.
        var (empty, emptyBody) = await Post("/api/topology?dryRun=true", EmptyNetwork);
        Assert.Equal(HttpStatusCode.OK, empty);
        Assert.Equal(5, Count(emptyBody, "removed", "meter"));
        Assert.Equal(5, _host.Get<TopologyState>().Current.MeterCount);
    }

    [Fact]
    public async Task ForcedEmptyNetwork_DegradesHealth_AndTheRestRollBackPutsThePreviousOneBack()
    {
        Assert.Equal("Healthy", (await Health()).GetProperty("status").GetString());
        var (status, _) = await Post("/api/topology?force=true", EmptyNetwork);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.NotFound, await MeterStatus("M1"));
        var health = await Health();
        Assert.Equal("Degraded", health.GetProperty("status").GetString());
        Assert.Contains("no meters", health.GetProperty("checks").GetProperty("network").GetProperty("description").GetString(), StringComparison.Ordinal);

        using var rollback = await _http.PostAsync("/api/topology/rollback", null);
        Assert.Equal(HttpStatusCode.OK, rollback.StatusCode);

        Assert.Equal(HttpStatusCode.OK, await MeterStatus("M1"));
        Assert.Equal("Healthy", (await Health()).GetProperty("status").GetString());
        var rows = Audit();
        Assert.Equal([NetworkAdministration.ImportAction, NetworkAdministration.RollbackAction], rows.Select(r => r.Action));
        Assert.Contains("forced", rows[0].Detail, StringComparison.Ordinal);
        Assert.Contains("added 13", rows[1].Detail, StringComparison.Ordinal);
        Assert.All(rows, r => AssertApiKeyActor(r.User));

        // The store holds what memory holds: a restart on the same folder comes back with the rolled-back network.
        var stored = await _host.Get<Engine.Storage.ITopologyStore>().LoadAsync();
        Assert.Equal(5, stored!.Features.Count(f => f.Kind == Gis.Topology.ElementKind.Meter));
    }

    [Fact]
    public async Task RollBack_WithNothingKept_Is409_AndAudited_AndADispatcherGets403()
    {
        using var nothing = await _http.PostAsync("/api/topology/rollback", null);
        Assert.Equal(HttpStatusCode.Conflict, nothing.StatusCode);
        Assert.Contains("no previous network", await nothing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(NetworkAdministration.RollbackRefusedAction, Assert.Single(Audit()).Action);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/topology/rollback");
        request.Headers.Add("X-Api-Key", DispatcherKey);
        using var http = new HttpClient { BaseAddress = _host.BaseAddress };
        using var dispatcher = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, dispatcher.StatusCode);
    }

    [Fact]
    public async Task RestImport_AndRestRemap_EachAddExactlyOneAuditRow_WithTheActorAndTheDetail()
    {
        string mapped = SmallNetwork.GeoJson.Replace("\"id\":\"M9\",\"parent\":null", "\"id\":\"M9\",\"parent\":\"T1\"", StringComparison.Ordinal);
        var (imported, _) = await Post("/api/topology", mapped, "application/json");
        Assert.Equal(HttpStatusCode.OK, imported);
        var import = Assert.Single(Audit());
        Assert.Equal(NetworkAdministration.ImportAction, import.Action);
        AssertApiKeyActor(import.User);
        Assert.Contains("changed 1 (meter 1)", import.Detail, StringComparison.Ordinal);

        using var remap = await _http.PutAsJsonAsync("/api/meters/M9/parent", new { transformer = "T2" });
        Assert.Equal(HttpStatusCode.OK, remap.StatusCode);

        var rows = Audit();
        Assert.Equal(2, rows.Count);
        Assert.Equal("outage-action", rows[1].Action);
        Assert.Equal("remap M9 to T2", rows[1].Detail);
        Assert.Equal(import.User, rows[1].User);
        Assert.Equal("127.0.0.1", rows[1].RemoteAddress);
    }

    [Fact]
    public async Task Import_AcceptsGeoJsonAndJson_RefusesOtherContentTypesWith415()
    {
        Assert.Equal(HttpStatusCode.OK, (await Post("/api/topology", SmallNetwork.GeoJson, "application/geo+json")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Post("/api/topology", SmallNetwork.GeoJson, "application/json")).Status);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Post("/api/topology", EmptyNetwork, "text/plain")).Status);
        Assert.Equal(5, _host.Get<TopologyState>().Current.MeterCount);
    }

    [Fact]
    public async Task TwoImportsAtOnce_AreSerialised_StoreAndMemoryHoldTheSameNetwork()
    {
        // The first import to store its network is held between storing it and putting it in force, until the second
        // has either put its own in force meanwhile (imports not serialised: the store then holds the second network and
        // memory ends with the first) or is waiting for the first.
        var state = _host.Get<TopologyState>();
        var importer = _host.Get<TopologyImporter>();
        using var secondIsWaitingOrDone = new ManualResetEventSlim();
        var firstHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int storedCount = 0, holding = 0;
        void OnStored()
        {
            if (Interlocked.Increment(ref storedCount) == 1)
            {
                Volatile.Write(ref holding, 1);
                firstHeld.SetResult();
                bool released = secondIsWaitingOrDone.Wait(TimeSpan.FromSeconds(30));
                Volatile.Write(ref holding, 0);
                Assert.True(released, "the second import neither finished nor waited");
            }
        }

        void OnChanged(Gis.Topology.NetworkTopology _)
        {
            if (Volatile.Read(ref holding) == 1)
            {
                secondIsWaitingOrDone.Set();
            }
        }

        void OnWaiting() => secondIsWaitingOrDone.Set();
        importer.Stored += OnStored;
        state.Changed += OnChanged;
        importer.Waiting += OnWaiting;
        try
        {
            string toT1 = SmallNetwork.GeoJson.Replace("\"id\":\"M9\",\"parent\":null", "\"id\":\"M9\",\"parent\":\"T1\"", StringComparison.Ordinal);
            string toT2 = SmallNetwork.GeoJson.Replace("\"id\":\"M9\",\"parent\":null", "\"id\":\"M9\",\"parent\":\"T2\"", StringComparison.Ordinal);
            var first = Post("/api/topology", toT1);
            await firstHeld.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var results = await Task.WhenAll(first, Post("/api/topology", toT2));
            Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        }
        finally
        {
            importer.Stored -= OnStored;
            state.Changed -= OnChanged;
            importer.Waiting -= OnWaiting;
        }

        using var response = await _http.GetAsync("/api/topology");
        var stored = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        string? storedParent = stored.GetProperty("features").EnumerateArray()
            .Single(f => f.GetProperty("properties").GetProperty("id").GetString() == "M9").GetProperty("properties").GetProperty("parent").GetString();
        var net = state.Current;
        Assert.True(net.TryGetElement("M9", out int m9));
        Assert.Equal(storedParent, net[net.ParentOf(m9)].Id);
        Assert.Equal(2, Audit(r => r.Action == NetworkAdministration.ImportAction).Count);
    }

    [Fact]
    public async Task BodyOverTheGeneralLimit_Gets413Problem_Not500()
    {
        // Kestrel's general limit is 30,000,000 bytes; the remap takes a small JSON body. Like curl with a large body, the
        // client asks for 100-continue, so it reads the answer instead of writing into a connection the server has closed.
        string padding = new('x', 30_100_000);
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/meters/M1/parent")
        {
            Content = new StringContent($$"""{"transformer":"T2","pad":"{{padding}}"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;
        using var response = await _http.SendAsync(request);

        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{(int)response.StatusCode} {response.Headers} {response.Content.Headers} {text}");
        Assert.True(text.Length > 0, $"{(int)response.StatusCode} {response.Headers} {response.Content.Headers} {text}");
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(413, problem.GetProperty("status").GetInt32());
        Assert.Contains("30000000 bytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TopologyImport_OverTopologyMaxImportBytes_Gets413Problem_DeclaredOrChunked_AndNothingChanges()
    {
        await using var host = await RunningHost.StartAsync($"--Api:Keys:0:Key={AdminKey}", "--Api:Keys:0:Role=admin", "--Topology:MaxImportBytes=1000");
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        http.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        byte[] network = Encoding.UTF8.GetBytes(SmallNetwork.GeoJson); // about 3 kB

        using var declared = new HttpRequestMessage(HttpMethod.Post, "/api/topology") { Content = new ByteArrayContent(network) };
        declared.Content.Headers.ContentType = new("application/geo+json");
        declared.Headers.ExpectContinue = true;
        using var declaredResponse = await http.SendAsync(declared);

        // Without a length the limit is found while the body streams in: before, an unhandled exception and a 500.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/api/topology") { Content = new StreamContent(new MemoryStream(network)) };
        chunked.Content.Headers.ContentType = new("application/geo+json");
        chunked.Headers.TransferEncodingChunked = true;
        using var chunkedResponse = await http.SendAsync(chunked);

        foreach (var response in new[] { declaredResponse, chunkedResponse })
        {
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{(int)response.StatusCode} {text}");
            Assert.Contains("1000 bytes", JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(5, host.Get<TopologyState>().Current.MeterCount);
    }

    [Fact]
    public async Task TopologyImport_LargerThan30MB_Succeeds()
    {
        // 40 extra meters under T2, each with an 800 kB property of its own (kept verbatim for export).
        var features = new StringBuilder(SmallNetwork.GeoJson.TrimEnd()[..^2].TrimEnd());
        string pad = new('p', 800_000);
        for (int i = 0; i < 40; i++)
        {
            int n = 100 + i;
            features.Append(System.Globalization.CultureInfo.InvariantCulture,
                $$$""",{"type":"Feature","geometry":{"type":"Point","coordinates":[-89.0031,40.004]},"properties":{"kind":"meter","id":"M{{{n}}}","parent":"T2","guid":"00000000-0000-4000-8000-{{{n:x12}}}","systemTitle":"4F505300000{{{n:X5}}}","pad":"{{{pad}}}"}}""");
        }

        features.Append("]}");
        string network = features.ToString();
        Assert.True(Encoding.UTF8.GetByteCount(network) > 30_000_000);

        var (status, body) = await Post("/api/topology", network);

        Assert.True(status == HttpStatusCode.OK, $"{(int)status} {body}");
        Assert.Equal(40, Count(body, "added", "meter"));
        Assert.Equal(45, _host.Get<TopologyState>().Current.MeterCount);
        Assert.Equal(HttpStatusCode.OK, await MeterStatus("M139"));
    }
}
