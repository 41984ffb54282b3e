namespace OpsConsole.Engine.Correlation;

/// <summary>The engine's mutable state of one outage; callers only ever see <see cref="Outage"/> snapshots.</summary>
internal sealed class OutageRecord(int index, string id)
{
    public int Index { get; } = index;

    public string Id { get; } = id;

    public OutageLevel Level { get; set; }

    public int Element { get; set; }

    public OutageState State { get; set; }

    public int Customers { get; set; }

    public int Critical { get; set; }

    public long StartedTicks { get; set; } = long.MaxValue;

    public long FirstReportTicks { get; set; } = long.MaxValue;

    public long LastReportTicks { get; set; } = long.MinValue;

    public long ConfirmedTicks { get; set; }

    public long RestoredTicks { get; set; }

    /// <summary>First power-up of an upstream outage's reporting meters (0 before): starts the nested grace period.</summary>
    public long RestorationStartTicks { get; set; }

    public long LastPowerUpTicks { get; set; }

    public int ParentIndex { get; set; } = -1;

    /// <summary>Customers handed to nested outages: not restored by this one.</summary>
    public int NestedCustomers { get; set; }

    /// <summary>Reporting meters that are still down and in this outage.</summary>
    public int Down { get; set; }

    /// <summary>Distinct transformers among the reporting meters (for the explanation).</summary>
    public int ReportingTransformers { get; set; }

    /// <summary>Set on the nested outages of a restored upstream outage (for the explanation).</summary>
    public bool IsNested => ParentIndex >= 0;

    /// <summary>Reporting meters (element indices), append-only: snapshots share the prefix they saw.</summary>
    public int[] MeterBuffer { get; set; } = new int[4];

    public int MeterCount { get; set; }

    public List<OutageTransition> History { get; } = [];

    public List<RestorationStep> Steps { get; } = [];

    public int MergedInto { get; set; } = -1;

    public OutageChangeKinds PendingChanges { get; set; }

    /// <summary>The last explanation built; kept once the outage is closed.</summary>
    public string? Explanation { get; set; }

    public bool IsOpen => State.IsOpen() && MergedInto < 0;

    public void AddMeter(int meter)
    {
        if (MeterCount == MeterBuffer.Length)
        {
            // Grow into a new array: snapshots keep reading the old one, which never changes.
            var bigger = new int[MeterBuffer.Length * 2];
            MeterBuffer.AsSpan(0, MeterCount).CopyTo(bigger);
            MeterBuffer = bigger;
        }

        MeterBuffer[MeterCount++] = meter;
    }

    /// <summary>Removes a meter (remap) copy-on-write, so no snapshot sees its list change.</summary>
    public bool RemoveMeter(int meter)
    {
        int at = Array.IndexOf(MeterBuffer, meter, 0, MeterCount);
        if (at < 0)
        {
            return false;
        }

        var copy = new int[MeterBuffer.Length];
        MeterBuffer.AsSpan(0, at).CopyTo(copy);
        MeterBuffer.AsSpan(at + 1, MeterCount - at - 1).CopyTo(copy.AsSpan(at));
        MeterBuffer = copy;
        MeterCount--;
        return true;
    }
}
