using System.Buffers;
using System.Globalization;
using System.Text.Json;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Implementation;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Gis.GeoJson;

/// <summary>
/// Reads a topology <c>FeatureCollection</c> (docs/topology-file.md) feature by feature from a
/// stream, so that files far larger than one buffer import in bounded memory. Every problem
/// becomes a <see cref="TopologyFinding"/> naming the feature; nothing throws for bad input.
/// </summary>
public static class TopologyGeoJsonReader
{
    /// <summary>Longitude/latitude factory; packed sequences keep a million points small.</summary>
    public static readonly GeometryFactory Factory = GeometryFactories.Default;

    private const int InitialBufferSize = 64 * 1024;

    public static async Task<TopologyImport> ReadAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        var features = new List<TopologyFeature>();
        var findings = new List<TopologyFinding>();
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        try
        {
            var state = new ReaderState { Json = new JsonReaderState(new JsonReaderOptions { MaxDepth = 256 }) };
            int filled = 0;
            bool final = false;
            while (true)
            {
                if (!final)
                {
                    if (filled == buffer.Length)
                    {
                        var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, filled).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }

                    int read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        final = true;
                    }

                    filled += read;
                }

                int consumed;
                try
                {
                    consumed = Step(buffer.AsSpan(0, filled), final, ref state, features, findings);
                }
                catch (Exception ex) when (ex is JsonException or InvalidOperationException)
                {
                    // InvalidOperationException: a root member name that is not valid UTF-8 / UTF-16.
                    findings.Add(new TopologyFinding(FindingSeverity.Error, null, -1, FindingCodes.JsonInvalid,
                        $"not valid JSON: {ex.Message}"));
                    return new TopologyImport([], findings);
                }

                if (state.Done)
                {
                    break;
                }

                if (final)
                {
                    findings.Add(new TopologyFinding(FindingSeverity.Error, null, -1, FindingCodes.JsonInvalid,
                        state.SawFeatures ? "the file ends inside the features array" : "not a GeoJSON FeatureCollection with a features array"));
                    return new TopologyImport([], findings);
                }

                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (findings.Exists(x => x.Code is FindingCodes.CollectionInvalid or FindingCodes.JsonInvalid))
        {
            return new TopologyImport([], findings);
        }

