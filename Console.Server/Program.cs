using OpsConsole.Console.Server.Backup;
using OpsConsole.Console.Server.Hosting;

// The console host: Blazor Server UI, the engine's hosted services, health, REST and hubs.
// What it is made of is listed in ConsoleHost.Compose; start-up failures exit with code 2.
// `backup <folder>` and `restore <backup-folder>` are commands instead (BackupCommands), exit code 2 when refused.
return BackupCommands.IsCommand(args)
    ? await BackupCommands.RunAsync(args, Console.Out, Console.Error)
    : await ConsoleHost.RunAsync(args);
