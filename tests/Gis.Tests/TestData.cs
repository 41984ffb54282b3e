namespace OpsConsole.Gis.Tests;

/// <summary>Where the test networks are: both are in the repository's <c>networks/</c> folder.</summary>
internal static class TestData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Ckt24 => Path.Combine(RepoRoot, "networks", "ckt24.geojson");

    /// <summary>The IEEE 8500-node model (licence notice beside it).</summary>
    public static string Ieee8500 => Path.Combine(RepoRoot, "networks", "ieee8500.geojson");

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
