using System.Net;
using System.Text.RegularExpressions;

namespace OpsConsole.Server.Tests;

/// <summary>A browser over real HTTP: keeps cookies, follows no redirects, posts forms with the page's anti-forgery token.</summary>
internal sealed partial class Browser : IDisposable
{
    public Browser(Uri baseAddress)
    {
        Http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = Cookies }) { BaseAddress = baseAddress };
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

    public HttpClient Http { get; }

    /// <summary>The browser's cookies (the sign-in cookie among them), for a hub or circuit connection of the same session.</summary>
    public CookieContainer Cookies { get; } = new();

    /// <summary>GETs the page holding the form and posts it with the page's anti-forgery token.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string page, string action, params (string Name, string Value)[] fields)
    {
        string html = await Http.GetStringAsync(page);
        string token = TokenField().Match(html).Groups["token"].Value;
        Assert.False(string.IsNullOrEmpty(token), $"no anti-forgery token on {page}");
        var form = new FormUrlEncodedContent([new("__RequestVerificationToken", token), .. fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))]);
        return await Http.PostAsync(action, form);
    }

    public Task<HttpResponseMessage> SignInAsync(string user, string password) =>
        PostFormAsync("/signin", "/account/signin", ("user", user), ("password", password), ("returnUrl", "/map"));

    public void Dispose() => Http.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"(?<token>[^\"]+)\"|type=\"hidden\" name=\"__RequestVerificationToken\" value=\"(?<token>[^\"]+)\"")]
    private static partial Regex TokenField();
}
