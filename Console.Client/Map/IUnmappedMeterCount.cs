namespace OpsConsole.Console.Client.Map;

/// <summary>The number of unmapped meters as correlation sees it (remaps applied), pushed when a remap or an import changes it.</summary>
public interface IUnmappedMeterCount
{
    /// <summary>The count now.</summary>
    Task<int> GetAsync();

    /// <summary>Calls <paramref name="onChange"/> with the new count after remaps (coalesced); dispose to stop.</summary>
    IDisposable Subscribe(Func<int, Task> onChange);
}
