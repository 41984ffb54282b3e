using OpsConsole.Tools.AmiTestUtility;

// ami-test-utility: dotnet run --project tools/AmiTestUtility -- <command> … (Cli.Usage lists the commands).
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
return await Cli.RunAsync(args, Console.Out, Console.Error, Environment.GetEnvironmentVariable, cts.Token);
