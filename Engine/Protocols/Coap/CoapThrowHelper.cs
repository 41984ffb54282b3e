using System.Diagnostics.CodeAnalysis;

namespace OpsConsole.Engine.Protocols.Coap;

/// <summary>
/// Throws for programming errors only (bad arguments, writer misuse). Malformed wire input
/// never throws: parsing returns a <see cref="CoapParseStatus"/>.
/// </summary>
internal static class CoapThrowHelper
{
    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange(string paramName, string message) =>
        throw new ArgumentOutOfRangeException(paramName, message);

    [DoesNotReturn]
    public static void ThrowArgument(string paramName, string message) =>
        throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void ThrowInvalidOperation(string message) =>
        throw new InvalidOperationException(message);
}
