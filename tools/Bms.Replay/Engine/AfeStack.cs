using Bms.Drivers.Bq76952;
using Bms.Drivers.Bq769x0;
using Bms.Drivers.CellMonitoring;
using Bms.Drivers.Ltc681x;
using Bms.Emulators.Bq76952;
using Bms.Emulators.Bq769x0;
using Bms.Emulators.Common;
using Bms.Emulators.Ltc681x;

namespace Bms.Replay.Engine;

/// <summary>
/// One cell-monitor chip (or daisy chain) wired up for a replay: the register-level emulator measuring an
/// <see cref="EmulatedPack"/> and the real driver talking to it over the emulated bus, both configured
/// the same way (cells, thermistors, address, CRC mode), as a board designer would.
///
/// Chip choice per --afe:
/// <list type="bullet">
/// <item>bq76952: 3..16 cells, I2C CRC mode; trace temperatures t1..t3 on TS1..TS3 (at most 3).</item>
/// <item>bq76940: the BQ769x0 family; the variant is the smallest that fits the pack (BQ76920 for 3..5
/// cells, BQ76930 for 6..10, BQ76940 for 11..15), one thermistor input per 5 cells of the variant.</item>
/// <item>ltc6813: a daisy chain of ceil(cells / 18) LTC6813-1, cells shared out evenly (lower devices take
/// the remainder), the same number of thermistors on GPIO1.. of every device. No current sense: the pack
/// current reaches the firmware through a separate current sensor.</item>
/// </list>
/// </summary>
public sealed class AfeStack
{
    private AfeStack(string name, string chip, ICellMonitor driver, IChipEmulator emulator, int devices, IReadOnlyCollection<InjectionKind> supported)
    {
        Name = name;
        Chip = chip;
        Driver = driver;
        Emulator = emulator;
        DeviceCount = devices;
        SupportedInjections = supported;
    }

    /// <summary>The --afe name.</summary>
    public string Name { get; }

    /// <summary>The exact part emulated (e.g. bq76920 for --afe bq76940 on a 4-cell pack).</summary>
    public string Chip { get; }

    public ICellMonitor Driver { get; }
    public IChipEmulator Emulator { get; }
    public EmulatedPack Pack => Emulator.Pack;
    public int DeviceCount { get; }

    /// <summary>The faults this chip's emulator can show.</summary>
    public IReadOnlyCollection<InjectionKind> SupportedInjections { get; }

    public static AfeStack Create(string afe, int cells, int temps, VirtualClock clock) => afe switch
    {
        "bq76952" => CreateBq76952(cells, temps, clock),
        "bq76940" => CreateBq769x0(cells, temps, clock),
        "ltc6813" => CreateLtc6813(cells, temps, clock),
        _ => throw new ReplayException("unknown AFE '" + afe + "' (known: bq76952, bq76940, ltc6813)"),
    };

    private static AfeStack CreateBq76952(int cells, int temps, VirtualClock clock)
    {
        if (cells < 3 || cells > 16)
            throw new ReplayException("the BQ76952 monitors 3 to 16 cells; this trace has " + cells + (cells > 16 ? " (use --afe ltc6813)" : ""));
        if (temps > 3)
            throw new ReplayException("the BQ76952 has 3 thermistor inputs (TS1..TS3); this trace has " + temps + " temperatures (use --afe ltc6813)");
        var config = new Bq76952Configuration(cells)
        {
            CrcMode = true, // every transfer checked: the I2C CRC variant, as a safety BMS would use
            Ts1Thermistor = temps >= 1,
            Ts2Thermistor = temps >= 2,
            Ts3Thermistor = temps >= 3,
        };
        var pack = new EmulatedPack(cells, temps);
        var emulator = new Bq76952Emulator(pack, crcMode: config.CrcMode, cellInputMask: config.CellInputMask, clock: clock);
        var driver = new Bq76952(emulator, clock, config);
        return new AfeStack("bq76952", "bq76952", driver, emulator, 1, new[]
        {
            InjectionKind.Crc, InjectionKind.Nack, InjectionKind.NoAnswer, InjectionKind.Frozen, InjectionKind.Reset, InjectionKind.Stuck,
        });
    }

    private static AfeStack CreateBq769x0(int cells, int temps, VirtualClock clock)
    {
        if (cells < 3 || cells > 15)
            throw new ReplayException("the BQ769x0 family monitors 3 to 15 cells; this trace has " + cells + (cells > 15 ? " (use --afe ltc6813)" : ""));
        var variant = cells <= 5 ? Bq769x0Variant.Bq76920 : cells <= 10 ? Bq769x0Variant.Bq76930 : Bq769x0Variant.Bq76940;
        int inputs = (int)variant / 5;
        if (temps > inputs)
            throw new ReplayException("the " + variant.ToString().ToUpperInvariant() + " (" + cells + " cells) has " + inputs +
                                      " thermistor input(s); this trace has " + temps + " temperatures");
        var config = new Bq769x0Configuration { Variant = variant, CellCount = cells, ThermistorCount = temps };
        var pack = new EmulatedPack(cells, temps);
        var emulator = new Bq769x0Emulator(pack, clock, new Bq769x0EmulatorOptions
        {
            Variant = variant,
            CrcEnabled = config.CrcEnabled,
            ShuntResistance_uOhm = config.ShuntResistance_uOhm,
        });
        var driver = new Bq769x0(emulator, clock, config);
        return new AfeStack("bq76940", variant.ToString().ToLowerInvariant(), driver, emulator, 1, new[]
        {
            InjectionKind.Crc, InjectionKind.Nack, InjectionKind.NoAnswer, InjectionKind.Frozen, InjectionKind.Reset, InjectionKind.Stuck,
        });
    }

    private static AfeStack CreateLtc6813(int cells, int temps, VirtualClock clock)
    {
        const int inputs = 18;
        int devices = (cells + inputs - 1) / inputs;
        if (devices > Ltc681xConfiguration.MaxDevices)
            throw new ReplayException("an LTC6813 chain has at most " + Ltc681xConfiguration.MaxDevices + " devices (" + Ltc681xConfiguration.MaxDevices * inputs + " cells); this trace has " + cells);
        if (temps % devices != 0 || temps / devices > 9)
            throw new ReplayException("an LTC6813 chain of " + devices + " device(s) reads the same number of thermistors (at most 9, on GPIO1..9) on every device; " +
                                      "this trace has " + temps + " temperatures");
        int perDevice = temps / devices;
        int mask = (1 << perDevice) - 1;
        var config = new Ltc681xConfiguration(Ltc681xVariant.Ltc6813, devices) { ThermistorGpioMask = mask, TemperatureScanInterval = 2 };
        var split = new int[devices];
        for (int d = 0; d < devices; d++) split[d] = cells / devices + (d < cells % devices ? 1 : 0);
        for (int d = 0; d < devices; d++) config.CellsPerDevice[d] = split[d];
        var emulator = new Ltc681xChainEmulator(Ltc681xVariant.Ltc6813, split, mask, clock);
        var driver = new Ltc681x(emulator, clock, clock, config);
        return new AfeStack("ltc6813", "ltc6813", driver, emulator, devices, new[]
        {
            InjectionKind.Crc, InjectionKind.NoAnswer, InjectionKind.Frozen, InjectionKind.Reset, InjectionKind.Stuck,
            InjectionKind.OpenWire, InjectionKind.Missing,
        });
    }
}
