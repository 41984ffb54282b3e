using MudBlazor;

namespace OpsConsole.Console.Client.Layout;

/// <summary>A calm, high-contrast palette for long control-room shifts.</summary>
internal static class ConsoleTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1e3a5f",
            AppbarBackground = "#1e3a5f",
            Secondary = "#c75000",
        },
    };
}
