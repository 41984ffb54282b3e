using OpsConsole.Tools.TopologyBench;
using OpsConsole.Tools.TopologyBench.Micro;

// TopologyBench: figures for topology import, snapshot build, memory and look-ups (see README.md).
const string Usage = """
    usage:
      TopologyBench generate [--meters 1000000] --out <file.geojson> [--source <geojson>] [--spacing-km 6]
      TopologyBench run [--meters 1000000] [--file <geojson>] [--no-file-import] [--keep-file]
                        [--runs 5] [--import-runs 5] [--small-runs 15] [--lookup-runs 7] [--lookup-ms 200] [--source <geojson>]
      TopologyBench micro [--meters 1000000] [BenchmarkDotNet arguments, e.g. --filter '*']
      TopologyBench snapshot [--meters 1000000] [--runs 3] [--source <geojson>]
      TopologyBench server --file <geojson> [--restarts 5] [--settle-s 20] [--views <url,url>]
                           [--server-dll <Console.Server dll>] [--data <empty folder to keep>]
    """;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(Usage);
    return args.Length == 0 ? 2 : 0;
}

try
{
    var rest = args.Skip(1);
    return args[0] switch
    {
        "generate" => await GenerateCommand.RunAsync(new BenchOptions(rest)),
        "run" => await RunCommand.RunAsync(new BenchOptions(rest)),
        "micro" => MicroCommand.Run([.. rest]),
        "server" => await ServerCommand.RunAsync(new BenchOptions(rest)),
        "snapshot" => await SnapshotCommand.RunAsync(new BenchOptions(rest)),
        _ => throw new UsageException($"unknown command '{args[0]}'"),
    };
}
catch (UsageException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    Console.Error.WriteLine(Usage);
    return 2;
}
catch (InvalidDataException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
