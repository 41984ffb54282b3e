namespace OpsConsole.Tools.TopologyBench;

/// <summary>A command line the tool cannot run; the message says what to fix.</summary>
internal sealed class UsageException(string message) : Exception(message);
