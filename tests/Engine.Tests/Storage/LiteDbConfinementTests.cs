using System.Reflection;
using System.Text.RegularExpressions;
using OpsConsole.Engine.Storage.LiteDb;

namespace OpsConsole.Engine.Tests.Storage;

/// <summary>
/// LiteDB is one implementation of the storage interfaces: no LiteDB type outside <c>Engine/Storage/LiteDb</c>,
/// in the Engine or the web host. Checked twice: in the sources (a <c>using LiteDB</c> or a <c>LiteDB.</c>-qualified
/// name anywhere else) and in the compiled Engine (no member signature, base type or attribute of a type outside
/// that namespace names a LiteDB type).
/// </summary>
public sealed partial class LiteDbConfinementTests
{
    private const string Allowed = "Engine/Storage/LiteDb/";

    [GeneratedRegex(@"^\s*(global\s+)?using\s+(static\s+)?(\w+\s*=\s*)?LiteDB\b|(?<![\w.])(global::)?LiteDB\.[A-Z]", RegexOptions.Multiline)]
    private static partial Regex LiteDbReference();

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OpsConsole.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("OpsConsole.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The offending lines of <paramref name="text"/> (comments stripped first: prose may name LiteDB).</summary>
    internal static IEnumerable<string> Offences(string text)
    {
        string code = Regex.Replace(text, @"//[^\n]*|/\*.*?\*/", "", RegexOptions.Singleline);
        return LiteDbReference().Matches(code).Select(m => m.Value.Trim());
    }

    [Fact]
    public void Sources_OutsideTheLiteDbFolder_NeverReferToLiteDb()
    {
        string root = RepoRoot();
        var offenders = new List<string>();
        int scanned = 0;
        foreach (string project in new[] { "Engine", "Console.Server" })
        {
            foreach (string file in Directory.EnumerateFiles(Path.Combine(root, project), "*.cs", SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(root, file).Replace('\\', '/');
                if (relative.Contains("/obj/", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal))
                {
                    continue;
                }

                scanned++;
                if (!relative.StartsWith(Allowed, StringComparison.Ordinal))
                {
                    offenders.AddRange(Offences(File.ReadAllText(file)).Select(o => $"{relative}: {o}"));
                }
            }
        }

        Assert.True(scanned > 100, $"only {scanned} source files found under {root}");
        Assert.Empty(offenders);
    }

    [Theory]
    [InlineData("using LiteDB;", true)]
    [InlineData("using LiteDB.Engine;", true)]
    [InlineData("using Db = LiteDB.LiteDatabase;", true)]
    [InlineData("catch (LiteDB.LiteException e)", true)]
    [InlineData("[global::LiteDB.BsonIgnore]", true)]
    [InlineData("/// stored in LiteDB. The next", false)]
    [InlineData("// LiteDB.LiteException was caught here", false)]
    [InlineData("var x = \"LiteDBStore\";", false)]
    public void TheSourceCheck_RecognisesAReference(string line, bool offends) =>
        Assert.Equal(offends, Offences(line).Any());

    [Fact]
    public void EngineTypes_OutsideTheLiteDbNamespace_ExposeNoLiteDbType()
    {
        var engine = typeof(LiteStore).Assembly;
        var liteDb = typeof(LiteDB.LiteDatabase).Assembly;
        Assert.Contains(engine.GetReferencedAssemblies(), a => a.Name == liteDb.GetName().Name); // the check below has something to find

        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var offenders = new List<string>();
        foreach (var type in engine.GetTypes().Where(t => t.Namespace != typeof(LiteStore).Namespace && !(t.Namespace ?? "").StartsWith(typeof(LiteStore).Namespace + ".", StringComparison.Ordinal)))
        {
            var used = new List<Type?> { type.BaseType };
            used.AddRange(type.GetInterfaces());
            used.AddRange(type.GetCustomAttributesData().Select(a => a.AttributeType));
            used.AddRange(type.GetFields(All).Select(f => f.FieldType));
            used.AddRange(type.GetProperties(All).Select(p => p.PropertyType));
            used.AddRange(type.GetProperties(All).SelectMany(p => p.GetCustomAttributesData()).Select(a => a.AttributeType));
            foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
            {
                if (method is MethodInfo m)
                {
                    used.Add(m.ReturnType);
                }

                used.AddRange(method.GetParameters().Select(p => p.ParameterType));
                used.AddRange(method.GetMethodBody()?.LocalVariables.Select(v => v.LocalType) ?? []);
            }

            offenders.AddRange(used.Where(t => t is not null && Mentions(t, liteDb)).Select(t => $"{type.FullName} uses {t!.FullName}"));
        }

        Assert.Empty(offenders.Distinct());
    }

    private static bool Mentions(Type type, Assembly assembly) =>
        type.Assembly == assembly
        || (type.HasElementType && Mentions(type.GetElementType()!, assembly))
        || (type.IsGenericType && type.GetGenericArguments().Any(a => !a.IsGenericParameter && Mentions(a, assembly)));
}
