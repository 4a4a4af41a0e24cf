using Bms.Drivers.Bq76952;
using Bms.Drivers.Bq769x0;
using Bms.Drivers.CellMonitoring;
using Bms.Drivers.Ltc681x;
using Bms.Emulators.Bq76952;
using Bms.Emulators.Bq769x0;
using Bms.Emulators.Common;
using Bms.Emulators.Ltc681x;
using Bms.Hal;

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

    /// <summary>The firmware's state in words (contactors, protection level), to show the measured state is the intended one.</summary>
    string State { get; }

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

    /// <summary>
    /// Builds a configuration: the whole firmware (<c>BmsSystem</c>) or, with <paramref name="driverOnly"/>, the AFE
    /// driver alone. <paramref name="metered"/> separates host-side allocations (see <see cref="HostAllocationMeter"/>).
    /// Kept to framework parameter types so reflection can call it across load contexts.
    /// </summary>
    public static IBenchTarget Create(string key, bool driverOnly, bool metered)
    {
        AfeRig rig = AfeRig.Create(key, metered);
        return driverOnly ? new DriverOnlyTarget(rig) : new FirmwareTarget(rig, metered);
    }


    /// <summary>
    /// A deterministic, slowly varying pack: a 1C discharge/charge square wave of zero net charge (the state of charge
    /// swings around its start, never reaching a limit), cell spread, and a slow temperature drift.
    /// </summary>
    internal static void ApplySample(EmulatedPack pack, long sampleIndex)
    {
        long t_s = sampleIndex / 10;
        bool discharging = (t_s / 600) % 2 == 0;   // 10 min discharge, 10 min charge
        pack.Current_mA = discharging ? -3000 : 3000;
        int phase = (int)(t_s % 600);
        int baseline = discharging ? 3900 - phase / 2 : 3600 + phase / 2;
        for (int i = 0; i < pack.CellCount; i++)
            pack.CellVoltage_mV[i] = baseline + (i * 7) % 23 + (int)(sampleIndex % 3);
        for (int t = 0; t < pack.TemperatureCount; t++)
            pack.Temperature_dC[t] = 250 + t * 5 + phase / 60;
    }
}

