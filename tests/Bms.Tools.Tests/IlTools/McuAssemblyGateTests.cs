using Bms.IlTools.Compatibility;

namespace Bms.Tools.Tests.IlTools;

/// <summary>
/// The IL gate of the suite: the hal, drivers and firmware assemblies that the host tests run (the very files
/// loaded into this process) contain nothing nanoFramework 1.x cannot execute.
/// </summary>
public class McuAssemblyGateTests
{
    public static TheoryData<string> McuAssemblies => new()
    {
        typeof(Bms.Hal.II2cDevice).Assembly.Location,
        typeof(Bms.Drivers.Common.Crc8).Assembly.Location,
        typeof(Bms.Firmware.Storage.Crc32).Assembly.Location,
    };

    [Theory]
    [MemberData(nameof(McuAssemblies))]
    public void Built_MCU_assembly_runs_on_nanoFramework(string path)
    {
        var nanoMscorlib = System.Reflection.AssemblyName.GetAssemblyName(NanoCompilation.NanoMscorlibPath).Version!;
        var checker = new NanoIlChecker(new NanoIlCheckerOptions { BaseLibraryVersion = nanoMscorlib });
        IReadOnlyList<IlViolation> violations = checker.CheckFile(path);
        Assert.True(violations.Count == 0,
            $"{Path.GetFileName(path)} has {violations.Count} construct(s) nanoFramework cannot run:{Environment.NewLine}" +
            string.Join(Environment.NewLine, violations.Take(50)));
    }
}
