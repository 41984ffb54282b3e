using Microsoft.Extensions.Options;

namespace OpsConsole.Console.Server.Security;

/// <summary><c>Api:*</c> — credentials of machine clients (api.md).</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";

    public IList<ApiKeyEntry> Keys { get; } = [];
}

/// <summary>One machine client: its key and its role (<c>dispatcher</c> or <c>admin</c>).</summary>
public sealed class ApiKeyEntry
{
    public string Key { get; set; } = "";

    public string Role { get; set; } = "";

    /// <summary>Never the key: entries are printed in logs and validation messages.</summary>
    public override string ToString() => $"{{ Role = {Role} }}";
}

internal sealed class ApiOptionsValidator : IValidateOptions<ApiOptions>
{
    /// <summary>Shorter keys are guessable; 16 characters of a random base64 string carry 96 bits.</summary>
    public const int MinimumKeyLength = 16;

    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        var errors = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < options.Keys.Count; i++)
        {
            var entry = options.Keys[i];
            if (entry.Key.Length < MinimumKeyLength)
            {
                // The value is a secret: name the key, never print it.
                errors.Add($"Api:Keys:{i}:Key: must be at least {MinimumKeyLength} characters (value not shown)");
            }
            else if (!seen.Add(entry.Key))
            {
                errors.Add($"Api:Keys:{i}:Key: the same key is listed twice (value not shown)");
            }

            if (!Roles.IsKnown(entry.Role))
            {
                errors.Add($"Api:Keys:{i}:Role = '{entry.Role}': must be '{Roles.Dispatcher}' or '{Roles.Admin}'");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
