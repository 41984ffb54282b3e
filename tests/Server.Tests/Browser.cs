using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace OpsConsole.Server.Tests;

/// <summary>A browser over real HTTP: keeps cookies, follows no redirects, posts forms with the page's anti-forgery token.</summary>
internal sealed partial class Browser : IDisposable
{
    /// <param name="from">The local address to connect from (any 127.x address on Linux), so the server sees another client; null for the default.</param>
    public Browser(Uri baseAddress, IPAddress? from = null)
    {
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, CookieContainer = Cookies, UseCookies = true };
        if (from is not null)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(from, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        Http = new HttpClient(handler) { BaseAddress = baseAddress };
    }

    /// <summary>A browser over <paramref name="handler"/> (e.g. HTTPS trusting a test CA); it gets the cookie jar and no redirects.</summary>
    public Browser(Uri baseAddress, SocketsHttpHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        handler.AllowAutoRedirect = false;
        handler.UseCookies = true;
        handler.CookieContainer = Cookies;
        Http = new HttpClient(handler) { BaseAddress = baseAddress };
    }

    /// <summary>This site's origin, as a browser sends it in <c>Origin</c> on a write.</summary>
    public string Origin => Http.BaseAddress!.GetLeftPart(UriPartial.Authority);

    public HttpClient Http { get; }

    /// <summary>The browser's cookies (the sign-in cookie among them), for a hub or circuit connection of the same session.</summary>
    public CookieContainer Cookies { get; } = new();

    /// <summary>GETs the page holding the form and posts it with the page's anti-forgery token.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string page, string action, params (string Name, string Value)[] fields)
    {
        string token = await TokenAsync(page);
        var form = new FormUrlEncodedContent([new("__RequestVerificationToken", token), .. fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))]);
        return await Http.PostAsync(action, form);
    }

    /// <summary>The anti-forgery token of the form on <paramref name="page"/>.</summary>
    public async Task<string> TokenAsync(string page)
    {
        string html = await Http.GetStringAsync(page);
        string token = TokenField().Match(html).Groups["token"].Value;
        Assert.False(string.IsNullOrEmpty(token), $"no anti-forgery token on {page}");
        return token;
    }

    public Task<HttpResponseMessage> SignInAsync(string user, string password) =>
        PostFormAsync("/signin", "/account/signin", ("user", user), ("password", password), ("returnUrl", "/map"));

    public void Dispose() => Http.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"(?<token>[^\"]+)\"|type=\"hidden\" name=\"__RequestVerificationToken\" value=\"(?<token>[^\"]+)\"")]
    private static partial Regex TokenField();
}
