using Microsoft.Extensions.Options;
using OpsConsole.Engine.Configuration;

namespace OpsConsole.Console.Server.Backup;

/// <summary><c>Backup:*</c> — where <c>POST /api/admin/backup</c> may write.</summary>
public sealed class BackupOptions
{
    public const string Section = "Backup";

    /// <summary>
    /// The folder the REST call writes its backups into, each in a new sub-folder it names; empty (the default): the
    /// REST call is off (<c>409</c>). The command line (<c>backup &lt;folder&gt;</c>) takes any folder.
    /// </summary>
    public string Path { get; set; } = "";
}

internal sealed class BackupOptionsValidator(IOptions<StorageOptions> storage) : IValidateOptions<BackupOptions>
{
    public ValidateOptionsResult Validate(string? name, BackupOptions options)
    {
        if (options.Path.Length == 0)
        {
            return ValidateOptionsResult.Success;
        }

        if (string.IsNullOrWhiteSpace(options.Path) || options.Path.IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0)
        {
            return ValidateOptionsResult.Fail($"Backup:Path = '{options.Path}': must be a folder path");
        }

        string backups = OptionPaths.Resolve(options.Path);
        string data = OptionPaths.Resolve(storage.Value.Path);
        return Overlap(backups, data)
            ? ValidateOptionsResult.Fail($"Backup:Path = '{options.Path}': overlaps Storage:Path ({data}); backups must survive the loss of the data folder, give a folder outside it")
            : ValidateOptionsResult.Success;
    }

    private static bool Overlap(string a, string b)
    {
        a = System.IO.Path.TrimEndingDirectorySeparator(a) + System.IO.Path.DirectorySeparatorChar;
        b = System.IO.Path.TrimEndingDirectorySeparator(b) + System.IO.Path.DirectorySeparatorChar;
        return a.StartsWith(b, StringComparison.Ordinal) || b.StartsWith(a, StringComparison.Ordinal);
    }
}
