using OpsConsole.Console.Client.Meters;
using OpsConsole.Engine.Correlation;

namespace OpsConsole.Console.Server.Meters;

/// <summary>The engine's <see cref="MeterMute"/> as the console's views show it, written once for every view of a meter.</summary>
public static class MeterMuteViews
{
    public static MeterMuteView? ToView(this MeterMute? mute) => mute is null ? null : new MeterMuteView(mute.Until, mute.Actor, mute.Reason);
}
