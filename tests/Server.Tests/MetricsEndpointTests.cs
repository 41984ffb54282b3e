using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using OpsConsole.Console.Server.Hosting;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Protocols;
using OpsConsole.Engine.Protocols.Coap;
using OpsConsole.Engine.Security;

namespace OpsConsole.Server.Tests;

/// <summary>
/// <c>/metrics</c> on the real host: real datagrams in, the Prometheus text out, counted by outcome; and the
/// endpoint is the API's: an API key or a signed-in session, 401 without. Alone in its collection: meters are
/// process-wide by name, so another host running meanwhile could add to what this one exports.
/// </summary>
[Collection(nameof(MetricsEndpointTests))]
public sealed partial class MetricsEndpointTests : IAsyncLifetime
{
    private const string Key = "metrics-reader-key-0123456789";
    private static readonly Guid Meter1 = Guid.Parse("00000000-0000-4000-8000-000000000001");
    private const ulong Title1 = 0x4F50530000000001UL;

    private RunningHost _host = null!;
    private UdpClient _udp = null!;

    public async Task InitializeAsync()
    {
        _host = (await RunningHost.StartAsync($"--Api:Keys:0:Key={Key}", "--Api:Keys:0:Role=dispatcher")).WithStaff();
        _udp = _host.Connect();
    }

