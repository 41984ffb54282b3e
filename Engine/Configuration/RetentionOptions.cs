using Microsoft.Extensions.Options;

namespace OpsConsole.Engine.Configuration;

/// <summary><c>Retention:*</c> — how long stored history is kept (the audit trail has <c>Audit:RetentionDays</c>).</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Events received longer ago than this many days are deleted (daily). Default 400: a reliability year needs its whole year.</summary>
    public int EventDays { get; set; } = 400;

    /// <summary>Operator actions older than this many days are deleted (daily). At least <see cref="EventDays"/>: the replay places an action after its event.</summary>
    public int ActionDays { get; set; } = 400;
}

internal sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        var errors = new List<string>();
        if (options.EventDays is < 1 or > 36_500)
        {
            errors.Add($"Retention:EventDays = {options.EventDays}: must be a number of days from 1 to 36500");
        }

        if (options.ActionDays is < 1 or > 36_500)
        {
            errors.Add($"Retention:ActionDays = {options.ActionDays}: must be a number of days from 1 to 36500");
        }
        else if (options.ActionDays < options.EventDays)
        {
            errors.Add($"Retention:ActionDays = {options.ActionDays}: must be at least Retention:EventDays ({options.EventDays}): "
                + "a restart replays each kept event with the operator actions made after it");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
