namespace OpsConsole.Tools.TopologyBench;

/// <summary>The values of one measurement over its repeated runs.</summary>
internal sealed class Sample
{
    private readonly double[] _sorted;

    public Sample(IEnumerable<double> values)
    {
        _sorted = [.. values.Order()];
        if (_sorted.Length == 0)
        {
            throw new ArgumentException("a sample needs at least one value", nameof(values));
        }
    }

    public int Count => _sorted.Length;

    public double Min => _sorted[0];

    public double Max => _sorted[^1];

    public double Median => _sorted.Length % 2 == 1
        ? _sorted[_sorted.Length / 2]
        : (_sorted[(_sorted.Length / 2) - 1] + _sorted[_sorted.Length / 2]) / 2;
}
