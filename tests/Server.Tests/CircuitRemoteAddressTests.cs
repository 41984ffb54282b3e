using System.Net;
using System.Security.Claims;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.Http.Connections;
using OpsConsole.Console.Client.Admin;
using OpsConsole.Console.Client.Outages;
using OpsConsole.Console.Server.Security;
using OpsConsole.Console.Server.Security.Circuits;
using OpsConsole.Console.Server.Security.Users;

namespace OpsConsole.Server.Tests;

/// <summary>
/// What is done through a page session is audited with that session's remote address: the services the pages
/// use carry it into every entry, and the circuit takes it from its own connection when it opens.
/// </summary>
public sealed class CircuitRemoteAddressTests : IAsyncLifetime
{
    private readonly CircuitProbe _probe = new();
    private RunningHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await RunningHost.StartAsync(builder =>
        {
            builder.Services.AddSingleton(_probe);
            builder.Services.AddScoped<CircuitHandler, ProbeHandler>();
        });
        _host.WithStaff();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static ClaimsPrincipal User(string name, string role) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], "test"));

    /// <summary>A page session's services, its remote address known.</summary>
    private IServiceScope Session(string address)
    {
        var scope = _host.App.Services.CreateScope();
        scope.ServiceProvider.GetRequiredService<CircuitRemoteAddress>().Set(IPAddress.Parse(address));
        return scope;
    }

    private AuditEntry[] Audit(string user) => [.. _host.Get<AuditLog>().Recent(100).Where(e => e.User == user).Reverse()];

    [Fact]
    public async Task BoardActions_ThroughThePageService_CarryTheSessionsAddress()
    {
        using var session = Session("203.0.113.7");
        var board = session.ServiceProvider.GetRequiredService<IOutageBoardSource>();

        await board.AcknowledgeAsync("O-404", User("dana", Roles.Dispatcher));
        await board.DispatchAsync("O-404", User("dana", Roles.Dispatcher), "crew 4", null);
        await board.RestoreAsync("O-404", User("dana", Roles.Dispatcher), "fuse replaced");
        await board.RemapAsync("M9", User("dana", Roles.Dispatcher), "T1");
        var remap = await board.RemapAsync("M9", User("ada", Roles.Admin), "T1");

        Assert.True(remap.Succeeded, remap.Error);
        Assert.Equal(["outage-action-failed", "outage-action-failed", "outage-action-failed", "action-refused"], Audit("dana").Select(e => e.Action));
        Assert.Equal(["outage-action"], Audit("ada").Select(e => e.Action));
        Assert.All([.. Audit("dana"), .. Audit("ada")], e => Assert.Equal("203.0.113.7", e.RemoteAddress));
    }

    [Fact]
    public async Task AdminActions_ThroughThePageService_CarryTheSessionsAddress()
    {
        using var session = Session("2001:db8::5");
        var admin = session.ServiceProvider.GetRequiredService<IUserAdministration>();

        await admin.CreateUserAsync(User("ada", Roles.Admin), "bob", Roles.Dispatcher, "a-long-enough-password");
        await admin.UnlockAsync(User("ada", Roles.Admin), "bob");
        var reset = await admin.ResetPasswordAsync(User("ada", Roles.Admin), "bob");
        await admin.UnlockAsync(User("dana", Roles.Dispatcher), "ada");

        Assert.Equal(["user-created", "user-unlocked", "password-reset"], Audit("ada").Select(e => e.Action));
        Assert.Equal(["admin-refused"], Audit("dana").Select(e => e.Action));
        Assert.All([.. Audit("ada"), .. Audit("dana")], e => Assert.Equal("2001:db8::5", e.RemoteAddress));
        Assert.DoesNotContain(_host.Get<AuditLog>().Recent(100), e => (e.Detail ?? "").Contains(reset.TemporaryPassword!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SessionsAddress_IsKnownOnce_AndNotErasedByAnUnknownOne()
    {
        using var session = Session("203.0.113.7");
        var address = session.ServiceProvider.GetRequiredService<CircuitRemoteAddress>();

        address.Set(null);

        Assert.Equal("203.0.113.7", address.Value);
        Assert.Null(new CircuitRemoteAddress().Value);
    }

    [Theory]
    [InlineData(HttpTransportType.WebSockets)]
    [InlineData(HttpTransportType.LongPolling)] // Blazor's fallback; IHttpContextAccessor has no HttpContext there
    public async Task Circuit_TakesTheAddressOfItsOwnConnection_ForActionsDoneThroughIt(HttpTransportType transport)
    {
        using var browser = new Browser(_host.BaseAddress); // signs in and loads the page from 127.0.0.1
        Assert.Equal("/map", (await browser.SignInAsync("ada", Staff.AdminPassword)).Headers.Location!.OriginalString);

        await using var circuit = await BlazorCircuit.OpenAsync(browser, "/outages", IPAddress.Parse("127.0.0.2"), transport);
        string? captured = await _probe.Done.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("127.0.0.2", captured);
        Assert.Equal("127.0.0.1", Assert.Single(Audit("ada"), e => e.Action == "sign-in").RemoteAddress);
        var done = Audit("ada").Where(e => e.Action is "outage-action-failed" or "user-unlocked").ToArray();
        Assert.Equal(["outage-action-failed", "user-unlocked"], done.Select(e => e.Action));
        Assert.All(done, e => Assert.Equal("127.0.0.2", e.RemoteAddress));
    }

    [Fact]
    public async Task Circuit_ReconnectedFromAnotherAddress_TakesTheNewOne()
    {
        using var browser = new Browser(_host.BaseAddress);
        await browser.SignInAsync("ada", Staff.AdminPassword);
        await using var circuit = await BlazorCircuit.OpenAsync(browser, "/outages", IPAddress.Parse("127.0.0.2"), HttpTransportType.WebSockets);
        Assert.Equal("127.0.0.2", await _probe.ConnectionsUp.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.True(await circuit.ReconnectFromAsync(IPAddress.Parse("127.0.0.3")));

        Assert.Equal("127.0.0.3", await _probe.ConnectionsUp.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
    }

    /// <summary>What the probe saw in the circuit.</summary>
    internal sealed class CircuitProbe
    {
        public TaskCompletionSource<string?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The circuit's remote address each time a connection came up (open, then reconnects).</summary>
        public Channel<string?> ConnectionsUp { get; } = Channel.CreateUnbounded<string?>();
    }

    /// <summary>
    /// Runs in the circuit when it opens, after the console's own handlers, and does what the board and users
    /// pages do on a click: calls the circuit's services with the circuit's user.
    /// </summary>
    internal sealed class ProbeHandler(
        CircuitProbe probe, CircuitRemoteAddress address, AuthenticationStateProvider authentication, IOutageBoardSource board, IUserAdministration admin) : CircuitHandler
    {
        public override int Order => int.MaxValue;

        public override async Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
        {
            try
            {
                var user = (await authentication.GetAuthenticationStateAsync()).User;
                await board.AcknowledgeAsync("O-404", user);
                await admin.UnlockAsync(user, "dana");
                probe.Done.TrySetResult(address.Value);
            }
            catch (Exception ex)
            {
                probe.Done.TrySetException(ex);
            }
        }

        public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken) =>
            probe.ConnectionsUp.Writer.WriteAsync(address.Value, cancellationToken).AsTask();
    }
}
