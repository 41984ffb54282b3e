using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;

namespace OpsConsole.Engine.Configuration;

/// <summary>
/// Start-up checks of the engine's configuration. Each failure names the key and the value so
/// that the operator can fix the right line; all failures are reported at once.
/// </summary>
internal sealed class HesOptionsValidator : IValidateOptions<HesOptions>
{
    public ValidateOptionsResult Validate(string? name, HesOptions options)
    {
        var errors = new List<string>();
        if (options.Port is < 0 or > 65535)
        {
            errors.Add($"Hes:Port = {options.Port}: must be a UDP port from 0 to 65535 (0 picks a free port)");
        }

        if (options.WarmupMs is < 0 or > 60_000)
        {
            errors.Add($"Hes:WarmupMs = {options.WarmupMs}: must be from 0 (no warm-up) to 60000 milliseconds");
        }

        for (int i = 0; i < options.AllowedGateways.Count; i++)
        {
            var cidr = options.AllowedGateways[i];
            if (!IPNetwork.TryParse(cidr ?? "", out _))
            {
                errors.Add($"Hes:AllowedGateways:{i} = '{cidr}': not a CIDR range such as 10.0.0.0/8 or ::1/128");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class SecurityOptionsValidator : IValidateOptions<SecurityOptions>
{
    public ValidateOptionsResult Validate(string? name, SecurityOptions options)
    {
        if (!(options.MasterKeyFile.Length == 0 || OptionPaths.IsUsablePath(options.MasterKeyFile)))
        {
            return ValidateOptionsResult.Fail($"Security:MasterKeyFile = '{options.MasterKeyFile}': must be a file path"); // empty: the default under Storage:Path (MasterKeyLocation)
        }

        if (options.HeadEndSystemTitle is not { Length: 16 } title || !ulong.TryParse(title, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out _))
        {
            return ValidateOptionsResult.Fail($"Security:HeadEndSystemTitle = '{options.HeadEndSystemTitle}': must be 16 hex digits (8 bytes), e.g. 4F50534845000001");
        }

        return ValidateOptionsResult.Success;
    }
}

internal sealed class MeterClientOptionsValidator : IValidateOptions<MeterClientOptions>
{
    public ValidateOptionsResult Validate(string? name, MeterClientOptions o)
    {
        var errors = new List<string>();
        if (o.MaxConcurrency is < 1 or > 10_000)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"MeterClient:MaxConcurrency = {o.MaxConcurrency}: must be from 1 to 10000 (meters asked at once)"));
        }

        if (o.AckTimeoutMs is < 10 or > 60_000)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"MeterClient:AckTimeoutMs = {o.AckTimeoutMs}: must be from 10 to 60000 ms"));
        }

        if (o.MaxRetransmit is < 0 or > 10)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"MeterClient:MaxRetransmit = {o.MaxRetransmit}: must be from 0 to 10"));
        }

        if (o.RequestTimeoutMs is < 10 or > 600_000)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"MeterClient:RequestTimeoutMs = {o.RequestTimeoutMs}: must be from 10 to 600000 ms"));
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class VerificationOptionsValidator : IValidateOptions<VerificationOptions>
{
    public static readonly string[] Levels = ["Meter", "Transformer", "Device", "Feeder", "Substation", "Unknown"];

    public ValidateOptionsResult Validate(string? name, VerificationOptions o)
    {
        var errors = new List<string>();
        if (o.SampleSize is < 1 or > 5000)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Verification:SampleSize = {o.SampleSize}: must be from 1 to 5000 (reporting meters read to verify a clear)"));
        }

        foreach (var level in o.AutoLevelList)
        {
            if (Array.IndexOf(Levels, level) < 0)
            {
                errors.Add($"Verification:AutoLevels = '{o.AutoLevels}': '{level}' is not a level; give a comma-separated list of {string.Join(", ", Levels)}");
            }
        }

        if (o.MaxParallel is < 1 or > 1000)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Verification:MaxParallel = {o.MaxParallel}: must be from 1 to 1000"));
        }

        if (o.QueueLimit is < 1 or > 100_000)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Verification:QueueLimit = {o.QueueLimit}: must be from 1 to 100000"));
        }

        if (o.RestorationMaxMeters is < 0 or > 5000)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Verification:RestorationMaxMeters = {o.RestorationMaxMeters}: must be from 0 to 5000"));
        }

        if (o.RestorationSampleUp is < 0 or > 5000)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Verification:RestorationSampleUp = {o.RestorationSampleUp}: must be from 0 to 5000"));
        }

        if (o.ChronicClears is < 1 or > 1000)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Verification:ChronicClears = {o.ChronicClears}: must be from 1 to 1000 (false-positive clears that make a meter chronic)"));
        }

        if (o.ChronicDays is < 1 or > 366)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Verification:ChronicDays = {o.ChronicDays}: must be from 1 to 366 (days the clears are counted over)"));
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options) =>
        OptionPaths.IsUsablePath(options.Path)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Storage:Path = '{options.Path}': must be a folder path");
}

