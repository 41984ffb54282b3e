using System.Reflection;
using System.Reflection.Emit;
using OpsConsole.Console.Server.Hosting;
using OpsConsole.Engine.Domain;
using OpsConsole.Engine.Ingest;
using OpsConsole.Engine.Protocols.Coap;

namespace OpsConsole.Server.Tests;

/// <summary>
/// The boundaries the code keeps, checked over the compiled assemblies: every type a type names in its
/// signatures, fields and method bodies (IL) counts as a reference.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Protocols = typeof(CoapMessage).Assembly;
    private static readonly Assembly Domain = typeof(MeterEvent).Assembly;
    private static readonly Assembly Engine = typeof(IngestStats).Assembly;
    private static readonly Assembly Server = typeof(ConsoleHost).Assembly;

    [Fact]
    public void The_codecs_are_an_assembly_of_their_own_that_reaches_neither_storage_nor_sockets_nor_hosting()
    {
        Assert.Equal("OpsConsole.Engine.Protocols", Protocols.GetName().Name);
        Assert.NotSame(Engine, Protocols);
        var references = Protocols.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.Contains("OpsConsole.Engine.Domain", references);
        Assert.DoesNotContain(references, r => r is "LiteDB" or "System.Net.Sockets" or "OpsConsole.Engine" or "OpsConsole.Gis"
            || r.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) || r.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal));
        Assert.DoesNotContain(References(Protocols), t => t.Namespace == "System.Net.Sockets" && t != typeof(System.Net.Sockets.AddressFamily));
    }

    [Fact]
    public void The_domain_assembly_references_nothing_of_the_project()
    {
        Assert.Equal("OpsConsole.Engine.Domain", Domain.GetName().Name);
        Assert.DoesNotContain(Domain.GetReferencedAssemblies(), a => a.Name!.StartsWith("OpsConsole.", StringComparison.Ordinal) || a.Name == "LiteDB");
    }

    [Theory]
    [InlineData("OpsConsole.Engine.Correlation")]
    [InlineData("OpsConsole.Engine.Storage")]
    public void Correlation_and_storage_do_not_depend_on_the_codecs(string area)
    {
        var offending = Edges(Engine)
            .Where(e => InArea(e.From, area) && InArea(e.To, "OpsConsole.Engine.Protocols"))
            .Select(e => $"{e.From.FullName} -> {e.To.FullName}")
            .Distinct()
            .ToList();
        Assert.True(offending.Count == 0, string.Join("; ", offending));
        Assert.Contains(Edges(Engine), e => InArea(e.From, area) && e.To == typeof(MeterEvent) || InArea(e.From, area) && e.To == typeof(MeterEventCode));
    }

    [Theory]
    [InlineData("OpsConsole.Console.Server.Map", "OpsConsole.Console.Server.Hosting")]
    [InlineData("OpsConsole.Console.Server.Security.Users", "OpsConsole.Console.Server.Security.Sessions")]
    public void Namespaces_once_in_a_cycle_are_not_any_more(string a, string b)
    {
        var edges = Edges(Server).Select(e => (From: e.From.Namespace, To: e.To.Namespace)).Distinct().ToList();
        bool ab = edges.Contains((a, b));
        bool ba = edges.Contains((b, a));
        Assert.False(ab && ba, $"{a} and {b} reference each other");
        Assert.True(ab || ba, $"neither {a} nor {b} references the other: the check no longer looks at anything");
    }

    [Fact]
    public void No_two_sibling_namespaces_of_the_server_or_the_engine_reference_each_other()
    {
        var cycles = new List<string>();
        foreach (var assembly in new[] { Server, Engine })
        {
            var edges = Edges(assembly)
                .Select(e => (From: e.From.Namespace ?? "", To: e.To.Namespace ?? ""))
                .Where(e => e.From != e.To && !e.From.StartsWith(e.To + ".", StringComparison.Ordinal) && !e.To.StartsWith(e.From + ".", StringComparison.Ordinal))
                .ToHashSet();
            cycles.AddRange(edges.Where(e => string.CompareOrdinal(e.From, e.To) < 0 && edges.Contains((e.To, e.From))).Select(e => $"{e.From} <-> {e.To}"));
        }

        Assert.True(cycles.Count == 0, "namespaces that reference each other: " + string.Join("; ", cycles));
    }

    private static bool InArea(Type type, string area) =>
        type.Namespace is { } ns && (ns == area || ns.StartsWith(area + ".", StringComparison.Ordinal));

    /// <summary>Every (type, referenced type) of the project's own types in <paramref name="assembly"/>.</summary>
    private static IEnumerable<(Type From, Type To)> Edges(Assembly assembly)
    {
        foreach (var type in assembly.GetTypes())
        {
            var from = Outermost(type);
            foreach (var to in References(type))
            {
                var target = Outermost(to);
                if (target != from && target.Namespace?.StartsWith("OpsConsole.", StringComparison.Ordinal) == true)
                {
                    yield return (from, target);
                }
            }
        }
    }

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type;
    }

    private static IEnumerable<Type> References(Assembly assembly) => assembly.GetTypes().SelectMany(References);

    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>The types <paramref name="type"/> names: base, interfaces, fields, signatures, locals and the tokens of its IL.</summary>
    private static IEnumerable<Type> References(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null || t.IsGenericParameter || !found.Add(t))
            {
                return;
            }

            if (t.HasElementType)
            {
                Add(t.GetElementType());
            }

            if (t.IsGenericType)
            {
                foreach (var arg in t.GetGenericArguments())
                {
                    Add(arg);
                }
            }
        }

        Add(type.BaseType);
        foreach (var i in type.GetInterfaces())
        {
            Add(i);
        }

        foreach (var f in type.GetFields(Declared))
        {
            Add(f.FieldType);
        }

        foreach (var p in type.GetProperties(Declared))
        {
            Add(p.PropertyType);
        }

        foreach (var m in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            if (m is MethodInfo mi)
            {
                Add(mi.ReturnType);
            }

            foreach (var p in m.GetParameters())
            {
                Add(p.ParameterType);
            }

            MethodBody? body;
            try
            {
                body = m.GetMethodBody();
            }
            catch (BadImageFormatException)
            {
                continue;
            }

            if (body is null)
            {
                continue;
            }

            foreach (var local in body.LocalVariables)
            {
                Add(local.LocalType);
            }

            foreach (var t in IlTypes(m, body.GetILAsByteArray() ?? []))
            {
                Add(t);
            }
        }

        return found;
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>The types behind the metadata tokens of a method's IL (calls, fields, newobj, casts, ldtoken...).</summary>
    private static IEnumerable<Type> IlTypes(MethodBase method, byte[] il)
    {
        var module = method.Module;
        var typeArgs = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int i = 0;
        while (i < il.Length)
        {
            short value = il[i] == 0xFE && i + 1 < il.Length ? (short)(0xFE00 | il[i + 1]) : il[i];
            if (!OpCodesByValue.TryGetValue(value, out var op))
            {
                yield break; // not IL we understand: stop rather than misread
            }

            i += op.Size;
            int operand = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, i)),
                _ => 4,
            };
            if (op.OperandType is OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok)
            {
                int token = BitConverter.ToInt32(il, i);
                Type? resolved = null;
                try
                {
                    var member = module.ResolveMember(token, typeArgs, methodArgs);
                    resolved = member switch
                    {
                        Type t => t,
                        _ => member?.DeclaringType,
                    };
                }
                catch (Exception ex) when (ex is ArgumentException or BadImageFormatException or TypeLoadException or FileNotFoundException)
                {
                    // A member of an assembly not loaded here: not one of the project's own.
                }

                if (resolved is not null)
                {
                    yield return resolved;
                }
            }

            i += operand;
        }
    }
}
