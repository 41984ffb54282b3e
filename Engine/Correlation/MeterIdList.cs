using System.Collections;

namespace OpsConsole.Engine.Correlation;

/// <summary>
/// A read-only view of the first <c>count</c> meters of an outage's append-only buffer, as ids.
/// The engine only appends beyond <c>count</c> or replaces the buffer, so the view never changes:
/// a snapshot costs O(1) however many meters reported.
/// </summary>
internal sealed class MeterIdList(int[] buffer, int count, Func<int, string> idOf) : IReadOnlyList<string>
{
    public string this[int index] => (uint)index < (uint)count ? idOf(buffer[index]) : throw new ArgumentOutOfRangeException(nameof(index));

    public int Count => count;

    public IEnumerator<string> GetEnumerator()
    {
        for (int i = 0; i < count; i++)
        {
            yield return idOf(buffer[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
