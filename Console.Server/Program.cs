using OpsConsole.Console.Server.Hosting;

// The console host: Blazor Server UI, the engine's hosted services, health, REST and hubs.
// What it is made of is listed in ConsoleHost.Compose; start-up failures exit with code 2.
return await ConsoleHost.RunAsync(args);
