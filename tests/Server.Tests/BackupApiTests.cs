using System.Net;
using System.Text;
using System.Text.Json;
using OpsConsole.Console.Server.Backup;
using OpsConsole.Console.Server.Security.Users;
using OpsConsole.Engine.Storage.Backup;

namespace OpsConsole.Server.Tests;

/// <summary>
/// The two doors of the backup on a running host — <c>POST /api/admin/backup</c> and the <c>backup</c> command through
/// the local admin socket — and the <c>restore</c> command's refusals: each request audited once, a refusal exit code 2
/// with one line and no stack trace.
/// </summary>
public sealed class BackupApiTests : IAsyncLifetime
{
    private const string DispatcherKey = "backup-dispatcher-key-0123";
    private const string AdminKey = "backup-admin-key-0123456789";

    private readonly TempFolder _folder = new();
    private RunningHost _host = null!;

    private string Backups => Path.Combine(_folder.Path, "backups");

    private string Storage => Path.Combine(_folder.Path, "db");

    public async Task InitializeAsync() =>
        _host = await RunningHost.StartAsync(_folder, $"--Backup:Path={Backups}", $"--Api:Keys:0:Key={DispatcherKey}", "--Api:Keys:0:Role=dispatcher",
            $"--Api:Keys:1:Key={AdminKey}", "--Api:Keys:1:Role=admin");

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<HttpResponseMessage> PostBackupAsync(string body, string key)
    {
        using var http = new HttpClient { BaseAddress = _host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, BackupEndpoints.Path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Api-Key", key);
        return await http.SendAsync(request);
    }

    private IReadOnlyList<AuditEntry> Audit() => _host.Get<AuditLog>().Recent(10_000);

    private static async Task<(int Code, string Output, string Error)> RunCommandAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await BackupCommands.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task BackupApi_AsAdmin_WritesAVerifiedBackupUnderBackupPath_AuditedOnce_ASecondIntoTheSameNameIs409()
    {
        int before = Audit().Count;

        using var response = await PostBackupAsync("""{"name":"nightly-1"}""", AdminKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("nightly-1", json.RootElement.GetProperty("name").GetString());
        Assert.True(json.RootElement.GetProperty("files").GetInt32() >= 3);
        var manifest = BackupRestore.Verify(Path.Combine(Backups, "nightly-1"));
        Assert.Contains(manifest.Files, f => f.Path == BackupRestore.MasterKeyPath);
        Assert.Equal(await File.ReadAllBytesAsync(_host.KeyFile), await File.ReadAllBytesAsync(Path.Combine(Backups, "nightly-1", "keys", "master.key")));
        var entries = Audit();
        Assert.Equal(before + 1, entries.Count);
        Assert.Equal(BackupAdministration.Action, entries[0].Action);
        Assert.StartsWith("api-key:admin:", entries[0].User, StringComparison.Ordinal);
        Assert.StartsWith("nightly-1: ", entries[0].Detail, StringComparison.Ordinal);

        using var again = await PostBackupAsync("""{"name":"nightly-1"}""", AdminKey);

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("not empty", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        entries = Audit();
        Assert.Equal(before + 2, entries.Count);
        Assert.Equal(BackupAdministration.FailedAction, entries[0].Action);
        BackupRestore.Verify(Path.Combine(Backups, "nightly-1")); // the first one is untouched
    }

    [Theory]
    [InlineData("../escaped")]
    [InlineData("/tmp/escaped")]
    [InlineData("a/b")]
    public async Task BackupApi_ANameThatIsAPath_Is400_WritesNothing_AuditedOnce(string name)
    {
        int before = Audit().Count;

        using var response = await PostBackupAsync(JsonSerializer.Serialize(new { name }), AdminKey);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(Directory.Exists(Backups) && Directory.EnumerateFileSystemEntries(Backups).Any());
        Assert.False(Directory.Exists(Path.Combine(_folder.Path, "escaped")));
        Assert.Equal(before + 1, Audit().Count);
        Assert.Equal(BackupAdministration.FailedAction, Audit()[0].Action);
    }

    [Fact]
    public async Task BackupCommand_AgainstTheRunningServer_IsTakenByTheServer_AuditedOnceAsLocalCommand()
    {
        Assert.NotNull(await _host.Get<LocalAdminSocket>().Listening);
        string target = Path.Combine(_folder.Path, "by-command");
        int before = Audit().Count;

        var (code, output, error) = await RunCommandAsync("backup", target, $"--Storage:Path={Storage}");

        Assert.True(code == 0, error);
        Assert.Contains("taken by the running server", output, StringComparison.Ordinal);
        BackupRestore.Verify(target);
        var entries = Audit();
        Assert.Equal(before + 1, entries.Count);
        Assert.Equal((BackupAdministration.LocalActor, BackupAdministration.Action), (entries[0].User, entries[0].Action));
    }

    [Fact]
    public async Task ASecondServer_OnTheRunningServersStoragePath_RefusesToStart_NamingTheFolder()
    {
        await using var second = OpsConsole.Console.Server.Hosting.ConsoleHost.Build(["--urls=http://127.0.0.1:0", $"--Storage:Path={Storage}", "--Hes:Port=0", TempFolder.KeyFileArg()]);

        var ex = await Record.ExceptionAsync(() => second.StartAsync());

        Assert.NotNull(ex);
        string? message = OpsConsole.Console.Server.Hosting.ConsoleHost.DescribeStartupFailure(ex);
        Assert.Contains($"Storage:Path = '{Storage}': the folder is in use by another OpsConsole process", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RestoreCommand_RefusesATamperedBackup_ANonEmptyFolder_AndTheRunningServersFolder_Exit2_NoStackTrace()
    {
        Assert.NotNull(await _host.Get<LocalAdminSocket>().Listening); // the backup goes through the running server's socket
        string backup = Path.Combine(_folder.Path, "b");
        var taken = await RunCommandAsync("backup", backup, $"--Storage:Path={Storage}");
        Assert.True(taken.Code == 0, taken.Error);
        string nonEmpty = Path.Combine(_folder.Path, "non-empty");
        Directory.CreateDirectory(nonEmpty);
        await File.WriteAllTextAsync(Path.Combine(nonEmpty, "old.txt"), "old");

        var intoRunning = await RunCommandAsync("restore", backup, $"--Storage:Path={Storage}");
        var intoNonEmpty = await RunCommandAsync("restore", backup, $"--Storage:Path={nonEmpty}");
        string database = Path.Combine(backup, "opsconsole.db");
        var bytes = await File.ReadAllBytesAsync(database);
        bytes[bytes.Length / 2] ^= 0x40;
        await File.WriteAllBytesAsync(database, bytes);
        string fresh = Path.Combine(_folder.Path, "fresh");
        var tampered = await RunCommandAsync("restore", backup, $"--Storage:Path={fresh}");

        Assert.Equal(2, intoRunning.Code);
        Assert.Contains("running server", intoRunning.Error, StringComparison.Ordinal);
        Assert.Equal(2, intoNonEmpty.Code);
        Assert.Contains("not empty", intoNonEmpty.Error, StringComparison.Ordinal);
        Assert.Equal(["old.txt"], Directory.EnumerateFileSystemEntries(nonEmpty).Select(Path.GetFileName));
        Assert.Equal(2, tampered.Code);
        Assert.Contains("opsconsole.db has SHA-256", tampered.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(fresh));
        foreach (var refused in new[] { intoRunning, intoNonEmpty, tampered })
        {
            Assert.StartsWith("OpsConsole restore refused: ", refused.Error, StringComparison.Ordinal);
            Assert.Single(refused.Error.TrimEnd().Split('\n'));
            Assert.DoesNotContain("   at ", refused.Error, StringComparison.Ordinal);
        }
    }
}
