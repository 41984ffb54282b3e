using System.Security.Cryptography;
using OpsConsole.Engine.Storage;

namespace OpsConsole.Console.Server.Security.Users;

/// <summary>
/// On a first start (no users), creates <c>admin</c> with a random one-time password, written only to
/// <see cref="FileName"/> under <c>Storage:Path</c> (owner-only; the log says where, never the password: logs
/// are read and shipped more widely); it must be changed at the first sign-in.
/// </summary>
public sealed partial class InitialAdmin(UserStore users, AuditLog audit, IStorageEngine store, TimeProvider time, ILogger<InitialAdmin> logger) : IHostedService
{
    public const string UserName = "admin";
    public const string FileName = "initial-admin-password.txt";

    public string FilePath => Path.Combine(store.Folder, FileName);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (users.Count() > 0)
        {
            return Task.CompletedTask;
        }

        string password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
        if (!users.TryCreate(UserName, Roles.Admin, password, mustChangePassword: true, time.GetUtcNow().UtcDateTime))
        {
            return Task.CompletedTask;
        }

        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(FilePath, options))
        {
            writer.WriteLine(password);
        }

        audit.Write("system", "user-created", null, $"{UserName} (admin), one-time password in {FileName}");
        LogCreated(logger, UserName, FilePath);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Deletes the one-time password file (once the first admin has chosen a password).</summary>
    public void ForgetPassword() => File.Delete(FilePath);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning,
        Message = "First start: created user '{User}'; its one-time password is in {File} (readable by this account only); it must be changed at the first sign-in")]
    private static partial void LogCreated(ILogger logger, string user, string file);
}