        // Features rejected while parsing are reported already: a reference to one is not "not found".
        var rejected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in findings)
        {
            if (f.FeatureId is not null)
            {
                rejected.Add(f.FeatureId);
            }
        }

        TopologyValidator.Validate(features, findings, rejected);
        return new TopologyImport(features, findings);
    }

    public static TopologyImport Read(ReadOnlySpan<byte> utf8Json)
    {
        using var stream = new MemoryStream(utf8Json.ToArray(), writable: false);
        return ReadAsync(stream).GetAwaiter().GetResult();
    }

    public static async Task<TopologyImport> ReadFileAsync(string path, CancellationToken cancellationToken = default)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return await ReadAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    private struct ReaderState
    {
        public JsonReaderState Json;
        public int Depth; // 0 = before the root object, 1 = inside it
        public bool InFeatures;
        public bool SawFeatures;
        public bool SawType;
        public bool Done;
        public bool RootClosed;
        public int FeatureIndex;
    }

    /// <summary>Advances over as much of <paramref name="data"/> as holds complete values; returns bytes consumed.</summary>
    private static int Step(ReadOnlySpan<byte> data, bool final, ref ReaderState state, List<TopologyFeature> features, List<TopologyFinding> findings)
    {
        var reader = new Utf8JsonReader(data, final, state.Json);
        int consumed = 0;
        var committed = state.Json;

        // Everything up to reader.BytesConsumed is done with: the next call starts there.
        void Commit(ref Utf8JsonReader r)
        {
            consumed = (int)r.BytesConsumed;
            committed = r.CurrentState;
        }

        while (!state.Done)
        {
            if (state.RootClosed)
            {
                // Only whitespace may follow the FeatureCollection; the reader throws on anything else.
                if (reader.Read())
                {
                    findings.Add(new TopologyFinding(FindingSeverity.Error, null, -1, FindingCodes.JsonInvalid,
                        "not valid JSON: content after the end of the FeatureCollection"));
                    state.Done = true;
                    return data.Length;
                }

                state.Done = final;
                break;
            }

            if (state.InFeatures)
            {
                if (!reader.Read())
                {
                    break;
                }

                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    state.InFeatures = false;
                    Commit(ref reader);
                    continue;
                }

                // The whole feature must be in the buffer: probe with a copy first.
                var probe = reader;
                if (!probe.TrySkip())
                {
                    break;
                }

                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    findings.Add(new TopologyFinding(FindingSeverity.Error, null, state.FeatureIndex, FindingCodes.FeatureInvalid, "a feature must be a JSON object"));
                    reader.TrySkip();
                }
                else
                {
                    using var doc = JsonDocument.ParseValue(ref reader);
                    try
                    {
                        var feature = TopologyFeatureParser.Parse(doc.RootElement, state.FeatureIndex, findings);
                        if (feature is not null)
                        {
                            features.Add(feature);
                        }
                    }
                    catch (InvalidOperationException ex)
                    {
                        // A string that is not valid UTF-8, or a \u escape that is not valid UTF-16.
                        findings.Add(new TopologyFinding(FindingSeverity.Error, null, state.FeatureIndex, FindingCodes.FeatureInvalid,
                            $"the feature holds text that is not valid Unicode: {ex.Message}"));
                    }
                }

                state.FeatureIndex++;
                Commit(ref reader);
                continue;
            }

            if (!reader.Read())
            {
                break;
            }

            if (state.Depth == 0)
            {
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    return Fail(findings, ref state, data.Length, "the file must be a GeoJSON FeatureCollection object");
                }

                state.Depth = 1;
                Commit(ref reader);
                continue;
            }

            if (reader.TokenType == JsonTokenType.EndObject)
            {
                if (!state.SawFeatures)
                {
                    return Fail(findings, ref state, data.Length, "the FeatureCollection has no features array");
                }

                if (!state.SawType)
                {
                    return Fail(findings, ref state, data.Length, "the FeatureCollection has no \"type\": \"FeatureCollection\"");
                }

                state.RootClosed = true;
                Commit(ref reader);
                continue;
            }

            // A property of the root object.
            var name = reader.GetString();
            var valueProbe = reader;
            if (!valueProbe.Read())
            {
                break;
            }

            if (name == "features" && valueProbe.TokenType == JsonTokenType.StartArray)
            {
                // Only the start of the array: the features are read one at a time from here,
                // so the buffer holds one feature, not the whole array.
                reader = valueProbe;
                state.SawFeatures = true;
                state.InFeatures = true;
                Commit(ref reader);
                continue;
            }

            // Any other value must be complete before we act on it.
            if (!valueProbe.TrySkip())
            {
                break;
            }

            reader.Read();
            switch (name)
            {
                case "features":
                    return Fail(findings, ref state, data.Length, "\"features\" must be an array");
                case "type" when reader.TokenType != JsonTokenType.String || reader.GetString() != "FeatureCollection":
                    return Fail(findings, ref state, data.Length, "\"type\" must be \"FeatureCollection\"");
                default:
                    // type, crs, bbox, name, ...: nothing to keep.
                    state.SawType |= name == "type";
                    reader.TrySkip();
                    Commit(ref reader);
                    continue;
            }
        }

        state.Json = committed;
        return consumed;
    }

    private static int Fail(List<TopologyFinding> findings, ref ReaderState state, int length, string message)
    {
        findings.Add(new TopologyFinding(FindingSeverity.Error, null, -1, FindingCodes.CollectionInvalid, message));
        state.Done = true;
        return length;
    }

    internal static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };

    internal static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The features read from a file and everything found wrong with it.</summary>
public sealed record TopologyImport(IReadOnlyList<TopologyFeature> Features, IReadOnlyList<TopologyFinding> Findings)
{
    public bool IsValid => !Findings.Any(f => f.Severity == FindingSeverity.Error);

    public IEnumerable<TopologyFinding> Errors => Findings.Where(f => f.Severity == FindingSeverity.Error);
}
