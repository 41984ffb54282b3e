using OpsConsole.Console.Client;
using OpsConsole.Console.Server.Hosting;
using OpsConsole.Engine;

// The console host: Blazor Server UI, the engine's hosted services, health, REST and hubs.
return await ConsoleHost.RunAsync(args, builder =>
{
    builder.Services.AddEngine();
    builder.Services.AddConsoleClient();
    builder.Services.AddConsoleServer(builder.Configuration);
});
