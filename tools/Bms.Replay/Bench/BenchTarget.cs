using Bms.Drivers.Bq76952;
using Bms.Drivers.Bq769x0;
using Bms.Drivers.CellMonitoring;
using Bms.Drivers.Ltc681x;
using Bms.Emulators.Bq76952;
using Bms.Emulators.Bq769x0;
using Bms.Emulators.Common;
using Bms.Emulators.Ltc681x;

namespace Bms.Replay.Bench;

/// <summary>The bus a configuration's AFE sits on, with the clock rate the bench assumes.</summary>
public enum BenchBus
{
    /// <summary>I2C at 400 kHz: 9 clocks per byte (8 data + ACK).</summary>
    I2c400kHz,
    /// <summary>SPI (isoSPI through an LTC6820) at 1 MHz: 8 clocks per byte.</summary>
    Spi1MHz,
}

/// <summary>
/// One benchmark configuration, composed exactly like the replay harness composes it: emulated chip on a
/// virtual clock, the real driver, the real firmware. Built inside whichever load context this assembly sits
/// in (the instrumented one for IL counting), and driven only through primitive-typed members so that
/// reflection can drive it across load contexts.
/// </summary>
public interface IBenchTarget
{
    /// <summary>Configuration key (bq76952-16, ltc6813-2x18, bq76940-15).</summary>
    string Key { get; }

    /// <summary>What is being measured, e.g. "BmsSystem" or "driver only".</summary>
    string Composition { get; }

    int CellCount { get; }

    int TemperatureCount { get; }

    BenchBus Bus { get; }

    /// <summary>Protocol minimum bytes of one scan (from the emulator's BusBudget).</summary>
    int MinimumBusBytesPerScan { get; }

    /// <summary>The driver's bus counters.</summary>
    CellMonitorStatistics BusStatistics { get; }

    /// <summary>The object whose graph is the firmware's RAM (BmsSystem, or the driver for driver-only runs).</summary>
    object RamRoot { get; }

    /// <summary>Bytes the host side (emulators, clock) allocated inside calls from the firmware.</summary>
    long HostAllocatedBytes { get; }

    /// <summary>Start-up: initialise the chip(s), start the firmware.</summary>
    void Start();

    /// <summary>Sets the pack's physics for the next sample (called at 10 Hz by the replay loop).</summary>
    void SetSample(long sampleIndex);

    /// <summary>Runs the firmware through 100 ms of virtual time (its 10 ms polls included).</summary>
    void Tick();
}

/// <summary>The three configurations the bench reports and the factory that builds them.</summary>
public static class BenchTargets
{
    public const string Bq76952Pack = "bq76952-16";
    public const string Ltc6813Chain = "ltc6813-2x18";
    public const string Bq76940Pack = "bq76940-15";

    public static IReadOnlyList<string> Keys { get; } = new[] { Bq76952Pack, Ltc6813Chain, Bq76940Pack };

    /// <summary>Builds a configuration. Kept free of non-framework parameter types so reflection can call it.</summary>
    public static IBenchTarget Create(string key) => key switch
    {
        Bq76952Pack => DriverOnlyTarget.Bq76952(),
        Ltc6813Chain => DriverOnlyTarget.Ltc6813(),
        Bq76940Pack => DriverOnlyTarget.Bq76940(),
        _ => throw new ArgumentException($"unknown bench configuration '{key}' (known: {string.Join(", ", Keys)})", nameof(key)),
    };

    /// <summary>A deterministic, slowly varying pack: a 1C-ish discharge/charge square wave with cell spread and temperature drift.</summary>
    internal static void ApplySample(EmulatedPack pack, long sampleIndex)
    {
        long t_s = sampleIndex / 10;
        bool discharging = (t_s / 600) % 2 == 0;   // 10 min discharge, 10 min charge
        pack.Current_mA = discharging ? -3000 : 1500;
        int phase = (int)(t_s % 600);
        int baseline = discharging ? 3900 - phase / 2 : 3600 + phase / 2;
        for (int i = 0; i < pack.CellCount; i++)
            pack.CellVoltage_mV[i] = baseline + (i * 7) % 23 + (int)(sampleIndex % 3);
        for (int t = 0; t < pack.TemperatureCount; t++)
            pack.Temperature_dC[t] = 250 + t * 5 + phase / 60;
    }
}

