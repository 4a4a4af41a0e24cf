using Bms.Drivers.CellMonitoring;
using Bms.Drivers.Ltc681x;
using Bms.Drivers.Tests.CellMonitoring;
using Bms.Emulators.Common;

namespace Bms.Drivers.Tests.Ltc681x;

/// <summary>
/// The cell summary the driver writes while decoding, and thermistors converted every n-th scan
/// (<see cref="Ltc681xConfiguration.TemperatureScanInterval"/>).
/// </summary>
public class Ltc681xScanSummaryTests
{
    [Theory]
    [InlineData(Ltc681xVariant.Ltc6813, 2, 1)]
    [InlineData(Ltc681xVariant.Ltc6811, 3, 2)]
    [InlineData(Ltc681xVariant.Ltc6812, 2, 3)]
    public void Summary_equals_the_one_recomputed_from_the_cells_over_random_packs_ties_and_faults(Ltc681xVariant variant, int devices, int seed)
    {
        var rng = new Random(seed);
        int inputs = Ltc681xVariantInfo.CellInputs(variant);
        var used = new int[devices];
        for (int d = 0; d < devices; d++) used[d] = rng.Next(inputs / 2, inputs + 1);
        var rig = new Ltc681xRig(variant, devices, used, gpioMask: 0b11);
        rig.SpreadPack(seed);
        Assert.True(rig.Afe.Initialize());
        for (int round = 0; round < 200; round++)
        {
            // Few distinct values, so ties between cells (first index wins) are common.
            for (int i = 0; i < rig.Chain.Pack.CellCount; i++)
            {
                rig.Chain.Pack.CellVoltage_mV[i] = 3600 + rng.Next(0, 4);
                rig.Chain.SubMillivoltCode[i] = rng.Next(0, 10);
            }
            rig.Chain.ClearAll();
            int fault = rng.Next(0, 6);
            if (fault == 1) rig.Chain.Inject(EmulatorFault.CorruptCrc, rng.Next(0, devices));
            if (fault == 2) rig.Chain.Inject(EmulatorFault.DeviceMissing, rng.Next(0, devices));
            if (fault == 3) rig.Chain.Inject(EmulatorFault.FrozenValue);
            rig.Scan();
            CellSummaryAssert.MatchesCells(rig.Readings, rig.Afe.CellCount);
            if (fault == 2) rig.Afe.Initialize();
        }
    }

