using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Options;
using OpsConsole.Console.Server.Backup;
using OpsConsole.Console.Server.Map;
using OpsConsole.Console.Server.Security;
using OpsConsole.Console.Server.Security.Certificates;
using OpsConsole.Console.Server.Security.Users;
using OpsConsole.Engine.Configuration;
using OpsConsole.Engine.Storage.LiteDb;
using OpsConsole.Engine.Topology;

namespace OpsConsole.Console.Server.Hosting;

/// <summary>
/// Checks the console's configuration, and on a first start its network file, before the host starts, so that a bad
/// value stops the start with one line per problem (key, value given, what is expected) and nothing has been created
/// on disk yet: no data folder, no master key, no database. Keys the console does not know in its own sections
/// (a misspelling such as <c>Hes:Prot</c>) are reported as warnings, with the keys the section does have.
/// </summary>
public static partial class ConfigurationPreflight
{
    /// <summary>The console's own configuration sections and the option classes they bind to.</summary>
    public static readonly IReadOnlyList<(string Section, Type Options)> Sections =
    [
        (HesOptions.Section, typeof(HesOptions)),
        (SecurityOptions.Section, typeof(SecurityOptions)),
        (MeterClientOptions.Section, typeof(MeterClientOptions)),
        (TopologyOptions.Section, typeof(TopologyOptions)),
        (StorageOptions.Section, typeof(StorageOptions)),
        (ValidationOptions.Section, typeof(ValidationOptions)),
        (CorrelationOptions.Section, typeof(CorrelationOptions)),
        (VerificationOptions.Section, typeof(VerificationOptions)),
        (RetentionOptions.Section, typeof(RetentionOptions)),
        (TlsOptions.Section, typeof(TlsOptions)),
        (ForwardedHeadersSettings.Section, typeof(ForwardedHeadersSettings)),
        (AuditOptions.Section, typeof(AuditOptions)),
        (MapOptions.Section, typeof(MapOptions)),
        (ApiOptions.Section, typeof(ApiOptions)),
        (BackupOptions.Section, typeof(BackupOptions)),
    ];

    /// <summary>Problems (the start is refused) and warnings (it goes on) found in the configuration.</summary>
    public sealed record Result(IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings);

    /// <summary>
    /// Values that cannot be converted to their key's type, and keys no option class has. Pure: reads the
    /// configuration only.
    /// </summary>
    public static Result CheckKeys(IConfiguration configuration)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        foreach (var (section, type) in Sections)
        {
            CheckObject(configuration.GetSection(section), type, errors, warnings);
        }

