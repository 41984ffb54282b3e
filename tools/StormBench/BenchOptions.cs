using System.Globalization;

namespace OpsConsole.Tools.StormBench;

/// <summary>Command line of the storm harness.</summary>
internal sealed class BenchOptions
{
    public int Events { get; private set; } = 200_000;
    public double Rate { get; private set; } // 0 = as fast as possible
    public string Topology { get; private set; } = Path.Combine("networks", "ckt24.geojson");
    public bool NonsOnly { get; private set; }
    public int Repetitions { get; private set; } = 3;
    public int ConEvery { get; private set; } = 100;
    public int DurationSeconds { get; private set; } // > 0: soak mode
    public int TransitAllowanceMs { get; private set; } = 600_000;
    public int Senders { get; private set; } = 1;
    public bool SendEach { get; private set; } // one send(2) per datagram instead of sendmmsg(2) batches
    public bool Profile { get; private set; }
    public bool NoWarmup { get; private set; }
    public bool Server { get; private set; } // out of process: start the console, send from here, read /api/stats
    public string? ServerCommand { get; private set; }
    public int SettleMs { get; private set; } = 1500;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--events": o.Events = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--rate": o.Rate = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--topology": o.Topology = Next(); break;
                case "--nons": o.NonsOnly = true; break;
                case "--profile": o.Profile = true; break;
                case "--no-warmup": o.NoWarmup = true; break;
                case "--server": o.Server = true; break;
                case "--server-cmd": o.Server = true; o.ServerCommand = Next(); break;
                case "--settle-ms": o.SettleMs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--reps": o.Repetitions = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--con-every": o.ConEvery = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--duration": o.DurationSeconds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--transit-ms": o.TransitAllowanceMs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--senders": o.Senders = Math.Clamp(int.Parse(Next(), CultureInfo.InvariantCulture), 1, 2); break;
                case "--send-each": o.SendEach = true; break;
                case "-h" or "--help":
                    System.Console.WriteLine("""
                        dotnet run -c Release --project tools/StormBench -- [options]
                          --events N        last gasps per repetition (default 200000)
                          --rate R          datagrams per second, paced (default: as fast as possible)
                          --topology FILE   GeoJSON with the meters (default networks/ckt24.geojson)
                          --nons            NON only: no CON latency sample
                          --con-every K     every K-th event is a CON latency probe (default 100)
                          --reps R          repetitions, each with a fresh server and journal (default 3)
                          --senders 1|2     sender threads (default 1)
                          --send-each       one send(2) per datagram (default on Linux: each due burst in sendmmsg(2)
                                            batches of up to 64 per socket, so the sender takes less of the cores)
                          --transit-ms MS   Validation:TransitAllowanceMs given to the host (default 600000)
                          --duration S      soak mode: flood for S seconds with fresh counters, memory every 10 s
                          --profile         stage costs: Process, journal, index, socket shell (no full run)
                          --no-warmup       start the host with Hes:WarmupMs=0 and Correlation:WarmupMs=0 (cold-start comparison)
                          --server          out of process: each repetition starts the console as users do
                                            (dotnet run -c Release --project Console.Server, fresh data folder, free ports),
                                            waits for /healthz, sends from this process, reads GET /api/stats
                          --server-cmd CMD  as --server, with this command instead (e.g. the published binary);
                                            the bench appends --urls, --Hes:Port, --Storage:Path, ... to it
                          --settle-ms MS    --server: pause between /healthz answering and the storm (default 1500)
                        """);
                    Environment.Exit(0);
                    break;
                default: throw new ArgumentException($"unknown option {args[i]} (see --help)");
            }
        }

        if (o.NonsOnly)
        {
            o.ConEvery = 0;
        }

        if (o.Events < 1 || o.Repetitions < 1 || o.ConEvery < 0 || o.SettleMs < 0)
        {
            throw new ArgumentException("--events, --reps must be positive, --con-every not negative");
        }

        return o;
    }
}
