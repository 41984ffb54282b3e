using System.Text.Json;
using System.Text.Json.Serialization;

namespace OpsConsole.Engine.Storage.Backup;

/// <summary>
/// <c>manifest.json</c> of a backup folder, written last (a folder without one is not a backup): what was copied,
/// with each file's size and SHA-256, when, from where and by which versions.
/// </summary>
public sealed record BackupManifest
{
    public const string FileName = "manifest.json";

    /// <summary>The manifest format this version writes and reads.</summary>
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;

    /// <summary>The backup's moment: when the journal was sealed, every event acknowledged before it is in the backup.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>How long the backup took, in milliseconds.</summary>
    public long DurationMs { get; init; }

    public string Product { get; init; } = "OpsConsole";

    /// <summary>The version of the server that wrote it.</summary>
    public string Version { get; init; } = "";

    /// <summary>The version of LiteDB whose file format the database copy has.</summary>
    public string LiteDbVersion { get; init; } = "";

    /// <summary>The <c>Storage:Path</c> folder backed up (full path).</summary>
    public string Source { get; init; } = "";

    /// <summary>The master key file the server used, stored as <c>keys/master.key</c>.</summary>
    public string MasterKeySource { get; init; } = "";

    /// <summary>Documents per collection of the database copy, counted by opening it.</summary>
    public IReadOnlyDictionary<string, long> Collections { get; init; } = new Dictionary<string, long>();

    /// <summary>Every file of the backup, paths relative to the backup folder with <c>/</c>, as they go under <c>Storage:Path</c>.</summary>
    public IReadOnlyList<BackupFile> Files { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
