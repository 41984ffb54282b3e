namespace OpsConsole.Console.Client.Map;

/// <summary>The number of unmapped meters as correlation sees it (remaps applied), pushed when a remap or an import changes it.</summary>
public interface IUnmappedMeterCount
{
    /// <summary>The count now.</summary>
    Task<int> GetAsync();

    /// <summary>
    /// For the map: up to <paramref name="max"/> unmapped meters with a place, each with its top suggestion's place, as
    /// one flat array <c>[meter lon, meter lat, transformer lon, transformer lat, …]</c> (a line each).
    /// </summary>
    Task<double[]> TopSuggestionLinesAsync(int max);

    /// <summary>Calls <paramref name="onChange"/> with the new count after remaps (coalesced); dispose to stop.</summary>
    IDisposable Subscribe(Func<int, Task> onChange);
}