internal sealed class TopologyOptionsValidator : IValidateOptions<TopologyOptions>
{
    public ValidateOptionsResult Validate(string? name, TopologyOptions options)
    {
        if (!(options.MaxRemovalFraction is >= 0 and <= 1))
        {
            return ValidateOptionsResult.Fail(string.Create(CultureInfo.InvariantCulture,
                $"Topology:MaxRemovalFraction = {options.MaxRemovalFraction}: must be from 0 to 1 (the share of the meters an import may remove without force)"));
        }

        if (options.MaxImportBytes <= 0)
        {
            return ValidateOptionsResult.Fail(string.Create(CultureInfo.InvariantCulture,
                $"Topology:MaxImportBytes = {options.MaxImportBytes}: must be a positive number of bytes"));
        }

        if (string.IsNullOrWhiteSpace(options.File))
        {
            return ValidateOptionsResult.Success; // the bundled demo network
        }

        var full = OptionPaths.Resolve(options.File);
        return File.Exists(full)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Topology:File = '{options.File}': no such file ({full})");
    }
}

internal sealed class ValidationOptionsValidator : IValidateOptions<ValidationOptions>
{
    public ValidateOptionsResult Validate(string? name, ValidationOptions options)
    {
        var errors = new List<string>();
        if (options.ClockToleranceMs is < 0 or > 3_600_000)
        {
            errors.Add($"Validation:ClockToleranceMs = {options.ClockToleranceMs}: must be from 0 to 3600000 milliseconds");
        }

        if (options.TransitAllowanceMs is < 0 or > 3_600_000)
        {
            errors.Add($"Validation:TransitAllowanceMs = {options.TransitAllowanceMs}: must be from 0 to 3600000 milliseconds");
        }

        if (options.CapacitorFloorMv is < 0 or > ushort.MaxValue)
        {
            errors.Add($"Validation:CapacitorFloorMv = {options.CapacitorFloorMv}: must be from 0 to 65535 millivolts");
        }

        if (options.RssiFloorDbm is < sbyte.MinValue or > sbyte.MaxValue)
        {
            errors.Add($"Validation:RssiFloorDbm = {options.RssiFloorDbm}: must be from -128 to 127 dBm");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class CorrelationOptionsValidator : IValidateOptions<CorrelationOptions>
{
    public ValidateOptionsResult Validate(string? name, CorrelationOptions options)
    {
        var errors = Check(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Every problem with <paramref name="options"/>, each naming its key and value; empty when valid.</summary>
    public static List<string> Check(CorrelationOptions options)
    {
        var errors = new List<string>();
        if (options.WindowMs is < 100 or > 600_000)
        {
            errors.Add($"Correlation:WindowMs = {options.WindowMs}: must be from 100 to 600000 milliseconds");
        }

        if (!(options.RollupFraction is > 0 and <= 1))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"Correlation:RollupFraction = {options.RollupFraction}: must be more than 0 and at most 1 (a share of the transformers below an element)"));
        }

        if (options.QualifyMs is < 0 or > 3_600_000)
        {
            errors.Add($"Correlation:QualifyMs = {options.QualifyMs}: must be from 0 to 3600000 milliseconds");
        }

        if (options.WarmupMs is < 0 or > 60_000)
        {
            errors.Add($"Correlation:WarmupMs = {options.WarmupMs}: must be from 0 (no warm-up) to 60000 milliseconds");
        }

        if (options.NestedMs is < 0 or > 3_600_000)
        {
            errors.Add($"Correlation:NestedMs = {options.NestedMs}: must be from 0 to 3600000 milliseconds");
        }

        if (options.CheckpointSeconds is < 0 or > 86_400)
        {
            errors.Add($"Correlation:CheckpointSeconds = {options.CheckpointSeconds}: must be from 0 (only at a clean stop) to 86400 seconds");
        }

        return errors;
    }
}

/// <summary>How configured paths are read: relative to the current directory, like any command-line tool.</summary>
public static class OptionPaths
{
    public static string Resolve(string path) => Path.GetFullPath(path, Environment.CurrentDirectory);

    internal static bool IsUsablePath(string? path) =>
        !string.IsNullOrWhiteSpace(path) && path.IndexOfAny(Path.GetInvalidPathChars()) < 0;
}
