using OpsConsole.Engine.Security;

namespace OpsConsole.Engine.Protocols.Dlms;

/// <summary>
/// The meter registry as <see cref="FrameDecoder"/> needs it: system title → registered GUID and keys
/// (wire-format.md §4). Implementations are shared by every worker and must be thread-safe; they
/// typically map the title through the topology's meter features and take the keys from a
/// <see cref="MeterKeyCache"/>.
/// </summary>
public interface IMeterKeyLookup
{
    /// <summary>False when no meter is registered for <paramref name="systemTitle"/> (big-endian value of the 8 bytes).</summary>
    bool TryGetMeter(ulong systemTitle, out MeterCredentials credentials);
}

/// <summary>A registered meter: its GUID and its suite-0 keys.</summary>
public readonly record struct MeterCredentials(Guid MeterId, MeterKeys Keys);