    public async Task DisposeAsync()
    {
        _udp.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Scrape_WithAnApiKey_AfterRealDatagrams_CountsEachOutcome_AndTheJournalAndQueues()
    {
        // Every datagram is confirmable or a ping, so each answer says the head-end has counted it.
        Assert.Equal(CoapCode.Changed, Code(await Exchange(Frame(mid: 1, counter: 1, eventId: 7))));   // accepted
        Assert.Equal(CoapCode.Changed, Code(await Exchange(Frame(mid: 2, counter: 2, eventId: 8))));   // accepted
        Assert.Equal(CoapCode.Changed, Code(await Exchange(Frame(mid: 3, counter: 3, eventId: 8))));   // duplicate: event 8 again
        Assert.Equal(CoapCode.Unauthorized, Code(await Exchange(Frame(mid: 4, counter: 2, eventId: 9)))); // ERR_REPLAY: counter 2 spent
        Assert.Equal([0x70, 0x00, 0x00, 0x05], await Exchange([0x40, 0x00, 0x00, 0x05]));           // ping: control

        var metrics = await ScrapeAsync(withKey: true);

        Assert.Equal(2, metrics.Value("opsconsole_ingest_datagrams_total", ("outcome", "accepted")));
        Assert.Equal(1, metrics.Value("opsconsole_ingest_datagrams_total", ("outcome", "duplicate")));
        Assert.Equal(1, metrics.Value("opsconsole_ingest_datagrams_total", ("outcome", "control")));
        Assert.Equal(1, metrics.Value("opsconsole_ingest_datagrams_total", ("outcome", "rejected"), ("reason", "ERR_REPLAY")));
        Assert.Equal(1, metrics.Value("opsconsole_ingest_datagrams_total", ("outcome", "rejected")));
        Assert.Equal(Enum.GetValues<RejectReason>().Length, metrics.Series("opsconsole_ingest_datagrams_total", ("outcome", "rejected")));
        Assert.Equal(5, metrics.Value("opsconsole_ingest_received_total"));
        Assert.Equal(0, metrics.Value("opsconsole_ingest_kernel_drops_total"));

        // Each accepted event was appended before its answer: at least one fsync, at most one per event.
        double fsyncs = metrics.Value("opsconsole_ingest_journal_fsync_duration_seconds_count");
        Assert.InRange(fsyncs, 1, 2);
        Assert.True(metrics.Value("opsconsole_ingest_journal_fsync_duration_seconds_sum") > 0);
        Assert.Equal(0, metrics.Value("opsconsole_ingest_journal_queue_depth"));
        Assert.Equal(1, metrics.Series("opsconsole_ingest_index_queue_depth"));

        // Correlation: its events, lag and queue, and one series per level and open state.
        Assert.True(metrics.Value("opsconsole_correlation_events_total") >= 2);
        Assert.Equal(1, metrics.Series("opsconsole_correlation_lag_seconds"));
        Assert.Equal(1, metrics.Series("opsconsole_correlation_queue_depth"));
        Assert.Equal(6 * 4, metrics.Series("opsconsole_correlation_outages_open"));
        Assert.Equal(1, metrics.Series("opsconsole_correlation_outages_open", ("level", "Transformer"), ("state", "Confirmed")));

        // The same figures as /api/stats, from the same counters.
        var stats = _host.Get<IngestStats>().Snapshot();
        Assert.Equal(stats.Accepted, metrics.Value("opsconsole_ingest_datagrams_total", ("outcome", "accepted")));
        Assert.Equal(stats.Received, metrics.Value("opsconsole_ingest_received_total"));
    }

    [Fact]
    public async Task Scrape_WithoutCredentials_Is401_AWrongKeyIsCounted_ASignedInSessionMayRead_AndSignInsAreCountedByOutcome()
    {
        using (var anonymous = new Browser(_host.BaseAddress))
        {
            using var response = await anonymous.Http.GetAsync(Observability.MetricsPath);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using (var wrongKey = new HttpRequestMessage(HttpMethod.Get, Observability.MetricsPath))
        using (var client = new HttpClient { BaseAddress = _host.BaseAddress })
        {
            wrongKey.Headers.Add("X-Api-Key", "not-a-key-of-this-host-000");
            using var response = await client.SendAsync(wrongKey);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using (var failed = new Browser(_host.BaseAddress))
        {
            var refused = await failed.SignInAsync("dana", "not-her-password");
            Assert.StartsWith("/signin?error=failed", refused.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        using var dana = await _host.SignedInAsync("dana", Staff.DispatcherPassword);
        using var scrape = await dana.Http.GetAsync(Observability.MetricsPath);
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        var metrics = Parse(await scrape.Content.ReadAsStringAsync());

        Assert.Equal(1, metrics.Value("opsconsole_web_signins_total", ("outcome", "success")));
        Assert.Equal(1, metrics.Value("opsconsole_web_signins_total", ("outcome", "failed")));
        Assert.Equal(0, metrics.Series("opsconsole_web_signins_total", ("outcome", "locked_out")));
        Assert.Equal(1, metrics.Value("opsconsole_web_api_key_refusals_total"));
    }

    private async Task<Scrape> ScrapeAsync(bool withKey)
    {
        using var client = new HttpClient { BaseAddress = _host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, Observability.MetricsPath);
        if (withKey)
        {
            request.Headers.Add("X-Api-Key", Key);
        }

        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Parse(await response.Content.ReadAsStringAsync());
    }

    private async Task<byte[]> Exchange(byte[] datagram)
    {
        await _udp.SendAsync(datagram);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return (await _udp.ReceiveAsync(timeout.Token)).Buffer;
    }

    private static byte Code(byte[] answer)
    {
        Assert.Equal(CoapParseStatus.Ok, CoapMessage.TryParse(answer, out var view));
        return view.Code;
    }

    private byte[] Frame(ushort mid, uint counter, uint eventId)
    {
        var keys = MeterKeys.Derive(File.ReadAllBytes(_host.KeyFile), Meter1);
        var now = DateTimeOffset.UtcNow;
        var e = new MeterEvent(Meter1, MeterEventCode.PowerDown, eventId, 1, now, now, 4200, -70, 0x8000_0000u);
        return MeterFrameWriter.Post(CoapType.Confirmable, mid, [0x42], MeterFrameWriter.Apdu(e, Title1, counter, keys));
    }

    private static Scrape Parse(string text)
    {
        var series = new List<(string Name, Dictionary<string, string> Labels, double Value)>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var m = SampleLine().Match(line);
            Assert.True(m.Success, "not a Prometheus sample line: " + line);
            var labels = LabelPair().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value, StringComparer.Ordinal);
            series.Add((m.Groups["name"].Value, labels, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }

        return new Scrape(series);
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)( \S+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex LabelPair();

    private sealed record Scrape(List<(string Name, Dictionary<string, string> Labels, double Value)> All)
    {
        private IEnumerable<(string Name, Dictionary<string, string> Labels, double Value)> Matching(string name, (string Key, string Value)[] labels) =>
            All.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value));

        /// <summary>The sum of the series of <paramref name="name"/> that carry <paramref name="labels"/>; fails when there is none.</summary>
        public double Value(string name, params (string Key, string Value)[] labels)
        {
            var found = Matching(name, labels).ToList();
            Assert.True(found.Count > 0, $"no series {name} with {string.Join(",", labels)}; exported: {string.Join(" ", All.Select(s => s.Name).Distinct())}");
            return found.Sum(s => s.Value);
        }

        public int Series(string name, params (string Key, string Value)[] labels) => Matching(name, labels).Count();
    }
}

[CollectionDefinition(nameof(MetricsEndpointTests), DisableParallelization = true)]
public sealed class MetricsEndpointCollection;
