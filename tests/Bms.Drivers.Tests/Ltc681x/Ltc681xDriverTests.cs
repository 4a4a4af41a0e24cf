using Bms.Drivers.CellMonitoring;
using Bms.Drivers.Ltc681x;
using Bms.Emulators.Ltc681x;

namespace Bms.Drivers.Tests.Ltc681x;

public class Ltc681xDriverTests
{
    public static TheoryData<Ltc681xVariant, int> Chains()
    {
        var data = new TheoryData<Ltc681xVariant, int>();
        foreach (var v in new[] { Ltc681xVariant.Ltc6811, Ltc681xVariant.Ltc6812, Ltc681xVariant.Ltc6813, Ltc681xVariant.Adbms1818 })
            for (int n = 1; n <= 3; n++) data.Add(v, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(Chains))]
    public void Reads_every_cell_exactly_and_every_thermistor(Ltc681xVariant variant, int devices)
    {
        int gpioMask = variant == Ltc681xVariant.Ltc6811 ? 0b11111 : 0b1_1111_1111;
        var rig = new Ltc681xRig(variant, devices, gpioMask: gpioMask);
        rig.SpreadPack(devices * 10 + (int)variant);
        Assert.True(rig.Afe.Initialize());

        Assert.True(rig.Scan());
        Assert.Equal(devices * Ltc681xVariantInfo.CellInputs(variant), rig.Afe.CellCount);
        for (int c = 0; c < rig.Afe.CellCount; c++)
        {
            Assert.True(rig.Readings.CellValid[c], $"cell {c}");
            Assert.Equal(rig.ExpectedCell_mV(c), rig.Readings.CellVoltage_mV[c]);
        }
        Assert.Equal(devices * Ltc681xVariantInfo.GpioCount(variant), rig.Afe.TemperatureCount);
        for (int t = 0; t < rig.Afe.TemperatureCount; t++)
        {
            Assert.True(rig.Readings.TemperatureValid[t], $"thermistor {t}");
            Assert.InRange(rig.Readings.Temperature_dC[t], rig.Chain.Pack.Temperature_dC[t] - 3, rig.Chain.Pack.Temperature_dC[t] + 3);
        }
        Assert.Equal(CellMonitorFaults.None, rig.Readings.Faults);
        Assert.Equal(0, rig.Afe.Statistics.CrcErrors);
        Assert.Equal(0, rig.Afe.Statistics.Retries);

        // The pack moves: the next scan follows it (fresh conversion, not the old registers).
        for (int c = 0; c < rig.Afe.CellCount; c++) rig.Chain.Pack.CellVoltage_mV[c] -= 11;
        Assert.True(rig.Scan());
        for (int c = 0; c < rig.Afe.CellCount; c++) Assert.Equal(rig.ExpectedCell_mV(c), rig.Readings.CellVoltage_mV[c]);
    }

    [Theory]
    [InlineData(Ltc681xVariant.Ltc6811, 1)]
    [InlineData(Ltc681xVariant.Ltc6813, 2)]
    public void Writes_configuration_to_every_device(Ltc681xVariant variant, int devices)
    {
        var rig = new Ltc681xRig(variant, devices, tweak: c => { c.UnderVoltageThreshold_mV = 2800; c.OverVoltageThreshold_mV = 4200; c.DischargeTimeoutCode = 3; });
        Assert.True(rig.Afe.Initialize());
        int vuv = Ltc681xCommands.EncodeUnderVoltage(2800), vov = Ltc681xCommands.EncodeOverVoltage(4200);
        for (int d = 0; d < devices; d++)
        {
            byte[] a = rig.Chain.ConfigurationA(d);
            Assert.Equal(0x04, a[0] & 0x05);              // REFON on, ADCOPT 0
            Assert.Equal(0xF8, a[0] & 0xF8);              // GPIO pull-downs off
            Assert.Equal(vuv, a[1] | ((a[2] & 0x0F) << 8));
            Assert.Equal(vov, (a[2] >> 4) | (a[3] << 4));
            Assert.Equal(3, a[5] >> 4);                   // DCTO
        }
        Assert.Equal(0, rig.Afe.Statistics.ResetsDetected);
    }

