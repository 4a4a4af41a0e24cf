using Bms.Drivers.CellMonitoring;
using Bms.Emulators.Common;
using Bms.Replay.Engine;

namespace Bms.Tools.Tests.Replay;

/// <summary>The harness's wiring of each emulator to its real driver: what the pack holds is what the driver reads.</summary>
public class AfeStackTests
{
    [Theory]
    [InlineData("bq76952", 4, 2, "bq76952", 1)]
    [InlineData("bq76952", 16, 3, "bq76952", 1)]
    [InlineData("bq76940", 4, 1, "bq76920", 1)]
    [InlineData("bq76940", 8, 2, "bq76930", 1)]
    [InlineData("bq76940", 15, 3, "bq76940", 1)]
    [InlineData("ltc6813", 4, 2, "ltc6813", 1)]
    [InlineData("ltc6813", 20, 4, "ltc6813", 2)]
    public void Driver_reads_what_the_pack_holds(string afe, int cells, int temps, string chip, int devices)
    {
        var clock = new VirtualClock();
        var stack = AfeStack.Create(afe, cells, temps, clock);
        Assert.Equal(chip, stack.Chip);
        Assert.Equal(devices, stack.DeviceCount);
        Assert.Equal(cells, stack.Pack.CellCount);
        Assert.Equal(temps, stack.Pack.TemperatureCount);
        Assert.Equal(cells, stack.Driver.CellCount);

        for (int i = 0; i < cells; i++) stack.Pack.CellVoltage_mV[i] = 3600 + 7 * i;
        for (int i = 0; i < temps; i++) stack.Pack.Temperature_dC[i] = 200 + 31 * i;
        stack.Pack.Current_mA = -2500;

        Assert.True(stack.Driver.Initialize());
        var readings = new CellMonitorReadings(cells, stack.Driver.TemperatureCount);
        // steady state: the 100 ms task has run for a while (the first-scan case has its own test below)
        bool complete = false;
        for (int scan = 0; scan < 10; scan++)
        {
            clock.Advance_us(100_000);
            readings.InvalidateAll();
            complete = stack.Driver.Measure(readings);
        }
        Assert.True(complete);
        for (int i = 0; i < cells; i++)
        {
            Assert.True(readings.CellValid[i]);
            Assert.InRange(readings.CellVoltage_mV[i], 3600 + 7 * i - 3, 3600 + 7 * i + 3);
        }
        Assert.True(stack.Driver.TemperatureCount >= temps);
        for (int i = 0; i < temps; i++)
        {
            Assert.True(readings.TemperatureValid[i]);
            Assert.InRange(readings.Temperature_dC[i], 200 + 31 * i - 10, 200 + 31 * i + 10);
        }
        if (stack.Driver.HasCurrentSense)
        {
            Assert.True(readings.CurrentValid);
            Assert.InRange(readings.Current_mA, -2600, -2400);
        }
    }

    /// <summary>
    /// The first scan the driver reports complete after configuration must not carry values the chip has not
    /// measured yet (this caught BQ76952 temperatures of 0 K reported valid before the first full scan).
    /// </summary>
    [Theory]
    [InlineData("bq76952", 4, 2)]
    [InlineData("bq76952", 16, 3)]
    [InlineData("bq76940", 4, 1)]
    [InlineData("ltc6813", 4, 2)]
    public void First_complete_scan_after_configuration_has_only_measured_values(string afe, int cells, int temps)
    {
        var clock = new VirtualClock();
        var stack = AfeStack.Create(afe, cells, temps, clock);
        for (int i = 0; i < cells; i++) stack.Pack.CellVoltage_mV[i] = 3650;
        for (int i = 0; i < temps; i++) stack.Pack.Temperature_dC[i] = 235;
        Assert.True(stack.Driver.Initialize());
        var readings = new CellMonitorReadings(cells, stack.Driver.TemperatureCount);
        for (int scan = 0; scan < 10; scan++)
        {
            clock.Advance_us(100_000);
            readings.InvalidateAll();
            bool complete = stack.Driver.Measure(readings);
            for (int i = 0; i < cells; i++)
                if (readings.CellValid[i]) Assert.InRange(readings.CellVoltage_mV[i], 3647, 3653);
            for (int i = 0; i < temps; i++)
                if (readings.TemperatureValid[i]) Assert.InRange(readings.Temperature_dC[i], 225, 245);
            if (complete) return;
        }
        Assert.Fail("no complete scan within 1 s");
    }

    [Theory]
    [InlineData("bq76952", 2, 0, "3 to 16")]
    [InlineData("bq76952", 17, 0, "ltc6813")]
    [InlineData("bq76952", 4, 4, "3 thermistor inputs")]
    [InlineData("bq76940", 4, 2, "1 thermistor input")]
    [InlineData("bq76940", 16, 0, "3 to 15")]
    [InlineData("ltc6813", 20, 3, "same number of thermistors")]
    [InlineData("xyz", 4, 0, "unknown AFE")]
    public void Packs_a_chip_cannot_monitor_are_refused_with_a_reason(string afe, int cells, int temps, string reason)
    {
        var e = Assert.Throws<ReplayException>(() => AfeStack.Create(afe, cells, temps, new VirtualClock()));
        Assert.Contains(reason, e.Message);
    }
}
