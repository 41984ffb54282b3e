using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpsConsole.Console.Server.Security.Users;
using OpsConsole.Engine.Storage;
using OpsConsole.Engine.Storage.LiteDb;
using OpsConsole.Engine.Tests.Coap;

namespace OpsConsole.Server.Tests;

/// <summary>What security events write to the log and the audit: no secrets, refused keys throttled, the audit kept to its horizon.</summary>
public sealed class SecurityLoggingTests
{
    private const string AdminKey = "admin-key-0123456789abcdef";

    [Fact]
    public async Task FirstStart_LogsWhereTheOneTimePasswordIs_NeverThePassword()
    {
        var logs = new CapturedLogs();
        await using var host = await RunningHost.StartAsync(logs.AddTo);
        string file = host.Get<InitialAdmin>().FilePath;
        string password = File.ReadAllText(file).Trim();

        Assert.Contains(logs.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains(file, StringComparison.Ordinal) && l.Message.Contains("one-time password", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Message.Contains(password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnencryptedDataProtectionKeys_AreSaidOnceWithWhereAndTheFix_NotAsFrameworkWarnings()
    {
        var logs = new CapturedLogs();
        await using var host = await RunningHost.StartAsync(logs.AddTo);
        var protector = Microsoft.AspNetCore.DataProtection.DataProtectionCommonExtensions.CreateProtector(
            host.Get<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>(), "test");
        _ = Microsoft.AspNetCore.DataProtection.DataProtectionCommonExtensions.Protect(protector, "x"); // the key ring is in use

        var said = Assert.Single(logs.Lines, l => l.Id.Id == 6201);
        Assert.Contains("keys/data-protection", said.Message, StringComparison.Ordinal);
        Assert.Contains("Kestrel:Certificates:Default", said.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Lines, l => l.Category.StartsWith("Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal) && l.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task RefusedApiKeys_AreLoggedWithTheAddress_OnceAMinutePerAddress_NeverTheKey()
    {
        var logs = new CapturedLogs();
        await using var host = await RunningHost.StartAsync(logs.AddTo, $"--Api:Keys:0:Key={AdminKey}", "--Api:Keys:0:Role=admin");
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        string[] wrong = ["wrong-key-aaaaaaaaaaaaaaaa", "wrong-key-bbbbbbbbbbbbbbbb", "wrong-key-cccccccccccccccc"];

        foreach (string key in wrong)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/stats");
            request.Headers.Add("X-Api-Key", key);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(request)).StatusCode);
        }

        var refused = Assert.Single(logs.Lines, l => l.Id.Id == 5101);
        Assert.Equal(LogLevel.Warning, refused.Level);
        Assert.Contains("127.0.0.1", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Lines, l => wrong.Any(k => l.Message.Contains(k, StringComparison.Ordinal)) || l.Message.Contains(AdminKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AuditRetention_DeletesEntriesPastTheHorizon_OnceADay()
    {
        using var folder = new TempFolder();
        using var store = new LiteStore(folder.Path);
        var clock = new ManualTimeProvider();
        var audit = new AuditLog(new LiteAuditStore(store), clock);
        using var retention = new AuditRetention(audit, Options.Create(new AuditOptions()), clock, NullLogger<AuditRetention>.Instance);
        var purged = new System.Collections.Concurrent.BlockingCollection<int>();
        retention.Purged += purged.Add;
        audit.Write("ada", "sign-in", "10.0.0.1");

        await retention.StartAsync(CancellationToken.None);
        Assert.True(purged.TryTake(out int first, TimeSpan.FromSeconds(30)));
        clock.Advance(TimeSpan.FromDays(365));
        Assert.True(purged.TryTake(out int afterAYear, TimeSpan.FromSeconds(30)));
        audit.Write("dana", "sign-in", "10.0.0.2"); // a year later
        clock.Advance(TimeSpan.FromDays(366)); // 731 days after the first entry, 366 after the second
        Assert.True(purged.TryTake(out int afterTwoYears, TimeSpan.FromSeconds(30)));
        await retention.StopAsync(CancellationToken.None);

        Assert.Equal((0, 0, 1), (first, afterAYear, afterTwoYears));
        Assert.Equal(["dana"], audit.Recent(10).Select(e => e.User));
        Assert.Equal(730, new AuditOptions().RetentionDays);
    }
}