    [Fact]
    public void Uses_only_the_configured_cells_per_device_and_skips_empty_groups()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6813, 3, cellsPerDevice: new[] { 15, 16, 12 }, gpioMask: 0b11);
        rig.SpreadPack(5);
        Assert.Equal(43, rig.Afe.CellCount);
        Assert.True(rig.Afe.Initialize());
        Assert.True(rig.Scan());
        for (int c = 0; c < 43; c++) Assert.Equal(rig.ExpectedCell_mV(c), rig.Readings.CellVoltage_mV[c]);
        Assert.Equal(1, rig.CountOf(Ltc681xCommands.RDCVF)); // device 1 uses C16
        var rig2 = new Ltc681xRig(Ltc681xVariant.Ltc6813, 2, cellsPerDevice: new[] { 12, 10 });
        Assert.True(rig2.Afe.Initialize());
        Assert.True(rig2.Scan());
        Assert.Equal(0, rig2.CountOf(Ltc681xCommands.RDCVE));
        Assert.Equal(0, rig2.CountOf(Ltc681xCommands.RDCVF));
    }

    [Fact]
    public void Scan_sequence_wakes_checks_configuration_clears_converts_and_reads()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6811, 2, gpioMask: 0b11);
        Assert.True(rig.Afe.Initialize());
        rig.Chain.ExecutedCommands.Clear();
        int lostBefore = rig.Chain.FramesLost;
        Assert.True(rig.Scan());
        Assert.Equal(new[]
        {
            Ltc681xCommands.RDCFGA, Ltc681xCommands.CLRCELL, 0x360,
            Ltc681xCommands.RDCVA, Ltc681xCommands.RDCVB, Ltc681xCommands.RDCVC, Ltc681xCommands.RDCVD,
            Ltc681xCommands.CLRAUX, 0x560, Ltc681xCommands.RDAUXA,
        }, rig.Chain.ExecutedCommands);
        // Exactly the wake-up pulse was lost to the idle isoSPI port, no command.
        Assert.Equal(lostBefore + 1, rig.Chain.FramesLost);
    }

    [Fact]
    public void Counts_every_byte_it_clocks()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6813, 2, gpioMask: 0b111);
        Assert.True(rig.Afe.Initialize());
        for (int i = 0; i < 5; i++) Assert.True(rig.Scan());
        Assert.Equal(rig.Chain.BytesClocked, rig.Afe.Statistics.BusBytes);
        Assert.True(rig.Afe.Statistics.Transfers > 5 * 10);
    }

    [Theory]
    [InlineData(0b00011, 2)]
    [InlineData(0b11111, 5)]
    public void Full_scan_of_two_18_cell_devices_stays_within_120_percent_of_the_protocol_minimum(int gpioMask, int gpioCount)
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6813, 2, gpioMask: gpioMask);
        Assert.True(rig.Afe.Initialize());
        for (int i = 0; i < 3; i++) Assert.True(rig.Scan());
        int minimum = Ltc681xBusBudget.MinimumBytesPerScan(Ltc681xVariant.Ltc6813, 2, gpioCount);
        int used = rig.Afe.Statistics.LastScanBusBytes;
        Console.WriteLine($"2x18 LTC6813, {gpioCount} thermistors/device: {used} bytes per scan, minimum {minimum}, ratio {(double)used / minimum:F3}");
        Assert.True(used <= minimum * 12 / 10, $"{used} bytes > 1.2 × {minimum}");
        Assert.True(used >= minimum);
    }

    [Fact]
    public void Bus_budget_minimum_from_protocol_facts()
    {
        // wake 1 + ADCV 4 + 6 groups × (4 + 2×8) = 125; + ADAX 4 + AUXA (4 + 16) = 149.
        Assert.Equal(125, Ltc681xBusBudget.MinimumBytesPerScan(Ltc681xVariant.Ltc6813, 2, 0));
        Assert.Equal(149, Ltc681xBusBudget.MinimumBytesPerScan(Ltc681xVariant.Ltc6813, 2, 2));
        Assert.Equal(169, Ltc681xBusBudget.MinimumBytesPerScan(Ltc681xVariant.Ltc6813, 2, 5));
        Assert.Equal(1 + 4 + 4 * 12 + 4 + 2 * 12, Ltc681xBusBudget.MinimumBytesPerScan(Ltc681xVariant.Ltc6811, 1, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ltc681xBusBudget.MinimumBytesPerScan(Ltc681xVariant.Ltc6811, 1, 6));
    }

    [Fact]
    public void Rejects_bad_configuration_with_a_clear_reason()
    {
        var clock = new Bms.Emulators.Common.VirtualClock();
        var chain = new Ltc681xChainEmulator(Ltc681xVariant.Ltc6811, 1, 12, 0, clock);
        var c = new Ltc681xConfiguration(Ltc681xVariant.Ltc6811, 1) { ThermistorGpioMask = 1 << 5 };
        var e = Assert.Throws<ArgumentException>(() => new Bms.Drivers.Ltc681x.Ltc681x(chain, clock, clock, c));
        Assert.Contains("GPIO", e.Message);
        c = new Ltc681xConfiguration(Ltc681xVariant.Ltc6811, 1);
        c.CellsPerDevice[0] = 13;
        Assert.Throws<ArgumentException>(() => new Bms.Drivers.Ltc681x.Ltc681x(chain, clock, clock, c));
        Assert.Throws<ArgumentException>(() => new Ltc681xConfiguration(Ltc681xVariant.Ltc6811, 0));
    }

    [Fact]
    public void Reports_no_current_sense_or_fet_control()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6811, 1);
        Assert.False(rig.Afe.HasCurrentSense);
        Assert.False(rig.Afe.HasFetControl);
        Assert.False(rig.Afe.ReadCurrent(rig.Readings));
        Assert.False(rig.Afe.SetProtectionFets(true, true));
    }
}