/// <summary>
/// The AFE driver alone on its emulator: a full scan every 100 ms and a current read every 10 ms (what the
/// firmware's tasks ask of the driver). Used until the whole BmsSystem composition is available.
/// </summary>
internal sealed class DriverOnlyTarget : IBenchTarget
{
    private readonly ICellMonitor _driver;
    private readonly CellMonitorReadings _readings;
    private readonly VirtualClock _clock;
    private readonly EmulatedPack _pack;
    private readonly HostAllocationMeter _meter;
    private long _now_ms;

    private DriverOnlyTarget(string key, BenchBus bus, ICellMonitor driver, VirtualClock clock, EmulatedPack pack,
        HostAllocationMeter meter, int minimumBytes)
    {
        Key = key;
        Bus = bus;
        _driver = driver;
        _clock = clock;
        _pack = pack;
        _meter = meter;
        MinimumBusBytesPerScan = minimumBytes;
        _readings = new CellMonitorReadings(driver.CellCount, driver.TemperatureCount);
    }

    public static DriverOnlyTarget Bq76952()
    {
        var clock = new VirtualClock();
        var meter = new HostAllocationMeter();
        var configuration = new Bq76952Configuration(16);
        var pack = new EmulatedPack(16, 3);
        var chip = new Bq76952Emulator(pack, configuration.CrcMode, configuration.CellInputMask, clock: clock);
        var driver = new Drivers.Bq76952.Bq76952(meter.Wrap(chip), meter.WrapDelay(clock), configuration);
        int minimum = Bq76952BusBudget.MinimumBytesPerScan(16, driver.TemperatureCount, configuration.CrcMode);
        return new DriverOnlyTarget(BenchTargets.Bq76952Pack, BenchBus.I2c400kHz, driver, clock, pack, meter, minimum);
    }

    public static DriverOnlyTarget Bq76940()
    {
        var clock = new VirtualClock();
        var meter = new HostAllocationMeter();
        var configuration = new Bq769x0Configuration { Variant = Bq769x0Variant.Bq76940, CellCount = 15, ThermistorCount = 3, CrcEnabled = true };
        var pack = new EmulatedPack(15, 3);
        var chip = new Bq769x0Emulator(pack, clock, new Bq769x0EmulatorOptions { Variant = Bq769x0Variant.Bq76940, CrcEnabled = true });
        var driver = new Drivers.Bq769x0.Bq769x0(meter.Wrap(chip), meter.WrapClock(clock), configuration);
        int minimum = Bq769x0BusBudget.MinimumBytesPerScan(15, 3, crcMode: true);
        return new DriverOnlyTarget(BenchTargets.Bq76940Pack, BenchBus.I2c400kHz, driver, clock, pack, meter, minimum);
    }

    public static DriverOnlyTarget Ltc6813()
    {
        const int devices = 2;
        const int gpioMask = 0x1F; // thermistors on GPIO1..5 of each device
        var clock = new VirtualClock(1000);
        var meter = new HostAllocationMeter();
        var configuration = new Ltc681xConfiguration(Ltc681xVariant.Ltc6813, devices) { ThermistorGpioMask = gpioMask };
        var chain = new Ltc681xChainEmulator(Ltc681xVariant.Ltc6813, configuration.CellsPerDevice.ToArray(), gpioMask, clock);
        var driver = new Drivers.Ltc681x.Ltc681x(meter.Wrap(chain), meter.WrapDelay(clock), meter.WrapClock(clock), configuration);
        int minimum = Ltc681xBusBudget.MinimumBytesPerScan(Ltc681xVariant.Ltc6813, devices, 5);
        return new DriverOnlyTarget(BenchTargets.Ltc6813Chain, BenchBus.Spi1MHz, driver, clock, chain.Pack, meter, minimum);
    }

    public string Key { get; }
    public string Composition => "driver only (BmsSystem not yet available)";
    public int CellCount => _driver.CellCount;
    public int TemperatureCount => _driver.TemperatureCount;
    public BenchBus Bus { get; }
    public int MinimumBusBytesPerScan { get; }
    public CellMonitorStatistics BusStatistics => _driver.Statistics;
    public object RamRoot => _driver;
    public long HostAllocatedBytes => _meter.HostBytes;

    public void Start()
    {
        BenchTargets.ApplySample(_pack, 0);
        if (!_driver.Initialize()) throw new InvalidOperationException($"{Key}: the driver could not initialise the emulated chip");
    }

    public void SetSample(long sampleIndex) => BenchTargets.ApplySample(_pack, sampleIndex);

    public void Tick()
    {
        for (int poll = 0; poll < 10; poll++)
        {
            _now_ms += 10;
            _clock.AdvanceTo_ms(_now_ms);
            if (poll == 0) _driver.Measure(_readings);
            else _driver.ReadCurrent(_readings);
        }
    }
}
