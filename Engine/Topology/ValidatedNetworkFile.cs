using OpsConsole.Gis.GeoJson;

namespace OpsConsole.Engine.Topology;

/// <summary>
/// The network file of a first start, already read and found valid by the host's pre-flight check (before anything
/// was created on disk), so that <see cref="TopologyBootstrapper"/> stores it without reading a large file twice.
/// Taken once; empty when nothing was checked ahead.
/// </summary>
public sealed class ValidatedNetworkFile
{
    private (string Path, TopologyImport Import)? _file;

    public void Set(string path, TopologyImport import) => _file = (path, import);

    /// <summary>The import read from <paramref name="path"/>, once; null when that file was not checked ahead.</summary>
    public TopologyImport? Take(string path)
    {
        if (_file is { } f && string.Equals(f.Path, path, StringComparison.Ordinal))
        {
            _file = null;
            return f.Import;
        }

        return null;
    }
}
