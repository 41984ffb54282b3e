using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace OpsConsole.Server.Tests;

/// <summary>
/// A Blazor Server circuit opened without a browser: what <c>blazor.web.js</c> does, over a real SignalR
/// connection to <c>/_blazor</c> (its MessagePack-based "blazorpack" protocol) from a chosen local address,
/// with a signed-in browser's cookies. It starts the circuit and adds the page's prerendered root components,
/// so the circuit opens as a browser's would; it renders nothing and answers no JS call.
/// </summary>
internal sealed partial class BlazorCircuit : IAsyncDisposable
{
    private readonly List<HubConnection> _connections = [];
    private readonly Browser _browser;
    private readonly HttpTransportType _transport;
    private string _secret = "";

    private BlazorCircuit(Browser browser, HttpTransportType transport)
    {
        _browser = browser;
        _transport = transport;
    }

    /// <summary>
    /// Opens a circuit for <paramref name="page"/> as loaded by <paramref name="browser"/>, its connection coming
    /// from <paramref name="localAddress"/> (any 127.x address on Linux), not the browser's 127.0.0.1.
    /// </summary>
    public static async Task<BlazorCircuit> OpenAsync(Browser browser, string page, IPAddress localAddress, HttpTransportType transport)
    {
        var circuit = new BlazorCircuit(browser, transport);
        var baseAddress = browser.Http.BaseAddress!;
        var hub = await circuit.ConnectAsync(localAddress);

        // The prerendered page holds its interactive root components (protected markers) and their state.
        string html = await browser.Http.GetStringAsync(page);
        var markers = Marker().Matches(html).Select(m => m.Groups["json"].Value).Where(m => m.Contains("\"descriptor\"", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(markers);
        string state = ComponentState().Match(html).Groups["state"].Value;

        string? secret = await hub.InvokeAsync<string?>("StartCircuit", baseAddress.ToString(), new Uri(baseAddress, page).ToString(), "[]", "");
        Assert.NotNull(secret);
        circuit._secret = secret;
        string operations = "{\"batchId\":1,\"operations\":[" + string.Join(",", markers.Select((m, i) => $"{{\"type\":\"add\",\"ssrComponentId\":{i + 1},\"marker\":{m}}}")) + "]}";
        await hub.SendAsync("UpdateRootComponents", operations, state);
        return circuit;
    }

    /// <summary>What the browser does after a network change: a new connection, from <paramref name="localAddress"/>, takes the circuit over.</summary>
    public async Task<bool> ReconnectFromAsync(IPAddress localAddress)
    {
        var hub = await ConnectAsync(localAddress);
        return await hub.InvokeAsync<bool>("ConnectCircuit", _secret);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    private async Task<HubConnection> ConnectAsync(IPAddress localAddress)
    {
        var cookies = _browser.Cookies;
        var builder = new HubConnectionBuilder().WithUrl(new Uri(_browser.Http.BaseAddress!, "_blazor"), _transport, o =>
        {
            o.HttpMessageHandlerFactory = _ => Handler(cookies, localAddress);
            o.Headers["Origin"] = _browser.Http.BaseAddress!.GetLeftPart(UriPartial.Authority); // as a browser's page sends it
            o.WebSocketFactory = async (context, cancellationToken) =>
            {
                var socket = new ClientWebSocket();
                await socket.ConnectAsync(context.Uri, new HttpMessageInvoker(Handler(cookies, localAddress)), cancellationToken);
                return socket;
            };
        });
        builder.Services.AddSingleton<IHubProtocol>(new BlazorPackProtocol());
        var hub = builder.Build();
        _connections.Add(hub);
        await hub.StartAsync();
        return hub;
    }

    private static SocketsHttpHandler Handler(CookieContainer cookies, IPAddress localAddress) => new()
    {
        CookieContainer = cookies,
        UseCookies = true,
        AllowAutoRedirect = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(localAddress, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    [GeneratedRegex("<!--Blazor:(?<json>\\{.*?\\})-->")]
    private static partial Regex Marker();

    [GeneratedRegex("<!--Blazor-Server-Component-State:(?<state>.*?)-->")]
    private static partial Regex ComponentState();

    /// <summary>Blazor's hub speaks MessagePack under the name "blazorpack".</summary>
    private sealed class BlazorPackProtocol : IHubProtocol
    {
        private readonly MessagePackHubProtocol _inner = new();

        public string Name => "blazorpack";

        public int Version => _inner.Version;

        public TransferFormat TransferFormat => TransferFormat.Binary;

        public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message) =>
            _inner.TryParseMessage(ref input, binder, out message);

        public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => _inner.WriteMessage(message, output);

        public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => _inner.GetMessageBytes(message);

        public bool IsVersionSupported(int version) => _inner.IsVersionSupported(version);
    }
}
