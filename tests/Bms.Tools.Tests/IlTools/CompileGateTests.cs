using System.Xml.Linq;

namespace Bms.Tools.Tests.IlTools;

/// <summary>
/// Proves that compiling against nanoFramework's mscorlib with C# 7.3 (what hal, drivers and firmware do)
/// refuses the APIs nanoFramework lacks, and that the shared MSBuild props keep that configuration.
/// </summary>
public class CompileGateTests
{
    [Fact]
    public void The_reference_is_the_nanoFramework_mscorlib()
    {
        Assert.True(File.Exists(NanoCompilation.NanoMscorlibPath), NanoCompilation.NanoMscorlibPath);
        var name = System.Reflection.AssemblyName.GetAssemblyName(NanoCompilation.NanoMscorlibPath);
        Assert.Equal("mscorlib", name.Name);
        Assert.Equal(new Version(1, 17, 11, 0), name.Version);
    }

    [Fact]
    public void Allowed_code_compiles()
    {
        var result = NanoCompilation.Compile("""
            namespace Gate
            {
                public sealed class Averager
                {
                    private readonly int[] _samples = new int[8];
                    private int _next;
                    public void Add(int value_mV) { _samples[_next] = value_mV; _next = (_next + 1) % _samples.Length; }
                    public int Average_mV()
                    {
                        long sum = 0;
                        for (int i = 0; i < _samples.Length; i++) sum += _samples[i];
                        return (int)(sum / _samples.Length);
                    }
                }
            }
            """);
        Assert.True(result.Success, result.ErrorText);
    }

    [Fact]
    public void List_of_T_fails()
    {
        var result = NanoCompilation.Compile("""
            using System.Collections.Generic;
            public static class UsesList
            {
                public static int Count() { var list = new List<int>(); list.Add(1); return list.Count; }
            }
            """);
        Assert.False(result.Success);
        // CS0234/CS0246: the type or namespace does not exist in nanoFramework's mscorlib.
        Assert.Contains(result.Errors, e => (e.Id == "CS0246" || e.Id == "CS0234") && e.GetMessage().Contains("List"));
    }

    [Fact]
    public void System_Math_fails()
    {
        var result = NanoCompilation.Compile("""
            public static class UsesMath
            {
                public static int Larger(int a, int b) { return System.Math.Max(a, b); }
            }
            """);
        Assert.False(result.Success);
        Assert.Contains(result.Errors, e => (e.Id == "CS0234" || e.Id == "CS0103") && e.GetMessage().Contains("Math"));
    }

    [Fact]
    public void Span_of_T_fails()
    {
        var result = NanoCompilation.Compile("""
            public static class UsesSpan
            {
                public static int First(int[] values) { System.Span<int> span = values; return span[0]; }
            }
            """);
        Assert.False(result.Success);
        Assert.Contains(result.Errors, e => (e.Id == "CS0234" || e.Id == "CS0246") && e.GetMessage().Contains("Span"));
    }

    [Fact]
    public void Newer_language_features_fail_at_CSharp_7_3()
    {
        // A switch expression is C# 8: the device toolchain compiles with 7.3.
        var result = NanoCompilation.Compile("""
            public static class UsesSwitchExpression
            {
                public static int Sign(int x) { return x switch { 0 => 0, _ => 1 }; }
            }
            """);
        Assert.False(result.Success);
        Assert.Contains(result.Errors, e => e.Id == "CS8370" || e.Id == "CS8400" || e.Id == "CS1525");
    }

    [Fact]
    public void NanoFramework_host_props_keep_the_gate_configuration()
    {
        string path = Path.Combine(NanoCompilation.RepoRoot, "build", "NanoFramework.Host.props");
        XDocument props = XDocument.Load(path);
        string? Property(string name) => props.Descendants(name).Select(e => e.Value.Trim()).LastOrDefault();

        Assert.Equal("true", Property("NoStdLib"), ignoreCase: true);
        Assert.Equal("true", Property("DisableImplicitFrameworkReferences"), ignoreCase: true);
        Assert.Equal("7.3", Property("LangVersion"));
        Assert.Equal("true", Property("TreatWarningsAsErrors"), ignoreCase: true);
        Assert.NotEqual("true", Property("AllowUnsafeBlocks")?.ToLowerInvariant());

        // The only reference is nanoFramework's mscorlib from the CoreLibrary package.
        var references = props.Descendants("Reference").ToList();
        var mscorlib = Assert.Single(references);
        Assert.Equal("mscorlib", (string?)mscorlib.Attribute("Include"));
        Assert.Contains("PkgnanoFramework_CoreLibrary", mscorlib.Element("HintPath")?.Value);
    }

    [Theory]
    [InlineData("hal/Bms.Hal/Bms.Hal.csproj")]
    [InlineData("drivers/Bms.Drivers/Bms.Drivers.csproj")]
    [InlineData("firmware/Bms.Firmware/Bms.Firmware.csproj")]
    public void Every_MCU_project_imports_the_gate(string project)
    {
        XDocument document = XDocument.Load(Path.Combine(NanoCompilation.RepoRoot, project));
        Assert.Contains(document.Descendants("Import"),
            i => ((string?)i.Attribute("Project"))?.Replace('\\', '/').EndsWith("build/NanoFramework.Host.props") == true);
        // Nothing may re-enable what the props turned off.
        foreach (string name in new[] { "NoStdLib", "LangVersion", "AllowUnsafeBlocks", "DisableImplicitFrameworkReferences", "TreatWarningsAsErrors" })
            Assert.Empty(document.Descendants(name));
    }
}
