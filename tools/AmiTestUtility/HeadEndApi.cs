using System.Net;
using System.Text.Json;

namespace OpsConsole.Tools.AmiTestUtility;

/// <summary>The REST API was unreachable or answered with an error: reported, never hung on.</summary>
public sealed class ApiException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>One outage as <c>GET /api/outages</c> returns it (api.md).</summary>
public sealed record ApiOutage(string Id, string Level, string DeviceId, string State, int Meters, int ReportingMeters);

/// <summary>The parts of the api.md REST API the simulator checks, each call bounded by a timeout.</summary>
public sealed class HeadEndApi : IDisposable
{
    private readonly HttpClient _http;

    public HeadEndApi(Uri baseAddress, string apiKey, TimeSpan timeout)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = timeout };
        _http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
    }

    /// <summary>GET <paramref name="path"/> as JSON; null on 404.</summary>
    public async Task<JsonElement?> GetAsync(string path, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(new Uri(path, UriKind.Relative), ct);
        }
        catch (HttpRequestException ex)
        {
            throw new ApiException($"REST API {_http.BaseAddress} unreachable: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new ApiException($"REST API {_http.BaseAddress}: no answer to GET {path} within {_http.Timeout.TotalSeconds:0.#} s", ex);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw new ApiException($"REST API GET {path}: {(int)response.StatusCode} {response.StatusCode}: check --api-key / OPSCONSOLE_API_KEY");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new ApiException($"REST API GET {path}: {(int)response.StatusCode} {text}");
            }

            try
            {
                using var doc = JsonDocument.Parse(text);
                return doc.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new ApiException($"REST API GET {path}: not JSON ({ex.Message})", ex);
            }
        }
    }

    public async Task<IReadOnlyList<ApiOutage>> ActiveOutagesAsync(CancellationToken ct)
    {
        var json = await GetAsync("/api/outages?state=active", ct) ?? throw new ApiException("REST API GET /api/outages: 404");
        return [.. json.EnumerateArray().Select(o => new ApiOutage(
            o.GetProperty("id").GetString() ?? "",
            o.GetProperty("level").GetString() ?? "",
            o.GetProperty("deviceId").GetString() ?? "",
            o.GetProperty("state").GetString() ?? "",
            o.GetProperty("meters").GetInt32(),
            o.GetProperty("reportingMeters").GetInt32()))];
    }

    /// <summary>The meter ids an outage lists (<c>GET /api/outages/{id}</c>).</summary>
    public async Task<IReadOnlyList<string>> OutageMetersAsync(string outageId, CancellationToken ct)
    {
        var json = await GetAsync($"/api/outages/{Uri.EscapeDataString(outageId)}", ct);
        if (json is not { } o || !o.TryGetProperty("meters", out var meters))
        {
            return [];
        }

        return [.. meters.EnumerateArray().Select(m => m.GetProperty("id").GetString() ?? "")];
    }

    public void Dispose() => _http.Dispose();
}