        CheckUrls(configuration, errors);
        errors.AddRange(CheckLogging(configuration).Errors);
        return new Result(errors, warnings);
    }

    /// <summary>
    /// The logging levels (<c>Logging:LogLevel:*</c> and each provider's <c>Logging:&lt;provider&gt;:LogLevel:*</c>), which
    /// are read while the host is built, before <see cref="RunAsync"/> can run. Pure.
    /// </summary>
    public static Result CheckLogging(IConfiguration configuration)
    {
        var errors = new List<string>();
        var logging = configuration.GetSection("Logging");
        foreach (var levels in logging.GetChildren().Where(c => c.Key.Equals("LogLevel", StringComparison.OrdinalIgnoreCase))
            .Concat(logging.GetChildren().Select(p => p.GetSection("LogLevel"))))
        {
            foreach (var level in levels.GetChildren())
            {
                if (level.Value is { } value && !Enum.TryParse<LogLevel>(value, ignoreCase: true, out _))
                {
                    errors.Add($"{level.Path} = '{value}': {Expected(typeof(LogLevel))}");
                }
            }
        }

        return new Result(errors, []);
    }

    /// <summary>Throws the <see cref="OptionsValidationException"/> <see cref="RunAsync"/> throws, when there are errors.</summary>
    public static void ThrowIfInvalid(IReadOnlyList<string> errors)
    {
        if (errors.Count > 0)
        {
            throw new OptionsValidationException("configuration", typeof(object), errors);
        }
    }

    /// <summary>The addresses to listen on (<c>urls</c>, <c>Kestrel:Endpoints:*:Url</c>): each one Kestrel can read.</summary>
    private static void CheckUrls(IConfiguration configuration, List<string> errors)
    {
        var urls = new List<(string Key, string Url)>();
        if (configuration["urls"] is { Length: > 0 } list)
        {
            urls.AddRange(list.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u => ("urls", u)));
        }

        urls.AddRange(configuration.GetSection("Kestrel:Endpoints").GetChildren()
            .Where(e => e["Url"] is { Length: > 0 }).Select(e => (e.GetSection("Url").Path, e["Url"]!)));
        foreach (var (key, url) in urls)
        {
            try
            {
                _ = Microsoft.AspNetCore.Http.BindingAddress.Parse(url);
            }
            catch (FormatException)
            {
                errors.Add($"{key} = '{url}': expected an address to listen on, such as http://0.0.0.0:8080 or https://*:443");
            }
        }
    }

    /// <summary>
    /// The whole check before the host starts: the keys (<see cref="CheckKeys"/>), every option class's own rules,
    /// then, when the store is new, the network file a first start would import. Throws
    /// <see cref="OptionsValidationException"/> or <see cref="TopologyLoadException"/>; logs the warnings.
    /// </summary>
    public static async Task RunAsync(IServiceProvider services, IConfiguration configuration, CancellationToken cancellationToken = default)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("OpsConsole.Configuration");
        var keys = CheckKeys(configuration);
        foreach (var warning in keys.Warnings)
        {
            LogUnknownKey(logger, warning);
        }

        var errors = new List<string>(keys.Errors);
        if (errors.Count == 0)
        {
            foreach (var (_, type) in Sections)
            {
                var options = services.GetRequiredService(typeof(IOptions<>).MakeGenericType(type));
                try
                {
                    _ = options.GetType().GetProperty(nameof(IOptions<object>.Value))!.GetValue(options);
                }
                catch (TargetInvocationException ex) when (ex.InnerException is OptionsValidationException invalid)
                {
                    errors.AddRange(invalid.Failures);
                }
            }
        }

        ThrowIfInvalid(errors);

        // Every other option class validated at start (ValidateOnStart), so that none is first checked while the host
        // starts, after the data folder and the master key were made.
        services.GetService<IStartupValidator>()?.Validate();

        // A first start imports the network file: read and validate it now, before the data folder exists.
        var storage = services.GetRequiredService<IOptions<StorageOptions>>().Value;
        if (!File.Exists(Path.Combine(OptionPaths.Resolve(storage.Path), LiteStore.FileName)))
        {
            var topology = services.GetRequiredService<IOptions<TopologyOptions>>().Value;
            var import = await TopologyBootstrapper.ReadConfiguredAsync(topology, services.GetRequiredService<ILogger<TopologyBootstrapper>>(), cancellationToken).ConfigureAwait(false);
            services.GetRequiredService<ValidatedNetworkFile>().Set(TopologyBootstrapper.ConfiguredPath(topology), import);
        }
    }

    private static void CheckObject(IConfigurationSection section, Type type, List<string> errors, List<string> warnings)
    {
        foreach (var child in section.GetChildren())
        {
            var property = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || property.GetIndexParameters().Length > 0 || (!property.CanWrite && !IsCollection(property.PropertyType, out _)))
            {
                var known = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite || IsCollection(p.PropertyType, out _)).Select(p => p.Name);
                warnings.Add($"{child.Path}: unknown key, ignored ({section.Path} has {string.Join(", ", known)})");
                continue;
            }

            CheckValue(child, property.PropertyType, errors, warnings);
        }
    }

    private static void CheckValue(IConfigurationSection section, Type type, List<string> errors, List<string> warnings)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsSimple(type))
        {
            if (section.Value is null)
            {
                if (section.GetChildren().Any())
                {
                    errors.Add($"{section.Path}: {Expected(type)}, not a section");
                }

                return;
            }

            if (type != typeof(string) && !(section.Value.Length == 0 && !type.IsValueType) && !Converts(section.Value, type))
            {
                errors.Add($"{section.Path} = '{section.Value}': {Expected(type)}");
            }

            return;
        }

        if (IsCollection(type, out var element))
        {
            foreach (var item in section.GetChildren())
            {
                CheckValue(item, element, errors, warnings);
            }

            return;
        }

        if (section.Value is { Length: > 0 } value)
        {
            errors.Add($"{section.Path} = '{value}': expected a section with keys {string.Join(", ", type.GetProperties().Select(p => p.Name))}");
            return;
        }

        CheckObject(section, type, errors, warnings);
    }

    private static bool Converts(string value, Type type)
    {
        if (type.IsEnum)
        {
            return Enum.TryParse(type, value, ignoreCase: true, out _);
        }

        try
        {
            _ = TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException or NotSupportedException)
        {
            return false;
        }
    }

    private static bool IsSimple(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
        || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(Guid) || type == typeof(Uri);

    private static bool IsCollection(Type type, out Type element)
    {
        if (type.IsArray)
        {
            element = type.GetElementType()!;
            return true;
        }

        var enumerable = type == typeof(string) ? null : type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        if (enumerable is null)
        {
            element = typeof(object);
            return false;
        }

        element = enumerable.GetGenericArguments()[0];
        if (element.IsGenericType && element.GetGenericTypeDefinition() == typeof(KeyValuePair<,>))
        {
            element = element.GetGenericArguments()[1]; // a dictionary: check its values
        }

        return true;
    }

    private static string Expected(Type type) => type switch
    {
        _ when type == typeof(bool) => "expected true or false",
        _ when type == typeof(int) || type == typeof(long) || type == typeof(short) => string.Create(CultureInfo.InvariantCulture,
            $"expected a whole number (from {(type == typeof(int) ? int.MinValue : type == typeof(long) ? long.MinValue : short.MinValue)} to {(type == typeof(int) ? int.MaxValue : type == typeof(long) ? long.MaxValue : short.MaxValue)})"),
        _ when type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(byte) => "expected a whole number of 0 or more",
        _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "expected a number with a dot for decimals, e.g. 0.5",
        _ when type == typeof(TimeSpan) => "expected a duration such as 00:00:30",
        _ when type.IsEnum => "expected one of " + string.Join(", ", Enum.GetNames(type)),
        _ => "expected a " + type.Name,
    };

    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "Configuration: {Warning}")]
    private static partial void LogUnknownKey(ILogger logger, string warning);
}
