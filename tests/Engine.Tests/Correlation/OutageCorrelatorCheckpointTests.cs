using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Protocols.Dlms;
using OpsConsole.Engine.Storage.Events;
using OpsConsole.Gis.Topology;

namespace OpsConsole.Engine.Tests.Correlation;

/// <summary>
/// A checkpoint plus the tail replayed after it gives the engine a full replay gives: same outages, same ids, same
/// history, same meter states, same pending windows and deadlines (compared as canonical checkpoint bytes and as text).
/// </summary>
public sealed class OutageCorrelatorCheckpointTests(Ckt24Network network) : IClassFixture<Ckt24Network>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 18, 0, 0, TimeSpan.Zero);
    private static readonly CorrelationOptions Options = new() { QualifyMs = 10_000, NestedMs = 5_000 };

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 12)];

    /// <summary>
    /// The network fingerprint a checkpoint carries is the SHA-256 of each element's UTF-8 id and fixed part, element by
    /// element: hashing it in batches must not change a byte of it, or every stored checkpoint would be refused.
    /// </summary>
    [Fact]
    public void Fingerprint_IsTheHashOfEveryElementInOrder_AsCheckpointsStoredItBefore()
    {
        var topo = network.Topology; // ckt24: 4,808 elements, well over one 64 KiB batch
        using var reference = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        Span<byte> fixedPart = stackalloc byte[26];
        for (int e = 0; e < topo.ElementCount; e++)
        {
            var f = topo[e];
            reference.AppendData(System.Text.Encoding.UTF8.GetBytes(f.Id));
            BitConverter.TryWriteBytes(fixedPart, (int)f.Kind);
            BitConverter.TryWriteBytes(fixedPart[4..], topo.ParentOf(e));
            fixedPart[8] = f.IsCritical ? (byte)1 : (byte)0;
            fixedPart[9] = 0xFF;
            f.Guid.TryWriteBytes(fixedPart[10..]);
            reference.AppendData(fixedPart);
        }

        Assert.Equal(Convert.ToHexString(reference.GetHashAndReset()), Convert.ToHexString(OutageCorrelator.Fingerprint(topo)));
        string meter = topo[topo.ElementCount - 1].Id; // the last element: a meter nothing refers to
        var renamed = NetworkTopology.Build([.. topo.Features.Select(f => f.Id == meter ? f with { Id = meter + "x" } : f)], keepExtraProperties: false);
        Assert.NotEqual(Convert.ToHexString(OutageCorrelator.Fingerprint(topo)), Convert.ToHexString(OutageCorrelator.Fingerprint(renamed)));
    }

    /// <summary>One step of a replay: an event, or an operator action at its time (advancing first, as the host's replay does).</summary>
    private sealed record Step(RecordedEvent? Event, DateTimeOffset At, Func<OutageCorrelator, CorrelationResult>? Action, string What);

    /// <summary>
    /// A ckt24 storm with everything the engine keeps state for: failures of devices and transformers with
    /// stragglers, lone meters, meters not in the topology, test power-downs, drift-flagged gasps, duplicates,
    /// power-ups (restorations, momentaries, nested outages) and operator actions (remap, acknowledge, dispatch,
    /// restore, clear) in between.
    /// </summary>
    private List<Step> MakeStorm(int seed)
    {
        var topo = network.Topology;
        var rng = new Random(seed);
        var events = new List<RecordedEvent>();
        var candidates = Enumerable.Range(0, topo.ElementCount)
            .Where(e => topo.KindOf(e) is ElementKind.Device or ElementKind.Transformer && topo.MeterCountBelow(e) > 0).ToArray();
        var meters = Enumerable.Range(0, topo.ElementCount).Where(e => topo.KindOf(e) == ElementKind.Meter).ToArray();
        var transformers = Enumerable.Range(0, topo.ElementCount).Where(e => topo.KindOf(e) == ElementKind.Transformer).ToArray();
        var down = new HashSet<int>();
        uint id = 1;
        for (int f = rng.Next(3, 8); f > 0; f--)
        {
            int element = candidates[rng.Next(candidates.Length)];
            double start = rng.Next(0, 20_000);
            double back = start + rng.Next(3_000, 40_000);
            foreach (int m in topo.MetersBelow(element))
            {
                double roll = rng.NextDouble();
                if (roll < 0.08 || !down.Add(m))
                {
                    continue;
                }

                double at = roll < 0.13 ? start + rng.Next(3_000, 25_000) : start + rng.Next(0, 1_800);
                events.Add(Event(topo[m].Guid, MeterEventCode.PowerDown, at, id++, EventFlags.None));
                if (rng.NextDouble() < 0.05)
                {
                    events.Add(Event(topo[m].Guid, MeterEventCode.PowerDown, at + 1, id - 1, EventFlags.None)); // a duplicate
                }

                double upRoll = rng.NextDouble();
                if (upRoll < 0.6)
                {
                    double up = upRoll < 0.05 ? at + rng.Next(10, 1_500) : back + (upRoll < 0.45 ? rng.Next(0, 2_000) : rng.Next(8_000, 20_000));
                    events.Add(Event(topo[m].Guid, MeterEventCode.PowerUp, up, id++, EventFlags.None));
                }
            }
        }

        for (int i = 0; i < 15; i++)
        {
            int m = meters[rng.Next(meters.Length)];
            if (down.Add(m))
            {
                events.Add(Event(topo[m].Guid, MeterEventCode.PowerDown, rng.Next(0, 30_000), id++, EventFlags.None));
            }
        }

        for (int i = 0; i < 4; i++) // meters no topology knows: virtual meters, Unknown outages
        {
            var guid = new Guid(seed, (short)i, 7, [1, 2, 3, 4, 5, 6, 7, 8]);
            events.Add(Event(guid, MeterEventCode.PowerDown, rng.Next(0, 30_000), id++, EventFlags.None));
        }

        for (int i = 0; i < 40; i++)
        {
            int m = meters[rng.Next(meters.Length)];
            if (!down.Contains(m))
            {
                events.Add(i % 2 == 0
                    ? Event(topo[m].Guid, MeterEventCode.TestPowerDown, rng.Next(0, 30_000), id++, EventFlags.None)
                    : Event(topo[m].Guid, MeterEventCode.PowerDown, rng.Next(0, 30_000), id++, EventFlags.TimeSync | EventFlags.SignalLow));
            }
        }

        // Arrival slightly out of receive-time order, as through several gateways.
        var steps = events
            .Select(e => (Event: e, Arrival: e.ReceivedAt.AddMilliseconds(rng.Next(0, 300))))
            .OrderBy(x => x.Arrival).ThenBy(x => x.Event.Event.EventId)
            .Select(x => new Step(x.Event, x.Event.ReceivedAt, null, $"event {x.Event.Event.EventId}"))
            .ToList();

        // Operator actions at random places (some fail: the lifecycle refuses; a failure is deterministic too).
        for (int i = 0; i < 12; i++)
        {
            int at = rng.Next(steps.Count / 4, steps.Count);
            var time = steps[at - 1].At.AddMilliseconds(rng.Next(0, 500));
            string outage = "O-" + rng.Next(1, 12);
            int meter = meters[rng.Next(meters.Length)];
            int tx = transformers[rng.Next(transformers.Length)];
            var (action, what) = (i % 6) switch
            {
                0 => ((Func<OutageCorrelator, CorrelationResult>)(c => c.Remap(topo[meter].Id, topo[tx].Id, "admin", time)), $"remap {topo[meter].Id}"),
                1 => (c => c.Acknowledge(outage, "ops", time), $"ack {outage}"),
                2 => (c => c.Dispatch(outage, "ops", "crew 7", null, time), $"dispatch {outage}"),
                3 => (c => c.RestoreManually(outage, "ops", "crew says so", time), $"restore {outage}"),
                4 => (c => c.Clear(outage, "admin", time), $"clear {outage}"),
                _ => (c => c.Remap(new Guid(seed, 0, 7, [1, 2, 3, 4, 5, 6, 7, 8]).ToString(), topo[tx].Id, "admin", time), "remap a virtual meter"),
            };
            steps.Insert(at, new Step(null, time, action, what));
        }

        return steps;
    }

    private static RecordedEvent Event(Guid meter, MeterEventCode code, double ms, uint eventId, EventFlags flags)
    {
        var at = T0.AddMilliseconds(ms);
        return new RecordedEvent(new MeterEvent(meter, code, eventId, 1, at, at, 4000, -70, 0), 1, eventId, at, "10.0.0.1:5683", flags, null);
    }

    private static void Run(OutageCorrelator engine, IEnumerable<Step> steps)
    {
        foreach (var step in steps)
        {
            if (step.Event is { } e)
            {
                engine.Process(e);
            }
            else
            {
                engine.Advance(step.At);
                _ = step.Action!(engine);
            }
        }
    }

    private OutageCorrelator Fresh() => new(network.Topology, Options);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void CheckpointAnywhere_ThenTheTail_EqualsTheFullReplay(int seed)
    {
        var steps = MakeStorm(seed);
        var full = Fresh();
        Run(full, steps);
        full.Advance(T0.AddMinutes(2));
        var expected = full.WriteCheckpoint();
        var expectedText = Describe(full);

        foreach (int cut in Cuts(steps, seed))
        {
            var before = Fresh();
            Run(before, steps.Take(cut));
            var resumed = OutageCorrelator.RestoreCheckpoint(network.Topology, Options, before.WriteCheckpoint());
            Run(resumed, steps.Skip(cut));
            resumed.Advance(T0.AddMinutes(2));

            Assert.Equal(expectedText, Describe(resumed));
            Assert.True(expected.AsSpan().SequenceEqual(resumed.WriteCheckpoint()), $"seed {seed}, cut {cut}: the states differ");
        }
    }

    /// <summary>
    /// The cut that matters most: right after the last gasp that opened a window, before the window's decision. The
    /// checkpoint holds the pending window; the decision is taken after the restore, with the same outcome and id.
    /// </summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void CheckpointBetweenAWindowOpeningAndItsDecision_ThenTheTail_EqualsTheFullReplay(int seed)
    {
        var steps = MakeStorm(seed);
        var full = Fresh();
        Run(full, steps);
        full.Advance(T0.AddMinutes(2));

        // The first genuine last gasp of a topology meter opens a window.
        int cut = steps.FindIndex(s => s.Event is { Flags: EventFlags.None, Event.EventCode: MeterEventCode.PowerDown } e
            && network.Topology.TryGetMeter(e.Event.MeterId, out _)) + 1;
        var before = Fresh();
        Run(before, steps.Take(cut));
        var gasp = steps[cut - 1].Event!;
        var pending = before.MeterStatusOf(gasp.Event.MeterId.ToString())!;
        Assert.True(pending is { IsDown: true, OutageId: null }, "the meter waits in its window");
        Assert.DoesNotContain(before.AllOutages(), o => o.ReportingMeterIds.Contains(pending.MeterId));
        Assert.True(before.NextDeadline <= gasp.ReceivedAt.AddMilliseconds(Options.WindowMs), "its window's decision is still to come");

        var resumed = OutageCorrelator.RestoreCheckpoint(network.Topology, Options, before.WriteCheckpoint());
        Assert.Equal(before.NextDeadline, resumed.NextDeadline);
        Run(resumed, steps.Skip(cut));
        resumed.Advance(T0.AddMinutes(2));

        Assert.Equal(Describe(full), Describe(resumed));
        Assert.Contains(resumed.AllOutages(), o => o.ReportingMeterIds.Contains(pending.MeterId));
        Assert.True(full.WriteCheckpoint().AsSpan().SequenceEqual(resumed.WriteCheckpoint()));
    }

    [Fact]
    public void Restore_OfAnotherNetwork_OtherOptions_AnotherVersion_OrDamagedBytes_IsRefusedSayingWhy()
    {
        var steps = MakeStorm(3);
        var engine = Fresh();
        Run(engine, steps.Take(steps.Count / 2));
        var bytes = engine.WriteCheckpoint();

        var other = NetworkTopology.Build([.. network.Topology.Features.Take(network.Topology.Features.Count - 1)]);
        Assert.Contains("another network", Assert.Throws<InvalidDataException>(() => OutageCorrelator.RestoreCheckpoint(other, Options, bytes)).Message, StringComparison.Ordinal);
        Assert.Contains("Correlation options", Assert.Throws<InvalidDataException>(() =>
            OutageCorrelator.RestoreCheckpoint(network.Topology, new CorrelationOptions { QualifyMs = 10_000, NestedMs = 5_000, WindowMs = 3000 }, bytes)).Message, StringComparison.Ordinal);

        var damaged = (byte[])bytes.Clone();
        damaged[damaged.Length / 2] ^= 0x40;
        Assert.Contains("CRC", Assert.Throws<InvalidDataException>(() => OutageCorrelator.RestoreCheckpoint(network.Topology, Options, damaged)).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => OutageCorrelator.RestoreCheckpoint(network.Topology, Options, bytes.AsSpan(0, bytes.Length / 3)));

        var newer = (byte[])bytes.Clone();
        BitConverter.TryWriteBytes(newer.AsSpan(4), OutageCorrelator.CheckpointVersion + 1);
        BitConverter.TryWriteBytes(newer.AsSpan(newer.Length - 4), Crc(newer.AsSpan(0, newer.Length - 4)));
        Assert.Contains("version", Assert.Throws<InvalidDataException>(() => OutageCorrelator.RestoreCheckpoint(network.Topology, Options, newer)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Checkpoint_RoundTrips_ByteForByte()
    {
        var engine = Fresh();
        Run(engine, MakeStorm(5));
        var bytes = engine.WriteCheckpoint();
        Assert.True(bytes.AsSpan().SequenceEqual(OutageCorrelator.RestoreCheckpoint(network.Topology, Options, bytes).WriteCheckpoint()));
    }

    /// <summary>Eight places spread over the replay, the first and last included.</summary>
    private static IEnumerable<int> Cuts(List<Step> steps, int seed)
    {
        var rng = new Random(seed * 31);
        yield return 0;
        for (int i = 0; i < 6; i++)
        {
            yield return rng.Next(1, steps.Count);
        }

        yield return steps.Count;
    }

    /// <summary>Every outage (merged ones too) with its history and meters, every meter's status, the next deadline.</summary>
    private string Describe(OutageCorrelator c)
    {
        var lines = new List<string> { $"now {c.Now:O} next {c.NextDeadline:O}" };
        for (int i = 1; c.Find("O-" + i) is { } o; i++)
        {
            lines.Add($"{o.Id} {o.Level} {o.DeviceId} {o.State} {o.Meters}/{o.CriticalMeters} down {o.MetersDown} started {o.StartedAt:O} " +
                $"confirmed {o.ConfirmedAt:O} restored {o.RestoredAt:O} p{o.Priority} parent {o.ParentOutageId} → {c.Resolve(o.Id)} \"{o.Explanation}\" " +
                $"[{string.Join(",", o.ReportingMeterIds)}] steps [{string.Join(",", o.RestorationSteps.Select(s => $"{s.At:O}:{s.CustomersRestored}"))}] " +
                string.Join(" | ", o.History.Select(h => $"{h.From}->{h.State} {h.At:O} {h.Actor} {h.Note}")));
        }

        var topo = network.Topology;
        for (int e = 0; e < topo.ElementCount; e++)
        {
            if (topo.KindOf(e) == ElementKind.Meter && c.MeterStatusOf(topo[e].Id) is { } s && (s.IsDown || s.LastEventAt is not null || s.Remapped))
            {
                lines.Add($"{s} tests [{string.Join(",", c.TestResultsOf(s.MeterId))}]");
            }
        }

        lines.Add(string.Join(",", c.ParentOverrides.OrderBy(kv => kv.Key, StringComparer.Ordinal)));
        return string.Join("\n", lines);
    }

    private static uint Crc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFF_FFFFu;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