/// <summary>One AFE on its emulator and virtual clock, optionally behind the host-allocation meter.</summary>
internal sealed record AfeRig(string Key, BenchBus Bus, ICellMonitor Driver, VirtualClock Clock, EmulatedPack Pack,
    HostAllocationMeter Meter, IMonotonicClock FirmwareClock, int MinimumBusBytesPerScan)
{
    /// <param name="metered">Route the firmware's calls into host code through <see cref="HostAllocationMeter"/>
    /// (exact attribution of host allocations, at some speed cost: off for the throughput run).</param>
    public static AfeRig Create(string key, bool metered) => key switch
    {
        BenchTargets.Bq76952Pack => Bq76952(metered),
        BenchTargets.Ltc6813Chain => Ltc6813(metered),
        BenchTargets.Bq76940Pack => Bq76940(metered),
        _ => throw new ArgumentException($"unknown bench configuration '{key}' (known: {string.Join(", ", BenchTargets.Keys)})", nameof(key)),
    };

    private static AfeRig Bq76952(bool metered)
    {
        var clock = new VirtualClock();
        var meter = new HostAllocationMeter();
        var configuration = new Bq76952Configuration(16) { Ts1Thermistor = true, Ts2Thermistor = true, Ts3Thermistor = true };
        var pack = new EmulatedPack(16, 3);
        var chip = new Bq76952Emulator(pack, configuration.CrcMode, configuration.CellInputMask, clock: clock);
        var driver = new Drivers.Bq76952.Bq76952(metered ? meter.Wrap(chip) : chip, metered ? meter.WrapDelay(clock) : clock, configuration);
        int minimum = Bq76952BusBudget.MinimumBytesPerScan(16, driver.TemperatureCount, configuration.CrcMode);
        return new AfeRig(BenchTargets.Bq76952Pack, BenchBus.I2c400kHz, driver, clock, pack, meter, metered ? meter.WrapClock(clock) : clock, minimum);
    }

    private static AfeRig Bq76940(bool metered)
    {
        var clock = new VirtualClock();
        var meter = new HostAllocationMeter();
        IMonotonicClock firmwareClock = metered ? meter.WrapClock(clock) : clock;
        var configuration = new Bq769x0Configuration { Variant = Bq769x0Variant.Bq76940, CellCount = 15, ThermistorCount = 3, CrcEnabled = true };
        var pack = new EmulatedPack(15, 3);
        var chip = new Bq769x0Emulator(pack, clock, new Bq769x0EmulatorOptions { Variant = Bq769x0Variant.Bq76940, CrcEnabled = true });
        var driver = new Drivers.Bq769x0.Bq769x0(metered ? meter.Wrap(chip) : chip, firmwareClock, configuration);
        int minimum = Bq769x0BusBudget.MinimumBytesPerScan(15, 3, crcMode: true);
        return new AfeRig(BenchTargets.Bq76940Pack, BenchBus.I2c400kHz, driver, clock, pack, meter, firmwareClock, minimum);
    }

    private static AfeRig Ltc6813(bool metered)
    {
        const int devices = 2;
        const int gpioMask = 0x1F; // thermistors on GPIO1..5 of each device
        var clock = new VirtualClock(1000);
        var meter = new HostAllocationMeter();
        IMonotonicClock firmwareClock = metered ? meter.WrapClock(clock) : clock;
        var configuration = new Ltc681xConfiguration(Ltc681xVariant.Ltc6813, devices) { ThermistorGpioMask = gpioMask, TemperatureScanInterval = 2 };
        var chain = new Ltc681xChainEmulator(Ltc681xVariant.Ltc6813, configuration.CellsPerDevice.ToArray(), gpioMask, clock);
        var driver = new Drivers.Ltc681x.Ltc681x(metered ? meter.Wrap(chain) : chain, metered ? meter.WrapDelay(clock) : clock, firmwareClock, configuration);
        int minimum = Ltc681xBusBudget.MinimumBytesPerScan(Ltc681xVariant.Ltc6813, devices, 5, configuration.TemperatureScanInterval);
        return new AfeRig(BenchTargets.Ltc6813Chain, BenchBus.Spi1MHz, driver, clock, chain.Pack, meter, firmwareClock, minimum);
    }
}

/// <summary>
/// The AFE driver alone on its emulator: a full scan every 100 ms and a current read every 10 ms (what the
/// firmware's tasks ask of the driver). Kept to isolate the driver's share (<c>--driver-only</c>).
/// </summary>
internal sealed class DriverOnlyTarget : IBenchTarget
{
    private readonly AfeRig _rig;
    private readonly CellMonitorReadings _readings;
    private long _now_ms;

    public DriverOnlyTarget(AfeRig rig)
    {
        _rig = rig;
        _readings = new CellMonitorReadings(rig.Driver.CellCount, rig.Driver.TemperatureCount);
        _now_ms = rig.Clock.Now_ms;
    }

    public string Key => _rig.Key;
    public string Composition => "AFE driver only";
    public int CellCount => _rig.Driver.CellCount;
    public int TemperatureCount => _rig.Driver.TemperatureCount;
    public BenchBus Bus => _rig.Bus;
    public int MinimumBusBytesPerScan => _rig.MinimumBusBytesPerScan;
    public CellMonitorStatistics BusStatistics => _rig.Driver.Statistics;
    public object RamRoot => _rig.Driver;
    public long HostAllocatedBytes => _rig.Meter.HostBytes;
    public string State => $"last scan {(_readings.CellValid.All(v => v) ? "valid" : "INVALID")}, faults 0x{_readings.Faults:x}";

    public void Start()
    {
        BenchTargets.ApplySample(_rig.Pack, 0);
        if (!_rig.Driver.Initialize()) throw new InvalidOperationException($"{Key}: the driver could not initialise the emulated chip");
    }

    public void SetSample(long sampleIndex) => BenchTargets.ApplySample(_rig.Pack, sampleIndex);

    public void Tick()
    {
        for (int poll = 0; poll < 10; poll++)
        {
            _now_ms += 10;
            _rig.Clock.AdvanceTo_ms(_now_ms);
            if (poll == 0) _rig.Driver.Measure(_readings);
            else _rig.Driver.ReadCurrent(_readings);
        }
    }
}
