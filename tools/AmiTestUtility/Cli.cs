namespace OpsConsole.Tools.AmiTestUtility;

/// <summary>Command dispatch: exit 0 = every step passed, 1 = a step failed (message on stdout), 2 = bad arguments (stderr).</summary>
public static class Cli
{
    public const string Usage = """
        usage: ami-test-utility <command> [options]
          --simulate-outage --id <meter id|GUID>   test power-down (231, CON), then ACK, REST test result and no outage
          storm --fail <element> | --random-faults N [--loss 0.25] [--seed 1] [--truth f.json] [--score]
          restore --truth f.json [--leave-down 0.1]
          meters --count N [--dead 0.1] [--misconfigured 0.1] [--meter-port 15683] [--duration s]
          ping --meter <address:port>               CoAP ping and GET /ami/cfg of a simulated meter: each attempt, then
                                                    alive / DEAD / MISCONFIGURED (EVENT_PRIORITY_OUTAGE=0); exit 1 unless alive
        shared: --host 127.0.0.1 --port 5683 --api http://localhost:5000 --api-key K (or OPSCONSOLE_API_KEY)
                --key data/keys/master.key --topology networks/ckt24.geojson --ack-timeout-ms 2000 --max-retransmit 4
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, Func<string, string?> env, CancellationToken ct)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? stderr : stdout).WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        var command = args[0].TrimStart('-');
        var rest = args[1..];
        try
        {
            return command switch
            {
                SimulateOutageCommand.Name => await SimulateOutageCommand.RunAsync(ParsedArgs.Parse(command, rest, SimulateOutageCommand.Options, []), stdout, env, ct),
                StormCommand.Name => await StormCommand.RunAsync(ParsedArgs.Parse(command, rest, StormCommand.Options, StormCommand.Flags), stdout, env, ct),
                RestoreCommand.Name => await RestoreCommand.RunAsync(ParsedArgs.Parse(command, rest, RestoreCommand.Options, []), stdout, env, ct),
                MetersCommand.Name => await MetersCommand.RunAsync(ParsedArgs.Parse(command, rest, MetersCommand.Options, []), stdout, ct),
                PingCommand.Name => await PingCommand.RunAsync(ParsedArgs.Parse(command, rest, PingCommand.Options, []), stdout, ct),
                _ => throw new UsageException($"unknown command '{args[0]}'; commands: --simulate-outage, storm, restore, meters, ping (--help for options)"),
            };
        }
        catch (UsageException ex)
        {
            stderr.WriteLine($"ami-test-utility: {ex.Message}");
            return 2;
        }
        catch (ApiException ex)
        {
            stdout.WriteLine($"[FAIL] {ex.Message}");
            return 1;
        }
    }
}