    [Fact]
    public void Raw_codes_are_the_scans_and_an_open_wire_check_does_not_change_them()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6813, 2, gpioMask: 0b1);
        rig.SpreadPack(5);
        Assert.True(rig.Afe.Initialize());
        Assert.True(rig.Scan());
        var before = new int[2, 18];
        for (int d = 0; d < 2; d++)
            for (int c = 0; c < 18; c++)
            {
                before[d, c] = rig.Afe.RawCellCode(d, c);
                Assert.Equal(rig.Chain.Pack.CellVoltage_mV[d * 18 + c] * 10 + rig.Chain.SubMillivoltCode[d * 18 + c], before[d, c]);
            }
        Assert.True(rig.Afe.CheckOpenWires(new bool[37]));
        for (int d = 0; d < 2; d++)
            for (int c = 0; c < 18; c++)
                Assert.Equal(before[d, c], rig.Afe.RawCellCode(d, c));
    }

    private static Ltc681xRig IntervalRig(int interval, int devices = 2)
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6813, devices, gpioMask: 0b11111, tweak: c => c.TemperatureScanInterval = interval);
        rig.SpreadPack(7);
        Assert.True(rig.Afe.Initialize());
        return rig;
    }

    [Fact]
    public void Thermistors_are_converted_every_nth_scan_and_repeated_flagged_held_in_between()
    {
        var rig = IntervalRig(3);
        int adax = Ltc681xCommands.Adax(Ltc681xCommands.ModeNormal, Ltc681xCommands.AllChannels);
        int conversions = rig.CountOf(adax);
        for (int scan = 0; scan < 9; scan++)
        {
            int[] pack = rig.Chain.Pack.Temperature_dC;
            for (int t = 0; t < pack.Length; t++) pack[t] += 10; // 1 °C per scan
            int[] before = (int[])rig.Readings.Temperature_dC.Clone();
            Assert.True(rig.Scan());
            bool converting = scan % 3 == 0;
            Assert.Equal(!converting, rig.Readings.TemperaturesHeld);
            Assert.Equal(conversions + scan / 3 + 1, rig.CountOf(adax));
            Assert.DoesNotContain(false, rig.Readings.TemperatureValid);
            for (int t = 0; t < pack.Length; t++)
            {
                if (converting)
                    Assert.InRange(rig.Readings.Temperature_dC[t], pack[t] - 3, pack[t] + 3);
                else
                    Assert.Equal(before[t], rig.Readings.Temperature_dC[t]);
            }
        }
    }

    [Fact]
    public void A_device_that_stops_answering_has_no_held_temperatures_and_a_reinitialised_chain_converts_first()
    {
        var rig = IntervalRig(2);
        Assert.True(rig.Scan());
        Assert.False(rig.Readings.TemperaturesHeld);
        rig.Chain.Inject(EmulatorFault.DeviceMissing, 1);
        Assert.False(rig.Scan());
        Assert.True(rig.Readings.TemperaturesHeld);
        for (int t = 0; t < 5; t++) Assert.True(rig.Readings.TemperatureValid[t]);
        for (int t = 5; t < 10; t++) Assert.False(rig.Readings.TemperatureValid[t]);

        // Converting scan with the device still missing, then the held scan after it repeats the invalid channels.
        Assert.False(rig.Scan());
        Assert.False(rig.Readings.TemperaturesHeld);
        rig.Chain.Clear(EmulatorFault.DeviceMissing);
        Assert.False(rig.Scan());
        Assert.True(rig.Readings.TemperaturesHeld);
        Assert.DoesNotContain(false, rig.Readings.CellValid);
        for (int t = 5; t < 10; t++) Assert.False(rig.Readings.TemperatureValid[t]);
        Assert.True(rig.Scan());
        Assert.False(rig.Readings.TemperaturesHeld);
        Assert.DoesNotContain(false, rig.Readings.TemperatureValid);

        // Mid-cycle: Initialize makes the next scan convert.
        Assert.True(rig.Scan());
        Assert.True(rig.Afe.Initialize());
        Assert.True(rig.Scan());
        Assert.False(rig.Readings.TemperaturesHeld);
    }

    [Fact]
    public void Pec_errors_on_a_held_scan_invalidate_that_devices_temperatures()
    {
        var rig = IntervalRig(2);
        Assert.True(rig.Scan());
        rig.Chain.Inject(EmulatorFault.CorruptCrc, 0);
        Assert.False(rig.Scan());
        Assert.True(rig.Readings.TemperaturesHeld);
        for (int t = 0; t < 5; t++) Assert.False(rig.Readings.TemperatureValid[t]);
        for (int t = 5; t < 10; t++) Assert.True(rig.Readings.TemperatureValid[t]);
    }

    [Fact]
    public void Bus_bytes_per_scan_are_the_mean_of_the_cycle()
    {
        var every = IntervalRig(1);
        var half = IntervalRig(2);
        for (int i = 0; i < 4; i++) { every.Scan(); half.Scan(); }
        int full = every.Afe.Statistics.LastScanBusBytes;
        long before = half.Afe.Statistics.BusBytes;
        half.Scan();
        half.Scan();
        long cycle = half.Afe.Statistics.BusBytes - before;
        Assert.Equal((int)(cycle / 2), half.Afe.Statistics.LastScanBusBytes);
        Assert.True(half.Afe.Statistics.LastScanBusBytes < full);
    }

    [Fact]
    public void Interval_outside_1_to_10_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new Ltc681xRig(Ltc681xVariant.Ltc6813, 1, gpioMask: 1, tweak: c => c.TemperatureScanInterval = 0));
        Assert.Throws<ArgumentException>(() => new Ltc681xRig(Ltc681xVariant.Ltc6813, 1, gpioMask: 1, tweak: c => c.TemperatureScanInterval = 11));
    }
}
