using Bms.Drivers.CellMonitoring;
using Bms.Drivers.Ltc681x;
using Bms.Emulators.Common;
using Bms.Emulators.Ltc681x;
using Driver = Bms.Drivers.Ltc681x.Ltc681x;

namespace Bms.Drivers.Tests.Ltc681x;

/// <summary>Driver, emulated chain and virtual clock wired together the way the replay harness does.</summary>
internal sealed class Ltc681xRig
{
    public VirtualClock Clock { get; } = new(1000);
    public Ltc681xChainEmulator Chain { get; }
    public Driver Afe { get; }
    public Ltc681xConfiguration Configuration { get; }
    public CellMonitorReadings Readings { get; }

    public Ltc681xRig(Ltc681xVariant variant, int devices, int[]? cellsPerDevice = null, int gpioMask = 0, Action<Ltc681xConfiguration>? tweak = null)
    {
        Configuration = new Ltc681xConfiguration(variant, devices) { ThermistorGpioMask = gpioMask };
        if (cellsPerDevice != null)
            for (int d = 0; d < devices; d++) Configuration.CellsPerDevice[d] = cellsPerDevice[d];
        tweak?.Invoke(Configuration);
        Chain = new Ltc681xChainEmulator(variant, Configuration.CellsPerDevice.ToArray(), gpioMask, Clock);
        Afe = new Driver(Chain, Clock, Clock, Configuration);
        Readings = new CellMonitorReadings(Afe.CellCount, Afe.TemperatureCount);
    }

    /// <summary>Distinct voltages and sub-millivolt codes on every cell, distinct temperatures on every thermistor.</summary>
    public void SpreadPack(int seed = 1)
    {
        var rng = new Random(seed);
        for (int i = 0; i < Chain.Pack.CellCount; i++)
        {
            Chain.Pack.CellVoltage_mV[i] = 3000 + rng.Next(0, 1200);
            Chain.SubMillivoltCode[i] = rng.Next(0, 10);
        }
        for (int t = 0; t < Chain.Pack.TemperatureCount; t++)
            Chain.Pack.Temperature_dC[t] = rng.Next(-300, 900);
    }

    public int ExpectedCell_mV(int cell) => (Chain.Pack.CellVoltage_mV[cell] * 10 + Chain.SubMillivoltCode[cell] + 5) / 10;

    /// <summary>One 100 ms tick then a scan.</summary>
    public bool Scan(int period_ms = 100)
    {
        Clock.Advance_us(period_ms * 1000L);
        return Afe.Measure(Readings);
    }

    public int CountOf(int command) => Chain.ExecutedCommands.Count(c => c == command);
}
