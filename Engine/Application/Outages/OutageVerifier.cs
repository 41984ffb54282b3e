using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using OpsConsole.Engine.Application.Power;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Correlation;
using OpsConsole.Engine.Topology;

namespace OpsConsole.Engine.Application.Outages;

/// <summary>What reading an outage's reporting meters showed.</summary>
public enum VerificationVerdict
{
    /// <summary>Every meter asked is energised and has been up since before the outage began: it never happened.</summary>
    FalsePositive,

    /// <summary>At least one meter asked is off, silent (comm-failure) or cannot be asked (unknown).</summary>
    NotEnergised,

    /// <summary>Every meter asked is energised, but one came up after the outage began: it really was down.</summary>
    Interruption,
}

/// <summary>
/// The evidence for (or against) clearing an outage as a false positive (api.md <c>verification</c>).
/// </summary>
/// <param name="Verdict">What the answers show.</param>
/// <param name="Reason">One sentence, naming the meters that decided it.</param>
/// <param name="ReportingMeters">Reporting meters of the outage (of which <see cref="Meters"/> were asked).</param>
/// <param name="OutageAgeS">Seconds since the outage began, when the meters were read.</param>
/// <param name="Meters">Each meter asked and its answer.</param>
public sealed record OutageVerification(VerificationVerdict Verdict, string Reason, int ReportingMeters, long OutageAgeS, IReadOnlyList<PowerStatus> Meters)
{
    /// <summary><c>false-positive</c>, <c>not-energised</c>, <c>interruption</c>.</summary>
    public string VerdictName => Verdict switch
    {
        VerificationVerdict.FalsePositive => "false-positive",
        VerificationVerdict.Interruption => "interruption",
        _ => "not-energised",
    };

    /// <summary>The answers in one line for the audit and the outage's history (cut after 50 meters).</summary>
    public string Evidence()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{VerdictName}: {Meters.Count} of {ReportingMeters} reporting meter(s) read, outage age {OutageAgeS} s: ");
        foreach (var m in Meters.Take(50))
        {
            text.Append(CultureInfo.InvariantCulture, $"{m.Meter}={m.Status}");
            if (m.UptimeS is { } up)
            {
                text.Append(CultureInfo.InvariantCulture, $" up {up} s");
            }

            if (m.VoltageMv is { } mv)
            {
                text.Append(CultureInfo.InvariantCulture, $" {mv} mV");
            }

            text.Append("; ");
        }

        if (Meters.Count > 50)
        {
            text.Append(CultureInfo.InvariantCulture, $"… {Meters.Count - 50} more");
        }

        return text.ToString().TrimEnd(' ', ';');
    }
}

/// <summary>
/// Reads the status (wire-format.md §6) of an outage's reporting meters — all of them, or an evenly spread sample of
/// <c>Verification:SampleSize</c> — and says whether it was a false positive: every meter asked energised (its own
/// authenticated answer, voltage above 80 % of nominal) with an uptime longer than the outage's age. A meter up for a
/// shorter time than the outage is old did lose power: that is an interruption, not a false positive. Reads only; the
/// commands decide, check and audit (<see cref="OutageCommands.ClearAsync"/>, <see cref="OutageVerificationService"/>).
/// </summary>
public sealed class OutageVerifier(PowerStatusQueries power, TopologyState topology, IOptions<VerificationOptions> options, TimeProvider time)
{
    private readonly VerificationOptions _options = options.Value;

    public async Task<OutageVerification> VerifyAsync(Outage outage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outage);
        var net = topology.Current;
        var ids = Sample(outage.ReportingMeterIds, _options.SampleSize);
        var known = new List<int>(ids.Count);
        var results = new List<PowerStatus>(ids.Count);
        foreach (var id in ids)
        {
            if (net.TryGetMeter(id, out int m))
            {
                known.Add(m);
            }
            else
            {
                results.Add(new PowerStatus(id, "unknown", null, null, time.GetUtcNow())); // not in the network: no endpoint, no keys
            }
        }

        results.InsertRange(0, await power.CheckMetersAsync(net, known, cancellationToken).ConfigureAwait(false));
        long ageS = (long)Math.Max(0, (time.GetUtcNow() - outage.StartedAt).TotalSeconds);
        return Judge(outage, results, ageS);
    }

    /// <summary>The verdict on the answers (<paramref name="ageS"/>: the outage's age when they were read).</summary>
    public static OutageVerification Judge(Outage outage, IReadOnlyList<PowerStatus> results, long ageS)
    {
        ArgumentNullException.ThrowIfNull(outage);
        ArgumentNullException.ThrowIfNull(results);
        var notOn = results.Where(r => r.Status != "on").ToList();
        if (notOn.Count > 0 || results.Count == 0)
        {
            string which = string.Join(", ", notOn.Take(10).Select(r => $"{r.Meter} ({r.Status})")) + (notOn.Count > 10 ? $" and {notOn.Count - 10} more" : "");
            return new OutageVerification(VerificationVerdict.NotEnergised,
                results.Count == 0 ? $"outage {outage.Id} has no reporting meter to read: not cleared"
                    : $"not every meter asked is energised: {which}; outage {outage.Id} not cleared",
                outage.ReportingMeters, ageS, results);
        }

        // Whole seconds: an uptime of ageS or less means it came up after (or as) the outage began.
        var recent = results.Where(r => r.UptimeS is not { } up || up <= ageS).ToList();
        if (recent.Count > 0)
        {
            string which = string.Join(", ", recent.Take(10).Select(r => $"{r.Meter} (up {r.UptimeS?.ToString(CultureInfo.InvariantCulture) ?? "?"} s)"));
            return new OutageVerification(VerificationVerdict.Interruption,
                string.Create(CultureInfo.InvariantCulture,
                    $"an interruption, not a false positive: {which} powered up after outage {outage.Id} began ({ageS} s ago), so it was really down; restore the outage instead"),
                outage.ReportingMeters, ageS, results);
        }

        return new OutageVerification(VerificationVerdict.FalsePositive,
            string.Create(CultureInfo.InvariantCulture, $"every meter asked ({results.Count} of {outage.ReportingMeters}) is energised and has been up longer than outage {outage.Id} ({ageS} s)"),
            outage.ReportingMeters, ageS, results);
    }

    /// <summary>All of <paramref name="ids"/> when at most <paramref name="size"/>, else <paramref name="size"/> of them spread evenly (first and last included).</summary>
    public static IReadOnlyList<string> Sample(IReadOnlyList<string> ids, int size)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count <= size)
        {
            return ids;
        }

        var picked = new List<string>(size);
        for (int i = 0; i < size; i++)
        {
            picked.Add(ids[size == 1 ? 0 : (int)((long)i * (ids.Count - 1) / (size - 1))]);
        }

        return picked;
    }
}
