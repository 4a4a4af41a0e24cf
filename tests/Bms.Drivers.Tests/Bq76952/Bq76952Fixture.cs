using Bms.Drivers.Bq76952;
using Bms.Drivers.CellMonitoring;
using Bms.Emulators.Bq76952;
using Bms.Emulators.Common;
using Driver = Bms.Drivers.Bq76952.Bq76952;

namespace Bms.Drivers.Tests.Bq76952;

/// <summary>A driver wired to an emulated chip and pack, with a realistic spread of values.</summary>
internal sealed class Bq76952Fixture
{
    public readonly EmulatedPack Pack;
    public readonly Bq76952Emulator Chip;
    public readonly Bq76952Configuration Config;
    public readonly Driver Driver;
    public readonly VirtualClock Clock = new();
    public readonly CellMonitorReadings Readings;

    public Bq76952Fixture(int cells = 16, bool crc = false, Action<Bq76952Configuration>? configure = null,
        int physicalMask = -1, bool chipClock = false)
    {
        Config = new Bq76952Configuration(cells) { CrcMode = crc, Ts2Thermistor = true };
        configure?.Invoke(Config);
        if (physicalMask < 0) physicalMask = Config.CellInputMask;
        Pack = new EmulatedPack(cells, 3);
        for (int i = 0; i < cells; i++) Pack.CellVoltage_mV[i] = 3600 + 7 * i;
        Pack.Temperature_dC[0] = 231;
        Pack.Temperature_dC[1] = 248;
        Pack.Temperature_dC[2] = 262;
        Pack.Current_mA = -1234;
        Chip = new Bq76952Emulator(Pack, crc, physicalMask, clock: chipClock ? Clock : null);
        Driver = new Driver(Chip, Clock, Config);
        Readings = new CellMonitorReadings(Driver.CellCount, Driver.TemperatureCount);
    }

    public Bq76952Fixture Initialized()
    {
        Assert.True(Driver.Initialize());
        return this;
    }

    /// <summary>Temperatures the driver should report, in its channel order (thermistors, then die).</summary>
    public int[] ExpectedTemperatures()
    {
        var list = new List<int>();
        if (Config.Ts1Thermistor) list.Add(Pack.Temperature_dC[0]);
        if (Config.Ts2Thermistor) list.Add(Pack.Temperature_dC[1]);
        if (Config.Ts3Thermistor) list.Add(Pack.Temperature_dC[2]);
        list.Add(Chip.InternalTemperature_dC);
        return list.ToArray();
    }

    public void AssertReadingsEqualPack()
    {
        for (int i = 0; i < Pack.CellCount; i++)
        {
            Assert.True(Readings.CellValid[i], $"cell {i + 1} invalid");
            Assert.Equal(Pack.CellVoltage_mV[i], Readings.CellVoltage_mV[i]);
        }
        Assert.True(Readings.StackVoltageValid);
        Assert.InRange(Readings.StackVoltage_mV, Pack.StackVoltage_mV - 5, Pack.StackVoltage_mV + 5); // 10 mV LSB
        Assert.True(Readings.CurrentValid);
        Assert.InRange(Readings.Current_mA, Pack.Current_mA - Config.CurrentLsb_mA, Pack.Current_mA + Config.CurrentLsb_mA);
        int[] expected = ExpectedTemperatures();
        for (int t = 0; t < expected.Length; t++)
        {
            Assert.True(Readings.TemperatureValid[t], $"temperature {t} invalid");
            Assert.Equal(expected[t], Readings.Temperature_dC[t]);
        }
    }

    public void AssertAllInvalid()
    {
        Assert.All(Readings.CellValid, Assert.False);
        Assert.All(Readings.TemperatureValid, Assert.False);
        Assert.False(Readings.CurrentValid);
        Assert.False(Readings.StackVoltageValid);
    }
}
