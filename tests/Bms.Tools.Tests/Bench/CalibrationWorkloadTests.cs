using System.Reflection;
using Bms.IlTools.Counting;
using Bms.Tools.Tests.IlTools;
using Microsoft.CodeAnalysis;

namespace Bms.Tools.Tests.Bench;

/// <summary>
/// The calibration app (firmware/Bms.Calibration) reports IL instructions per second as runs × a constant.
/// These tests compile its workload exactly as the device build would (nanoFramework mscorlib, C# 7.3, Release
/// optimized or Debug with DEBUG defined), count the instructions one run executes, and hold the constants
/// in CalibrationWorkload.cs to that count.
/// </summary>
public class CalibrationWorkloadTests
{
    private static string AppDirectory => Path.Combine(NanoCompilation.RepoRoot, "firmware", "Bms.Calibration");

    private static string WorkloadSource => File.ReadAllText(Path.Combine(AppDirectory, "CalibrationWorkload.cs"));

    [Fact]
    public void Calibration_app_compiles_against_nanoFramework_mscorlib()
    {
        string[] sources = Directory.GetFiles(AppDirectory, "*.cs", SearchOption.AllDirectories).Select(File.ReadAllText).ToArray();
        Assert.Equal(3, sources.Length);
        foreach (bool debug in new[] { false, true })
        {
            var result = NanoCompilation.Compile(sources, "Bms.Calibration", OutputKind.ConsoleApplication, optimize: !debug,
                preprocessorSymbols: debug ? new[] { "DEBUG" } : null);
            Assert.True(result.Success, result.ErrorText);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Instructions_per_run_constant_matches_the_counted_instructions(bool debug)
    {
        byte[] image = NanoCompilation.CompileOrThrow(WorkloadSource, "Bms.Calibration", optimize: !debug,
            preprocessorSymbols: debug ? new[] { "DEBUG" } : null);
        using var context = new IlCountingContext(new[] { image }, probingDirectories: Array.Empty<string>());
        Type workloadType = context.LoadFromAssemblyName(new AssemblyName("Bms.Calibration")).GetType("Bms.Calibration.CalibrationWorkload", true)!;
        object workload = Activator.CreateInstance(workloadType)!;
        MethodInfo run = workloadType.GetMethod("Run")!;
        long constant = (long)workloadType.GetField("InstructionsPerRun")!.GetValue(null)!;
        int expectedChecksum = (int)workloadType.GetField("ExpectedChecksum")!.GetValue(null)!;

        var perRun = new List<long>();
        for (int i = 0; i < 3; i++)
        {
            context.Reset();
            int checksum = (int)run.Invoke(workload, null)!;
            Assert.Equal(expectedChecksum, checksum);
            perRun.Add(context.Snapshot().Where(c => c.Method.Type == "Bms.Calibration.CalibrationWorkload" && !c.Method.Method.StartsWith(".ctor"))
                .Sum(c => c.Instructions));
        }
        Assert.All(perRun, count => Assert.Equal(perRun[0], count)); // every run takes the same path
        Assert.True(constant == perRun[0], $"{(debug ? "Debug" : "Release")} InstructionsPerRun is {constant}, counted {perRun[0]}");
    }
}
