using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using OpsConsole.Console.Server.Hubs;

namespace OpsConsole.Server.Tests;

/// <summary>
/// docs/api.md cannot drift from the application: every route its tables list is mapped with that method, every
/// <c>/api/</c> route the application maps is listed, the hub path exists and its messages are exactly the ones the
/// server sends; and every call of the README's API table is one docs/api.md lists.
/// </summary>
public sealed partial class ApiDocumentationTests : IAsyncLifetime
{
    private static readonly string[] IgnoredMethods = ["HEAD", "OPTIONS"];

    private RunningHost _host = null!;

    public async Task InitializeAsync() => _host = await RunningHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>The application's routes: pattern → methods (empty: any method).</summary>
    private Dictionary<string, HashSet<string>> MappedRoutes()
    {
        var routes = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var endpoint in _host.App.Services.GetServices<EndpointDataSource>().SelectMany(d => d.Endpoints).OfType<RouteEndpoint>())
        {
            string pattern = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
            if (!routes.TryGetValue(pattern, out var set))
            {
                routes[pattern] = set = new HashSet<string>(StringComparer.Ordinal);
            }

            set.UnionWith(methods.Where(m => !IgnoredMethods.Contains(m)));
        }

        return routes;
    }

    [Fact]
    public void Docs_ListRoutes_InEveryTableRow()
    {
        var doc = DocumentedApi.Read();

        Assert.True(doc.Routes.Count >= 10, $"only {doc.Routes.Count} routes parsed from docs/api.md");
        Assert.True(doc.MalformedRows.Count == 0, "rows of a route table without a method and a route:\n" + string.Join("\n", doc.MalformedRows));
        Assert.Equal(doc.Routes.Count, doc.Routes.Distinct().Count());
    }

    [Fact]
    public void EveryDocumentedRoute_IsMapped_WithItsMethod()
    {
        var mapped = MappedRoutes();
        var missing = DocumentedApi.Read().Routes
            .Where(r => !mapped.TryGetValue(r.Route, out var methods) || (methods.Count > 0 && !methods.Contains(r.Method)))
            .Select(r => $"{r.Method} {r.Route}")
            .ToList();

        Assert.True(missing.Count == 0, "docs/api.md lists routes the application does not map:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void EveryMappedApiRoute_IsDocumented()
    {
        var documented = DocumentedApi.Read().Routes.ToHashSet();
        var undocumented = new List<string>();
        var api = MappedRoutes().Where(r => r.Key.StartsWith("/api/", StringComparison.Ordinal)).ToList();
        foreach (var (route, methods) in api)
        {
            if (methods.Count == 0 && !documented.Any(d => d.Route == route))
            {
                undocumented.Add($"(any method) {route}");
            }

            undocumented.AddRange(methods.Where(m => !documented.Contains(new DocumentedRoute(m, route))).Select(m => $"{m} {route}"));
        }

        Assert.True(api.Count >= 10, $"only {api.Count} /api/ routes found: the endpoints were not enumerated");
        Assert.True(undocumented.Count == 0, "/api/ routes missing from docs/api.md:\n" + string.Join("\n", undocumented));
    }

    [Fact]
    public void DocumentedHub_IsMapped_AndItsMessagesAreExactlyWhatTheServerSends()
    {
        var doc = DocumentedApi.Read();
        var sent = typeof(OutageHub).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string) && f.Name != nameof(OutageHub.Path))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToHashSet();

        Assert.Equal(OutageHub.Path, doc.HubPath);
        Assert.Contains(OutageHub.Path, MappedRoutes().Keys);
        Assert.Equal(sent.Order(), doc.HubMessages.Order());
    }

    [Fact]
    public void EveryCallOfTheReadmesApiTable_IsListedInDocs()
    {
        var documented = DocumentedApi.Read().Routes.ToHashSet();
        var readme = ApiDocumentation.Read().Calls
            .Select(c => new DocumentedRoute(c.Method.Method, c.Path.Split('?')[0]))
            .Where(c => !documented.Contains(c))
            .Select(c => $"{c.Method} {c.Route}")
            .ToList();

        Assert.True(readme.Count == 0, "README's API table names calls docs/api.md does not list:\n" + string.Join("\n", readme));
    }

    [Fact]
    public void Parse_ReadsOnlyRouteTables_AndReportsARowWithoutARoute()
    {
        const string Text = """
            | status | when |
            | --- | --- |
            | `400` | bad input |

            | method | route | role | what |
            | --- | --- | --- | --- |
            | `GET` | `/api/a/{id}` | any | one |
            | `POST` | `/api/b` | admin | two |
            | GET /api/c | | any | malformed |

            ## Live hub `/hubs/x`

            | message | argument | when |
            | --- | --- | --- |
            | `Changed` | an outage | always |
            """;

        var doc = DocumentedApi.Parse(Text);

        Assert.Equal([new DocumentedRoute("GET", "/api/a/{id}"), new DocumentedRoute("POST", "/api/b")], doc.Routes);
        Assert.Single(doc.MalformedRows);
        Assert.Equal("/hubs/x", doc.HubPath);
        Assert.Equal(["Changed"], doc.HubMessages);
    }
}

/// <summary>One route of docs/api.md: an HTTP method and a route pattern as ASP.NET Core writes it.</summary>
public sealed record DocumentedRoute(string Method, string Route);

/// <summary>docs/api.md, parsed: the rows of its <c>| method | route | …</c> tables, and the hub's heading and message table.</summary>
internal sealed partial record DocumentedApi(IReadOnlyList<DocumentedRoute> Routes, IReadOnlyList<string> MalformedRows, string? HubPath, IReadOnlyList<string> HubMessages)
{
    public static DocumentedApi Read() => Parse(File.ReadAllText(Path.Combine(RepoRoot(), "docs", "api.md")));

    public static DocumentedApi Parse(string text)
    {
        var routes = new List<DocumentedRoute>();
        var malformed = new List<string>();
        var messages = new List<string>();
        string? table = null; // the first header cell of the table being read
        foreach (var line in text.Split('\n').Select(l => l.Trim()))
        {
            if (!line.StartsWith('|'))
            {
                table = null;
                continue;
            }

            var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (table is null)
            {
                table = cells[0];
                continue;
            }

            if (cells[0].All(ch => ch is '-' or ':' or ' '))
            {
                continue;
            }

            if (table == "method")
            {
                var method = Code().Match(cells[0]);
                var route = cells.Length > 1 ? Code().Match(cells[1]) : Match.Empty;
                if (method.Success && route.Success && MethodName().IsMatch(method.Groups[1].Value) && route.Groups[1].Value.StartsWith('/'))
                {
                    // A route may be written with the query that selects it (`/api/meters?mapped=false`): the path is what is mapped.
                    routes.Add(new DocumentedRoute(method.Groups[1].Value, route.Groups[1].Value.Split('?')[0]));
                }
                else
                {
                    malformed.Add(line);
                }
            }
            else if (table == "message" && Code().Match(cells[0]) is { Success: true } message)
            {
                messages.Add(message.Groups[1].Value);
            }
        }

        var hub = Hub().Match(text);
        return new DocumentedApi(routes, malformed, hub.Success ? hub.Groups[1].Value : null, messages);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OpsConsole.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("OpsConsole.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^`([^`]+)`$")]
    private static partial Regex Code();

    [GeneratedRegex("^(GET|POST|PUT|PATCH|DELETE)$")]
    private static partial Regex MethodName();

    [GeneratedRegex(@"^## Live hub `(/[^`\s]+)`", RegexOptions.Multiline)]
    private static partial Regex Hub();
}