public class Ltc681xThermistorTests
{
    [Fact]
    public void Measured_second_reference_cancels_its_drift_when_group_b_is_read()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6811, 1, gpioMask: 0b11111);
        rig.Chain.Reference2Actual_V = 3.03; // 1 % high: far outside spec, to make the effect plain
        for (int t = 0; t < 5; t++) rig.Chain.Pack.Temperature_dC[t] = 100 * t - 50;
        Assert.True(rig.Afe.Initialize());
        Assert.True(rig.Scan());
        for (int t = 0; t < 5; t++)
            Assert.InRange(rig.Readings.Temperature_dC[t], rig.Chain.Pack.Temperature_dC[t] - 3, rig.Chain.Pack.Temperature_dC[t] + 3);
    }

    [Fact]
    public void Temperature_channels_are_device_major_in_gpio_order()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6813, 2, gpioMask: (1 << 0) | (1 << 5) | (1 << 8)); // GPIO1, 6, 9
        int[] truth = { -100, 200, 450, 600, 330, 0 };
        Array.Copy(truth, rig.Chain.Pack.Temperature_dC, 6);
        Assert.True(rig.Afe.Initialize());
        Assert.True(rig.Scan());
        Assert.Equal(3, rig.Afe.ThermistorsPerDevice);
        for (int t = 0; t < 6; t++) Assert.InRange(rig.Readings.Temperature_dC[t], truth[t] - 3, truth[t] + 3);
        Assert.Equal(1, rig.CountOf(Ltc681xCommands.RDAUXA));
        Assert.Equal(0, rig.CountOf(Ltc681xCommands.RDAUXB));
        Assert.Equal(1, rig.CountOf(Ltc681xCommands.RDAUXC));
        Assert.Equal(1, rig.CountOf(Ltc681xCommands.RDAUXD));
    }
}

public class Ltc681xReferenceDiagnosticTests
{
    [Fact]
    public void Second_reference_far_from_3_V_is_a_device_fault()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6811, 2, gpioMask: 0b10001); // GPIO5 → group B holds VREF2
        Assert.True(rig.Afe.Initialize());
        Assert.True(rig.Scan());
        Assert.Equal(0, rig.Readings.Faults & CellMonitorFaults.DeviceFault);
        rig.Chain.Reference2Actual_V = 2.8;
        rig.Scan();
        Assert.NotEqual(0, rig.Readings.Faults & CellMonitorFaults.DeviceFault);
    }
}
