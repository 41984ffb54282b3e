namespace OpsConsole.Gis.Tests;

/// <summary>Where the test networks are: the bundled ckt24 copy and the shared workspace's models.</summary>
internal static class TestData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Ckt24 => Path.Combine(RepoRoot, "networks", "ckt24.geojson");

    /// <summary>The IEEE 8500-node model, in the shared workspace beside the repository.</summary>
    public static string Ieee8500 => Path.Combine(RepoRoot, "..", "shared", "data", "ieee8500.geojson");

    private static string FindRepoRoot()
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
}
