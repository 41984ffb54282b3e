using System.Text;
using LiteDB;
using OpsConsole.Engine.Storage.Events;

namespace OpsConsole.Engine.Storage.LiteDb;

/// <summary>
/// The in-memory look-ups as of one batch, saved so a start decodes only the batches stored after it instead of every
/// event ever stored (10 million events: minutes of decoding at each start otherwise).
/// </summary>
/// <remarks>
/// Collection <c>eventStoreSummary</c> (<see cref="LiteChunks"/>): the last batch id it covers, the event count, the batch
/// headers, the highest invocation counter per system title, each meter's last batch ids and its seen keys as ranges.
/// Batches are only ever added (with higher ids), so the look-ups of batches up to that id plus those of the batches
/// after it are the look-ups of everything. A retention delete rewrites old batches and drops the summary in the same
/// transaction. A summary that cannot be read is ignored (every batch is decoded).
/// </remarks>
public sealed partial class LiteEventStore
{
    public const string SummaryCollectionName = "eventStoreSummary";

    private const int SummaryFormat = 2; // 1: headers without their event count (before retention)

    public int SaveSummary()
    {
        EnsureLoaded();
        lock (_writer)
        {
            byte[] blob;
            int covers;
            lock (_gate)
            {
                covers = _lastBatchId;
                using var buffer = new MemoryStream();
                using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
                {
                    w.Write(covers);
                    w.Write(_count);
                    w.Write(_headers.Count);
                    foreach (var h in _headers)
                    {
                        w.Write(h.Id);
                        w.Write(h.First);
                        w.Write(h.Last);
                        w.Write(h.Count);
                    }

                    w.Write(_highestCounters.Count);
                    foreach (var (title, counter) in _highestCounters)
                    {
                        w.Write(title);
                        w.Write(counter);
                    }

                    w.Write(_batchesByMeter.Count);
                    foreach (var (meter, ids) in _batchesByMeter)
                    {
                        w.Write(meter.ToByteArray());
                        w.Write(ids.Count);
                        ids.ForEach(w.Write);
                    }

                    var seen = _stored.Export().ToList();
                    w.Write(seen.Count);
                    foreach (var (meter, ranges) in seen)
                    {
                        w.Write(meter.ToByteArray());
                        w.Write(ranges.Count);
                        foreach (var (first, last) in ranges)
                        {
                            w.Write(first);
                            w.Write(last);
                        }
                    }
                }

                blob = buffer.ToArray();
            }

            LiteErrors.Guard(() => LiteChunks.Write(store.Database, SummaryCollectionName, new BsonDocument { ["format"] = SummaryFormat, ["covers"] = covers }, blob));
            return covers;
        }
    }

    /// <summary>Loads the saved look-ups into the empty ones; returns the last batch id they cover (0 when none or unreadable).</summary>
    private int TryLoadSummary()
    {
        try
        {
            if (LiteChunks.Read(store.Database, SummaryCollectionName, "event store summary") is not var (header, blob)
                || header["format"].AsInt32 != SummaryFormat)
            {
                return 0;
            }

            using var r = new BinaryReader(new MemoryStream(blob, writable: false), Encoding.UTF8);
            int covers = r.ReadInt32();
            long count = r.ReadInt64();
            var headers = new List<BatchHeader>();
            for (int i = r.ReadInt32(); i > 0; i--)
            {
                headers.Add(new BatchHeader(r.ReadInt32(), r.ReadInt64(), r.ReadInt64(), r.ReadInt32()));
            }

            var counters = new Dictionary<ulong, uint>();
            for (int i = r.ReadInt32(); i > 0; i--)
            {
                counters[r.ReadUInt64()] = r.ReadUInt32();
            }

            var byMeter = new Dictionary<Guid, List<int>>();
            for (int i = r.ReadInt32(); i > 0; i--)
            {
                var meter = new Guid(r.ReadBytes(16));
                var ids = new List<int>();
                for (int j = r.ReadInt32(); j > 0; j--)
                {
                    ids.Add(r.ReadInt32());
                }

                byMeter[meter] = ids;
            }

            var seen = new List<(Guid, List<(ulong, ulong)>)>();
            for (int i = r.ReadInt32(); i > 0; i--)
            {
                var meter = new Guid(r.ReadBytes(16));
                var ranges = new List<(ulong, ulong)>();
                for (int j = r.ReadInt32(); j > 0; j--)
                {
                    ranges.Add((r.ReadUInt64(), r.ReadUInt64()));
                }

                seen.Add((meter, ranges));
            }

            lock (_gate)
            {
                foreach (var (meter, ranges) in seen)
                {
                    _stored.Import(meter, ranges);
                }

                _count = count;
                _headers.AddRange(headers);
                foreach (var (title, counter) in counters)
                {
                    _highestCounters[title] = counter;
                }

                foreach (var (meter, ids) in byMeter)
                {
                    _batchesByMeter[meter] = ids;
                }
            }

            _lastBatchId = covers;
            return covers;
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or ArgumentException or InvalidCastException)
        {
            ResetLookups(); // decode every batch instead
            return 0;
        }
    }

    private void ResetLookups()
    {
        lock (_gate)
        {
            foreach (var (meter, _) in _stored.Export().ToList())
            {
                _stored.Import(meter, []);
            }

            _count = 0;
            _headers.Clear();
            _highestCounters.Clear();
            _batchesByMeter.Clear();
        }

        _lastBatchId = 0;
    }
}
