using Bms.IlTools.Compatibility;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Mono.Cecil;

namespace Bms.Tools.Tests.IlTools;

/// <summary>
/// Each rule of the IL gate is shown to catch a violation: the snippet compiles against nanoFramework's
/// mscorlib (so the compile gate alone would let it through) and the checker names the type, method, rule
/// and, for instructions, the IL offset.
/// </summary>
public class NanoIlCheckerTests
{
    private static IReadOnlyList<IlViolation> Check(string source, bool allowUnsafe = false, NanoIlCheckerOptions? options = null,
        LanguageVersion languageVersion = LanguageVersion.CSharp7_3, IEnumerable<MetadataReference>? references = null)
    {
        byte[] image = NanoCompilation.CompileOrThrow(source, "Bms.Snippet", allowUnsafe, extraReferences: references, languageVersion: languageVersion);
        return new NanoIlChecker(options).CheckImage(image);
    }

    [Fact]
    public void Plain_integer_code_has_no_violation()
    {
        var violations = Check("""
            namespace Bms.Firmware.Protection
            {
                public sealed class Limit
                {
                    private readonly int[] _history = new int[4];
                    public int Threshold_mV = 4200;
                    public bool Exceeded(int value_mV) { _history[0] = value_mV; return value_mV > Threshold_mV; }
                    public long Charge(int current_mA, int dt_ms) { return (long)current_mA * dt_ms; }
                }
            }
            """);
        Assert.Empty(violations);
    }

    [Fact]
    public void Generic_type_is_caught()
    {
        var violations = Check("public sealed class Box<T> { public T Value; }");
        Assert.Contains(violations, v => v.Rule == IlRule.Generics && v.Type == "Box`1" && v.Member == "" && v.Detail.Contains("generic type definition"));
    }

    [Fact]
    public void Generic_method_is_caught()
    {
        var violations = Check("public static class Picker { public static T First<T>(T[] items) { return items[0]; } }");
        Assert.Contains(violations, v => v.Rule == IlRule.Generics && v.Type == "Picker" && v.Member == "First" && v.Detail.Contains("generic method definition"));
    }

    [Fact]
    public void Generic_compiler_generated_closure_is_caught()
    {
        // The lambda captures a T, so the compiler emits a generic display class: a generic type nobody wrote.
        var violations = Check("""
            public static class Deferred
            {
                public static System.Func<T> Later<T>(T value) { return () => value; }
            }
            """);
        Assert.Contains(violations, v => v.Rule == IlRule.Generics && v.Type.Contains("DisplayClass") && v.Detail.Contains("generic type definition"));
    }

    [Fact]
    public void Use_of_a_generic_instance_from_mscorlib_is_caught_at_its_offset()
    {
        var violations = Check("""
            public static class UsesFunc
            {
                public static int Call(System.Func<int> f) { return f(); }
            }
            """);
        IlViolation call = Assert.Single(violations, v => v.Rule == IlRule.Generics && v.Member == "Call" && v.IlOffset >= 0);
        Assert.Contains("callvirt", call.Detail);
        Assert.Equal(1, call.IlOffset); // ldarg.0 (1 byte), then callvirt Func`1::Invoke
    }

    [Fact]
    public void Pointer_parameter_is_caught()
    {
        var violations = Check("public static unsafe class Raw { public static int Read(int* p) { return *p; } }", allowUnsafe: true);
        Assert.Contains(violations, v => v.Rule == IlRule.UnsafeCode && v.Member == "Read" && v.Detail.Contains("parameter 'p'"));
    }

    [Fact]
    public void Stackalloc_is_caught_as_localloc_with_offset()
    {
        var violations = Check("""
            public static unsafe class Scratch
            {
                public static int Sum() { int* buffer = stackalloc int[4]; buffer[1] = 2; return buffer[1]; }
            }
            """, allowUnsafe: true);
        IlViolation localloc = Assert.Single(violations, v => v.Rule == IlRule.UnsafeCode && v.Detail == "localloc instruction");
        Assert.Equal("Scratch", localloc.Type);
        Assert.Equal("Sum", localloc.Member);
        Assert.True(localloc.IlOffset > 0);
    }

    [Fact]
    public void Fixed_statement_is_caught_as_pinned_local()
    {
        var violations = Check("""
            public static unsafe class Pin
            {
                public static int First(int[] values) { fixed (int* p = values) { return *p; } }
            }
            """, allowUnsafe: true);
        Assert.Contains(violations, v => v.Rule == IlRule.UnsafeCode && v.Member == "First" && v.Detail.Contains("pinned local"));
    }

