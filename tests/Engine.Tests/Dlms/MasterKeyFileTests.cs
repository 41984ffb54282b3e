using OpsConsole.Engine.Security;

namespace OpsConsole.Engine.Tests.Dlms;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class MasterKeyFileTests : IDisposable
{
    private const UnixFileMode Mode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Mode0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode Mode0644 = Mode0600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "opsconsole-mkf-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void LoadOrCreate_Missing_Creates32BytesOwnerOnlyInOwnerOnlyFolders()
    {
        var path = Path.Combine(_root, "data", "keys", "master.key");
        var key = MasterKeyFile.LoadOrCreate(path);

        Assert.Equal(32, key.Length);
        Assert.Equal(key, File.ReadAllBytes(path));
        Assert.Equal(Mode0600, File.GetUnixFileMode(path));
        Assert.Equal(Mode0700, File.GetUnixFileMode(Path.Combine(_root, "data", "keys")));
        Assert.Equal(Mode0700, File.GetUnixFileMode(Path.Combine(_root, "data")));
        Assert.Equal(Mode0700, File.GetUnixFileMode(_root)); // every level this call created
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temporary file left behind
        Assert.NotEqual(new byte[32], key);
    }

    [Fact]
    public void LoadOrCreate_Existing_ReloadsTheSameBytes()
    {
        var path = Path.Combine(_root, "master.key");
        var created = MasterKeyFile.LoadOrCreate(path);
        Assert.Equal(created, MasterKeyFile.LoadOrCreate(path));
        Assert.Equal(created, MasterKeyFile.Load(path));
    }

    [Fact]
    public void LoadOrCreate_TwoCalls_DifferentFilesGetDifferentKeys()
    {
        var a = MasterKeyFile.LoadOrCreate(Path.Combine(_root, "a.key"));
        var b = MasterKeyFile.LoadOrCreate(Path.Combine(_root, "b.key"));
        Assert.NotEqual(a, b);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    public void Load_WrongSize_RefusedNamingKeyAndPath(int size)
    {
        var path = WriteKeyFile("sized.key", new byte[size], Mode0600);
        var ex = Assert.Throws<MasterKeyFileException>(() => MasterKeyFile.LoadOrCreate(path));
        Assert.Contains("Security:MasterKeyFile", ex.Message);
        Assert.Contains(path, ex.Message);
        Assert.Contains($"{size} bytes", ex.Message);
    }

    [Theory]
    [InlineData(Mode0644)]
    [InlineData(Mode0600 | UnixFileMode.GroupRead)]
    [InlineData(Mode0600 | UnixFileMode.OtherWrite)]
    [InlineData(Mode0600 | UnixFileMode.GroupExecute)]
    public void Load_GroupOrOtherPermission_RefusedWithoutShowingKey(UnixFileMode mode)
    {
        var key = Enumerable.Range(0xA0, 32).Select(i => (byte)i).ToArray();
        var path = WriteKeyFile("open.key", key, mode);
        var ex = Assert.Throws<MasterKeyFileException>(() => MasterKeyFile.Load(path));
        Assert.Contains("Security:MasterKeyFile", ex.Message);
        Assert.Contains(path, ex.Message);
        Assert.Contains("chmod 600", ex.Message);
        Assert.DoesNotContain("A0A1A2A3", ex.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Load_Mode0644_MessageShowsTheMode()
    {
        var path = WriteKeyFile("open.key", new byte[32], Mode0644);
        var ex = Assert.Throws<MasterKeyFileException>(() => MasterKeyFile.Load(path));
        Assert.Contains("0644", ex.Message);
    }

    [Fact]
    public void Load_Missing_RefusedNamingKeyAndPath()
    {
        var path = Path.Combine(_root, "absent.key");
        var ex = Assert.Throws<MasterKeyFileException>(() => MasterKeyFile.Load(path));
        Assert.Contains("Security:MasterKeyFile", ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Load_OwnerOnly32Bytes_ReturnsTheBytes()
    {
        var key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var path = WriteKeyFile("good.key", key, Mode0600);
        Assert.Equal(key, MasterKeyFile.Load(path));
    }

    private string WriteKeyFile(string name, byte[] bytes, UnixFileMode mode)
    {
        Directory.CreateDirectory(_root);
        var path = Path.Combine(_root, name);
        File.WriteAllBytes(path, bytes);
        File.SetUnixFileMode(path, mode);
        return path;
    }
}
