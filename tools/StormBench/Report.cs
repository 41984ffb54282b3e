using System.Globalization;
using System.Text;

namespace OpsConsole.Tools.StormBench;

/// <summary>One repetition's figures.</summary>
internal sealed class RepResult(int rep)
{
    public int Rep { get; } = rep;
    public double BuildSeconds { get; init; }
    public long Sent { get; init; }
    public long SendErrors { get; init; }
    public double SendRate { get; init; }
    public double BareRate { get; init; }
    public long BareLoss { get; init; }
    public long BareSocketDrops { get; init; }
    public int BareBuffer { get; init; }
    public long ServerReceived { get; init; }
    public long Accepted { get; init; }
    public long Duplicates { get; init; }
    public long Rejected { get; init; }
    public long Control { get; init; }
    public string RejectReasons { get; init; } = "";
    public long Loss { get; init; }
    public double AcceptedRate { get; init; }
    public long ProductSocketDrops { get; init; }
    public long RcvbufErrorsDelta { get; init; }
    public int ProductBuffer { get; init; }
    public int Probes { get; init; }
    public int ProbesMissing { get; init; }
    public long ProbeNotChanged { get; init; }
    public double P50 { get; init; }
    public double P99 { get; init; }
    public double Max { get; init; }
    public double VmHwmMb { get; init; }
    public double GcPeakMb { get; init; }
    public double FramesMb { get; init; }
    public int IndexBacklogBatches { get; init; }

    public string Line() => string.Create(CultureInfo.InvariantCulture,
        $"rep {Rep}: built in {BuildSeconds:F2} s; sent {Sent} at {SendRate:N0}/s (errors {SendErrors}); bare {BareRate:N0}/s loss {BareLoss}; " +
        $"server received {ServerReceived}, accepted {Accepted} at {AcceptedRate:N0}/s, dup {Duplicates}, rejected {Rejected}{(RejectReasons.Length > 0 ? " (" + RejectReasons + ")" : "")}, " +
        $"loss {Loss}, socket drops {ProductSocketDrops}; send→ACK p50 {P50:F1} ms p99 {P99:F1} ms ({ProbesMissing}/{Probes} unanswered); VmHWM {VmHwmMb:F0} MB");
}

internal static class Report
{
    public static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>Median of the values that are numbers; NaN when there are none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var v = values.Where(x => !double.IsNaN(x)).OrderBy(x => x).ToArray();
        if (v.Length == 0)
        {
            return double.NaN;
        }

        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2;
    }

    public static void Print(BenchOptions o, int meters, List<RepResult> reps, string loadStart, string loadEnd)
    {
        var sb = new StringBuilder();
        var first = reps[0];
        sb.AppendLine();
        sb.AppendLine("=== StormBench: authenticated last gasps (NON, code 1) into the real head-end over loopback ===");
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"events/rep {o.Events:N0} over {meters:N0} meters; rate {(o.Rate > 0 ? o.Rate.ToString("N0", CultureInfo.InvariantCulture) + "/s paced" : "as fast as possible")}; " +
            $"senders {o.Senders} ({(o.SendEach || !MultiSend.Supported ? "send(2) each" : "sendmmsg(2) batches")}); CON probe every {(o.ConEvery > 0 ? o.ConEvery.ToString(CultureInfo.InvariantCulture) : "- (--nons)")}; reps {reps.Count} (fresh server + journal each); start-up warm-up {(o.NoWarmup ? "off" : "on")}"));
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"cores {Environment.ProcessorCount}; net.core.rmem_max {Proc.RmemMax()}; SO_RCVBUF as reported (Linux doubles it): product {first.ProductBuffer:N0}, bare {first.BareBuffer:N0} (8 MiB requested)"));
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"load average start: {loadStart}   end: {loadEnd}   Validation:TransitAllowanceMs={o.TransitAllowanceMs}; pre-built frames {first.FramesMb:F1} MB payload"));
        sb.AppendLine();
        var header = $"{"metric",-44}{"median",14}{"min",14}{"max",14}  per rep";
        sb.AppendLine(header);
        sb.AppendLine(new string('-', header.Length + 24));
        void Row(string name, Func<RepResult, double> f, string format)
        {
            var v = reps.Select(f).ToArray();
            var ok = v.Where(x => !double.IsNaN(x)).ToArray();
            string F(double x) => double.IsNaN(x) ? "-" : x.ToString(format, CultureInfo.InvariantCulture);
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-44}{F(Median(v)),14}{F(ok.Length > 0 ? ok.Min() : double.NaN),14}{F(ok.Length > 0 ? ok.Max() : double.NaN),14}  {string.Join(" | ", v.Select(F))}"));
        }

        Row("sender: datagrams sent /s", r => r.SendRate, "N0");
        Row("BARE socket: datagrams received /s", r => r.BareRate, "N0");
        Row("BARE socket: loss (sent - received)", r => r.BareLoss, "N0");
        Row("PRODUCT: last gasps accepted /s", r => r.AcceptedRate, "N0");
        Row("ratio product / bare", r => r.AcceptedRate / r.BareRate, "F2");
        Row("sent", r => r.Sent, "N0");
        Row("server Received counter", r => r.ServerReceived, "N0");
        Row("accepted (journaled, fsync)", r => r.Accepted, "N0");
        Row("duplicates", r => r.Duplicates, "N0");
        Row("rejected", r => r.Rejected, "N0");
        Row("LOSS = sent - (accepted+dup+rejected)", r => r.Loss, "N0");
        Row("  of which: received, never given an outcome", r => r.ServerReceived - r.Accepted - r.Duplicates - r.Rejected - r.Control, "N0");
        Row("kernel drops, product socket (/proc/net/udp6)", r => r.ProductSocketDrops, "N0");
        Row("RcvbufErrors delta, system-wide (snmp)", r => r.RcvbufErrorsDelta, "N0");
        Row("send->ACK (after fsync) p50, ms", r => r.P50, "F1");
        Row("send->ACK (after fsync) p99, ms", r => r.P99, "F1");
        Row("send->ACK (after fsync) max, ms", r => r.Max, "F1");
        Row("CON probes unanswered (of probes)", r => r.ProbesMissing, "N0");
        Row("peak RSS VmHWM, MB (whole process)", r => r.VmHwmMb, "F0");
        Row("peak GC.GetTotalMemory, MB", r => r.GcPeakMb, "F0");
        Row("frame pre-build, s", r => r.BuildSeconds, "F2");
        var reasons = reps.Where(r => r.RejectReasons.Length > 0).Select(r => $"rep {r.Rep}: {r.RejectReasons}").ToArray();
        if (reasons.Length > 0)
        {
            sb.AppendLine("rejections by reason: " + string.Join("; ", reasons));
        }

        double medRate = Median(reps.Select(r => r.AcceptedRate));
        long worstLoss = reps.Max(r => r.Loss);
        sb.AppendLine();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"TARGET >= 100,000 authenticated last gasps/s recorded with zero loss: median {medRate:N0}/s, worst loss {worstLoss:N0} -> {(medRate >= 100_000 && worstLoss == 0 ? "MET" : "MISSED")}"));
        sb.AppendLine("TARGET memory flat under a 1-minute flood: see --duration 60");
        sb.AppendLine("Noise: shared 2-core VM; sender, kernel loopback and receiver share the cores; runs vary 10-30 %.");
        System.Console.Write(sb.ToString());
    }
}