    [Fact]
    public void Function_pointer_is_caught()
    {
        // delegate* needs C# 9, which the gate refuses anyway; the IL rule still holds for IL from any source.
        var violations = Check("""
            public static unsafe class Indirect
            {
                private static int Twice(int x) { return 2 * x; }
                public static int Call(int x) { delegate*<int, int> f = &Twice; return f(x); }
            }
            """, allowUnsafe: true, languageVersion: LanguageVersion.CSharp9);
        Assert.Contains(violations, v => v.Rule == IlRule.UnsafeCode && v.Member == "Call" && v.Detail == "calli instruction" && v.IlOffset > 0);
        Assert.Contains(violations, v => v.Rule == IlRule.UnsafeCode && v.Member == "Call" && v.Detail.Contains("local V_0 of pointer type"));
    }

    private const string FloatingPointCode = """
        public sealed class Derating
        {
            public float Factor;
            public int Apply(int current_mA) { double scaled = current_mA * 0.5; if (scaled > 10.0) scaled = 10.0; return (int)scaled; }
        }
        """;

    [Fact]
    public void Floating_point_in_a_guard_loop_namespace_is_caught()
    {
        var violations = Check("namespace Bms.Firmware.Limits.Current {" + FloatingPointCode + "}");
        string type = "Bms.Firmware.Limits.Current.Derating";
        Assert.Contains(violations, v => v.Rule == IlRule.FloatingPointInGuardLoop && v.Type == type && v.Member == "Factor" && v.IlOffset == -1);
        Assert.Contains(violations, v => v.Rule == IlRule.FloatingPointInGuardLoop && v.Member == "Apply" && v.Detail == "conv.r8 instruction" && v.IlOffset == 1);
        Assert.Contains(violations, v => v.Rule == IlRule.FloatingPointInGuardLoop && v.Member == "Apply" && v.Detail == "ldc.r8 instruction" && v.IlOffset == 2);
        Assert.Contains(violations, v => v.Rule == IlRule.FloatingPointInGuardLoop && v.Member == "Apply" && v.Detail.StartsWith("local V_0"));
    }

    [Fact]
    public void Floating_point_outside_the_guard_loop_is_allowed()
    {
        var violations = Check("namespace Bms.Firmware.Telemetry {" + FloatingPointCode + "}");
        Assert.Empty(violations);
    }

    [Fact]
    public void Guard_loop_namespaces_are_configurable()
    {
        var options = new NanoIlCheckerOptions { GuardLoopNamespaces = new[] { "Bms.Firmware.Telemetry" } };
        Assert.NotEmpty(Check("namespace Bms.Firmware.Telemetry {" + FloatingPointCode + "}", options: options));
        Assert.Empty(Check("namespace Bms.Firmware.Protection {" + FloatingPointCode + "}", options: options));
        // A namespace that merely shares a prefix is not inside the guarded one.
        Assert.Empty(Check("namespace Bms.Firmware.TelemetryExtras {" + FloatingPointCode + "}", options: options));
    }

    [Fact]
    public void Reference_to_a_foreign_assembly_is_caught_but_own_assemblies_are_allowed()
    {
        byte[] vendor = NanoCompilation.CompileOrThrow("namespace Vendor { public static class Helper { public static int One() { return 1; } } }", "Vendor.Helpers");
        byte[] own = NanoCompilation.CompileOrThrow("namespace Bms.Shared { public static class Helper { public static int Two() { return 2; } } }", "Bms.Shared");
        var violations = Check("public static class Caller { public static int Sum() { return Vendor.Helper.One() + Bms.Shared.Helper.Two(); } }",
            references: new[] { MetadataReference.CreateFromImage(vendor), MetadataReference.CreateFromImage(own) });
        IlViolation foreign = Assert.Single(violations);
        Assert.Equal(IlRule.ForeignReference, foreign.Rule);
        Assert.Contains("Vendor.Helpers", foreign.Detail);
    }

    [Fact]
    public void Reference_to_another_mscorlib_version_is_caught()
    {
        byte[] image = NanoCompilation.CompileOrThrow("public static class Plain { public static int One() { return 1; } }", "Bms.Plain");
        using var assembly = AssemblyDefinition.ReadAssembly(new MemoryStream(image));
        var options = new NanoIlCheckerOptions { BaseLibraryVersion = new Version(1, 17, 11, 0) };
        Assert.Empty(new NanoIlChecker(options).Check(assembly));

        assembly.MainModule.AssemblyReferences.Single(r => r.Name == "mscorlib").Version = new Version(4, 0, 0, 0);
        IlViolation wrong = Assert.Single(new NanoIlChecker(options).Check(assembly));
        Assert.Equal(IlRule.ForeignReference, wrong.Rule);
        Assert.Contains("4.0.0.0", wrong.Detail);
    }

    [Fact]
    public void Violation_text_names_type_method_rule_and_offset()
    {
        var violation = new IlViolation("Bms.Firmware", "Bms.Firmware.Protection.Limit", "Check", IlRule.FloatingPointInGuardLoop, 0x12, "ldc.r8 instruction");
        Assert.Equal("Bms.Firmware: Bms.Firmware.Protection.Limit::Check at IL_0012: FloatingPointInGuardLoop: ldc.r8 instruction", violation.ToString());
    }
}
