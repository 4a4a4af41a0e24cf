using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Bms.Tools.Tests.IlTools;

/// <summary>
/// Compiles C# the way the MCU projects are compiled (build/NanoFramework.Host.props): against nanoFramework's
/// mscorlib only, no standard library, C# 7.3. The mscorlib path comes from MSBuild (the restored
/// nanoFramework.CoreLibrary package) through an assembly attribute, so it is the very file the gate uses.
/// </summary>
internal static class NanoCompilation
{
    public static string NanoMscorlibPath { get; } = Metadata("NanoMscorlibPath");

    public static string RepoRoot { get; } = Metadata("RepoRoot");

    private static string Metadata(string key)
    {
        string? value = typeof(NanoCompilation).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == key)?.Value;
        if (string.IsNullOrEmpty(value)) throw new InvalidOperationException($"Assembly metadata '{key}' missing from Bms.Tools.Tests.csproj");
        return value;
    }

    public sealed record Result(bool Success, IReadOnlyList<Diagnostic> Errors, byte[] Image)
    {
        public string ErrorText => string.Join(Environment.NewLine, Errors.Select(e => e.ToString()));
    }

    public static Result Compile(string source, string assemblyName = "Snippet", bool allowUnsafe = false, bool optimize = true,
        IEnumerable<string>? preprocessorSymbols = null, IEnumerable<MetadataReference>? extraReferences = null,
        LanguageVersion languageVersion = LanguageVersion.CSharp7_3)
        => Compile(new[] { source }, assemblyName, OutputKind.DynamicallyLinkedLibrary, allowUnsafe, optimize, preprocessorSymbols, extraReferences, languageVersion);

    public static Result Compile(IEnumerable<string> sources, string assemblyName, OutputKind outputKind, bool allowUnsafe = false, bool optimize = true,
        IEnumerable<string>? preprocessorSymbols = null, IEnumerable<MetadataReference>? extraReferences = null,
        LanguageVersion languageVersion = LanguageVersion.CSharp7_3)
    {
        var parseOptions = new CSharpParseOptions(languageVersion, preprocessorSymbols: preprocessorSymbols);
        var trees = sources.Select(source => CSharpSyntaxTree.ParseText(source, parseOptions)).ToList();
        var references = new List<MetadataReference> { MetadataReference.CreateFromFile(NanoMscorlibPath) };
        references.AddRange(extraReferences ?? Array.Empty<MetadataReference>());
        var options = new CSharpCompilationOptions(outputKind,
            optimizationLevel: optimize ? OptimizationLevel.Release : OptimizationLevel.Debug,
            allowUnsafe: allowUnsafe, deterministic: true,
            generalDiagnosticOption: ReportDiagnostic.Error); // warnings are errors, as in the MCU build
        var compilation = CSharpCompilation.Create(assemblyName, trees, references, options);
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        var errors = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        return new Result(emitted.Success, errors, emitted.Success ? stream.ToArray() : Array.Empty<byte>());
    }

    public static byte[] CompileOrThrow(string source, string assemblyName = "Snippet", bool allowUnsafe = false, bool optimize = true,
        IEnumerable<string>? preprocessorSymbols = null, IEnumerable<MetadataReference>? extraReferences = null,
        LanguageVersion languageVersion = LanguageVersion.CSharp7_3)
    {
        Result result = Compile(source, assemblyName, allowUnsafe, optimize, preprocessorSymbols, extraReferences, languageVersion);
        if (!result.Success) throw new InvalidOperationException("Snippet did not compile against nanoFramework mscorlib:" + Environment.NewLine + result.ErrorText);
        return result.Image;
    }
}
