namespace OpsConsole.Engine.Tests;

/// <summary>Wire fixtures are written as readable hex ("44 02 7D 34 ..."); spaces and newlines are ignored.</summary>
internal static class Hex
{
    public static byte[] Bytes(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));

    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);
}
