using Bms.Drivers.Bq76952;
using Bms.Drivers.CellMonitoring;
using Bms.Emulators.Bq76952;
using Bms.Emulators.Common;
using Bms.Hal;
using Driver = Bms.Drivers.Bq76952.Bq76952;

namespace Bms.Drivers.Tests.Bq76952;

/// <summary>The driver against the register-level emulator: configuration, scans, balancing, FETs.</summary>
public class Bq76952DriverTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Initialize_programs_every_data_memory_value_inside_config_update(bool crc)
    {
        var f = new Bq76952Fixture(crc: crc).Initialized();
        Assert.True(f.Driver.IsConfigured);
        Assert.False(f.Chip.ConfigUpdateMode);
        Assert.Equal(0, f.Chip.BatteryStatus & Bq76952Registers.BatteryStatusPor);
        Assert.Equal(0, f.Chip.RejectedChecksums);
        Assert.Equal(0, f.Chip.RejectedDataMemoryWrites);
        Assert.Equal(0, f.Chip.CrcErrorsDetected);
        for (int i = 0; i < f.Driver.DataMemoryItemCount; i++)
        {
            f.Driver.GetDataMemoryItem(i, out int address, out int length, out int value);
            Assert.Equal(value, f.Chip.DataMemory(address, length));
        }
        // Spot checks of the unit conversions against the TRM's units.
        Assert.Equal(0xFFFF, f.Chip.DataMemory(Bq76952Registers.DmVcellMode, 2));
        Assert.Equal(0x05, f.Chip.DataMemory(Bq76952Registers.DmDaConfiguration, 1)); // cV + 1 mA
        Assert.Equal(4250 * 10 / 506, f.Chip.DataMemory(Bq76952Registers.DmCovThreshold, 1)); // 83 = 4199.8 mV, not above 4250
        Assert.Equal(50, f.Chip.DataMemory(Bq76952Registers.DmCuvThreshold, 1));  // 2530 mV, not below 2500
        Assert.Equal(5, f.Chip.DataMemory(Bq76952Registers.DmOccThreshold, 1));   // 10 A x 1 mOhm = 10 mV = 5 x 2 mV
        Assert.Equal(15, f.Chip.DataMemory(Bq76952Registers.DmOcd1Threshold, 1)); // 30 mV
        Assert.Equal(5, f.Chip.DataMemory(Bq76952Registers.DmScdThreshold, 1));   // 100 mV step
        Assert.Equal(7.4768f, BitConverter.Int32BitsToSingle(f.Chip.DataMemory(Bq76952Registers.DmCcGain, 4)));
        Assert.Equal(Bq76952Registers.TsConfigCellThermistor, f.Chip.DataMemory(Bq76952Registers.DmTs2Config, 1));
        Assert.True(f.Chip.FetEnabled);
        Assert.Single(f.Chip.ExecutedSubcommands, c => c == Bq76952Registers.FetEnable);
        Assert.False(f.Chip.ChargeFetOn);
        Assert.False(f.Chip.DischargeFetOn);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Scan_returns_the_pack_values(bool crc)
    {
        var f = new Bq76952Fixture(crc: crc).Initialized();
        Assert.True(f.Driver.Measure(f.Readings));
        f.AssertReadingsEqualPack();
        Assert.Equal(CellMonitorFaults.None, f.Readings.Faults);

        f.Pack.CellVoltage_mV[15] = 3999;
        f.Pack.Current_mA = 5021;
        f.Pack.Temperature_dC[2] = -105;
        Assert.True(f.Driver.Measure(f.Readings));
        f.AssertReadingsEqualPack();
        // Both ends count the same bytes when nothing goes wrong.
        Assert.Equal(f.Chip.BusBytes, f.Driver.Statistics.BusBytes);
        Assert.Equal(f.Chip.Transactions, f.Driver.Statistics.Transfers);
        Assert.Equal(0, f.Driver.Statistics.Retries);
    }

    [Fact]
    public void Fewer_cells_map_to_their_inputs_bottom_and_vc16()
    {
        var f = new Bq76952Fixture(cells: 5).Initialized();
        Assert.Equal(0x800F, f.Config.CellInputMask);
        Assert.Equal(15, f.Driver.CellInputOf(4));
        Assert.True(f.Driver.Measure(f.Readings));
        f.AssertReadingsEqualPack();
        Assert.Equal(0x800F, f.Chip.DataMemory(Bq76952Registers.DmVcellMode, 2));
    }

    [Fact]
    public void Sense_resistor_and_10_mA_units_are_programmed_and_used()
    {
        var f = new Bq76952Fixture(configure: c => { c.SenseResistor_uOhm = 500; c.CurrentLsb_mA = 10; });
        f.Chip.SenseResistor_uOhm = 500;
        f.Pack.Current_mA = -123456;
        f.Driver.Initialize();
        Assert.True(f.Driver.Measure(f.Readings));
        f.AssertReadingsEqualPack();
        Assert.InRange(f.Readings.Current_mA, -123466, -123446);
        Assert.True(f.Driver.ReadCurrent(f.Readings));
        Assert.InRange(f.Readings.Current_mA, -123466, -123446);
    }

    [Fact]
    public void Wrong_sense_resistor_in_the_configuration_shows_as_wrong_current()
    {
        // Guards that the emulator really applies CC Gain: a 2x shunt with the default gain reads 2x.
        var f = new Bq76952Fixture().Initialized();
        f.Chip.SenseResistor_uOhm = 2000;
        f.Pack.Current_mA = 1000;
        Assert.True(f.Driver.Measure(f.Readings));
        Assert.Equal(2000, f.Readings.Current_mA);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Balancing_sets_cb_active_cells_and_drops_cells_above_the_maximum(bool crc)
    {
        var f = new Bq76952Fixture(crc: crc).Initialized();
        var cells = new bool[16];
        cells[0] = cells[2] = cells[5] = cells[9] = cells[14] = true;
        Assert.True(f.Driver.SetBalancing(cells));
        Assert.False(cells[14]); // fifth cell above MaxBalancingCells = 4
        Assert.Equal((1 << 0) | (1 << 2) | (1 << 5) | (1 << 9), f.Chip.BalancingMask);
        Assert.Equal(f.Chip.BalancingMask, f.Driver.BalancingInputMask);
        Assert.Equal(4, f.Chip.DataMemory(Bq76952Registers.DmCellBalanceMaxCells, 1));

        Assert.True(f.Driver.SetBalancing(new bool[16]));
        Assert.Equal(0, f.Chip.BalancingMask);
    }

    [Fact]
    public void Balancing_the_top_cell_of_a_short_stack_uses_input_16()
    {
        var f = new Bq76952Fixture(cells: 4).Initialized();
        Assert.True(f.Driver.SetBalancing([false, true, false, true]));
        Assert.Equal((1 << 1) | (1 << 15), f.Chip.BalancingMask);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fets_follow_the_host_commands(bool crc)
    {
        var f = new Bq76952Fixture(crc: crc).Initialized();
        Assert.True(f.Driver.SetProtectionFets(true, true));
        Assert.True(f.Chip.ChargeFetOn && f.Chip.DischargeFetOn);
        Assert.True(f.Driver.ChargeFetOn && f.Driver.DischargeFetOn);

        Assert.True(f.Driver.SetProtectionFets(false, true));
        Assert.False(f.Chip.ChargeFetOn);
        Assert.True(f.Chip.DischargeFetOn);

        Assert.True(f.Driver.SetProtectionFets(true, false));
        Assert.True(f.Chip.ChargeFetOn);
        Assert.False(f.Chip.DischargeFetOn);

        Assert.True(f.Driver.SetProtectionFets(false, false));
        Assert.False(f.Chip.ChargeFetOn || f.Chip.DischargeFetOn);
        Assert.Contains(Bq76952Registers.AllFetsOff, f.Chip.ExecutedSubcommands);
        Assert.Contains(Bq76952Registers.AllFetsOn, f.Chip.ExecutedSubcommands);
    }

    [Fact]
    public void Chip_over_voltage_protection_is_reported_and_holds_the_charge_fet_off()
    {
        var f = new Bq76952Fixture().Initialized();
        Assert.True(f.Driver.SetProtectionFets(true, true));
        f.Pack.CellVoltage_mV[7] = 4300; // above 83 x 50.6 mV
        Assert.True(f.Driver.Measure(f.Readings));
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.CellOverVoltage);
        Assert.Equal(0x08, f.Driver.LastSafetyStatus & 0xFF);
        // Asking for the charge FET while the chip holds it off is not a failure; the driver reports the truth.
        Assert.True(f.Driver.SetProtectionFets(true, true));
        Assert.False(f.Driver.ChargeFetOn);
        Assert.True(f.Driver.DischargeFetOn);

        // Recovery needs the 2-step (101.2 mV) hysteresis below the 4199.8 mV threshold.
        f.Pack.CellVoltage_mV[7] = 4150;
        Assert.True(f.Driver.Measure(f.Readings));
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.CellOverVoltage);
        f.Pack.CellVoltage_mV[7] = 4050;
        Assert.True(f.Driver.Measure(f.Readings));
        Assert.Equal(0, f.Readings.Faults & CellMonitorFaults.CellOverVoltage);
        Assert.True(f.Driver.SetProtectionFets(true, true));
        Assert.True(f.Driver.ChargeFetOn);
    }

    [Fact]
    public void Chip_temperature_and_current_protections_decode_to_faults()
    {
        var f = new Bq76952Fixture().Initialized();
        f.Pack.Temperature_dC[0] = 650;      // above OTC 55 °C and OTD 60 °C
        f.Pack.Current_mA = -120_000;        // 120 mV across 1 mOhm: OCD1 and SCD (100 mV)
        Assert.True(f.Driver.Measure(f.Readings));
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.OverTemperature);
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.OverCurrentDischarge);
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.ShortCircuit);
        Assert.Equal(0, f.Readings.Faults & CellMonitorFaults.UnderTemperature);

        f.Pack.Temperature_dC[0] = -250;
        f.Pack.Current_mA = 20_000;          // 20 mV: OCC (10 mV)
        Assert.True(f.Driver.Measure(f.Readings));
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.UnderTemperature);
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.OverCurrentCharge);
    }

    [Fact]
    public void Trm_data_memory_write_vector_goes_over_the_bus_and_lands()
    {
        var f = new Bq76952Fixture().Initialized();
        f.Chip.LogWrites = true;
        Assert.True(f.Driver.WriteDataMemoryValue(0x9180, 0x307A, 2));
        Assert.Contains(f.Chip.WriteLog, w => w.SequenceEqual(new byte[] { 0x3E, 0x80, 0x91, 0x7A, 0x30 }));
        Assert.Contains(f.Chip.WriteLog, w => w.SequenceEqual(new byte[] { 0x60, 0x44, 0x06 }));
        Assert.Equal(0x307A, f.Chip.DataMemory(0x9180, 2));
        Assert.Equal(0, f.Chip.RejectedChecksums);
    }

    [Fact]
    public void Emulator_ignores_a_bad_checksum_and_data_memory_writes_outside_config_update()
    {
        var f = new Bq76952Fixture();
        var chip = f.Chip;
        Assert.Equal(BusStatus.Ok, chip.Write([0x3E, 0x90, 0x00], 0, 3)); // SET_CFGUPDATE
        Assert.True(chip.ConfigUpdateMode);
        Assert.Equal(BusStatus.Ok, chip.Write([0x3E, 0x80, 0x91, 0x7A, 0x30], 0, 5));
        Assert.Equal(BusStatus.Ok, chip.Write([0x60, 0x45, 0x06], 0, 3));  // checksum off by one
        Assert.Equal(1, chip.RejectedChecksums);
        Assert.NotEqual(0x307A, chip.DataMemory(0x9180, 2));

        Assert.Equal(BusStatus.Ok, chip.Write([0x3E, 0x92, 0x00], 0, 3)); // EXIT_CFGUPDATE
        Assert.Equal(BusStatus.Ok, chip.Write([0x3E, 0x80, 0x91, 0x7A, 0x30], 0, 5));
        Assert.Equal(BusStatus.Ok, chip.Write([0x60, 0x44, 0x06], 0, 3));
        Assert.Equal(1, chip.RejectedDataMemoryWrites);
        Assert.NotEqual(0x307A, chip.DataMemory(0x9180, 2));
    }

    [Fact]
    public void Emulator_answers_cell1_in_crc_mode_with_the_trm_bytes()
    {
        var pack = new EmulatedPack(16, 3);
        pack.CellVoltage_mV[0] = 0x0B68; // 2920 mV
        var chip = new Bq76952Emulator(pack, crcMode: true);
        var answer = new byte[4];
        Assert.Equal(BusStatus.Ok, chip.WriteRead([0x14], 0, 1, answer, 0, 4));
        Assert.Equal(new byte[] { 0x68, 0x33, 0x0B, 0x31 }, answer);
        // A write whose CRC is wrong is NACKed and ignored.
        Assert.Equal(BusStatus.DataNack, chip.Write([0x3E, 0x22, 0x62, 0x00, 0x00], 0, 5));
        Assert.Equal(1, chip.CrcErrorsDetected);
        Assert.DoesNotContain(Bq76952Registers.FetEnable, chip.ExecutedSubcommands);
        Assert.Equal(BusStatus.Ok, chip.Write([0x3E, 0x22, 0x63, 0x00, 0x00], 0, 5));
        Assert.Contains(Bq76952Registers.FetEnable, chip.ExecutedSubcommands);
    }

    [Fact]
    public void Steady_state_scan_balancing_and_fet_control_allocate_nothing()
    {
        var f = new Bq76952Fixture(crc: true).Initialized();
        var balance = new bool[16];
        void Tick(int i)
        {
            f.Chip.ExecutedSubcommands.Clear(); // the emulator's log, not the driver, would otherwise grow
            Assert.True(f.Driver.Measure(f.Readings));
            Assert.True(f.Driver.ReadCurrent(f.Readings));
            balance[i % 16] = true;
            balance[(i + 15) % 16] = false;
            Assert.True(f.Driver.SetBalancing(balance));
            Assert.True(f.Driver.SetProtectionFets(i % 2 == 0, true));
        }
        for (int i = 0; i < 20; i++) Tick(i);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) Tick(i);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Invalid_configuration_is_refused_with_the_field_named()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Bq76952Configuration(2));
        var config = new Bq76952Configuration(8) { CurrentLsb_mA = 5 };
        var ex = Assert.Throws<ArgumentException>(() => new Driver(new Bq76952Emulator(new EmulatedPack(8, 3)), new VirtualClock(), config));
        Assert.Contains("CurrentLsb_mA", ex.Message);
        config = new Bq76952Configuration(8) { CellInputMask = 0x0003 };
        ex = Assert.Throws<ArgumentException>(() => config.Validate());
        Assert.Contains("CellInputMask", ex.Message);
    }

    [Fact]
    public void Balancing_request_with_wrong_length_is_refused()
    {
        var f = new Bq76952Fixture(cells: 8).Initialized();
        Assert.Throws<ArgumentException>(() => f.Driver.SetBalancing(new bool[7]));
    }

    [Fact]
    public void Dispose_stops_balancing_and_detaches()
    {
        var f = new Bq76952Fixture().Initialized();
        Assert.True(f.Driver.SetBalancing([true, false, false, false, false, false, false, false, false, false, false, false, false, false, false, false]));
        Assert.NotEqual(0, f.Chip.BalancingMask);
        f.Driver.Dispose();
        Assert.Equal(0, f.Chip.BalancingMask);
        Assert.False(f.Driver.Measure(f.Readings));
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.CommunicationError);
    }

    [Fact]
    public void Programmed_over_voltage_delay_holds_the_status_back_on_a_timed_chip()
    {
        var f = new Bq76952Fixture(chipClock: true, configure: c => c.CellOverVoltageDelay_ms = 1000).Initialized();
        Assert.Equal(1000 * 10 / 33 - 2, f.Chip.DataMemory(Bq76952Registers.DmCovDelay, 2));
        f.Clock.Advance_us(200_000); // one full scan
        Assert.True(f.Driver.Measure(f.Readings));

        f.Pack.CellVoltage_mV[3] = 4300;
        f.Clock.Advance_us(100_000);
        Assert.True(f.Driver.Measure(f.Readings));
        Assert.Equal(0x08, f.Chip.SafetyAlertA & 0x08);           // the chip has seen it...
        Assert.Equal(0, f.Readings.Faults & CellMonitorFaults.CellOverVoltage); // ...but not for 1 s yet

        for (int i = 0; i < 8; i++)
        {
            f.Clock.Advance_us(100_000);
            Assert.True(f.Driver.Measure(f.Readings));
            Assert.Equal(0, f.Readings.Faults & CellMonitorFaults.CellOverVoltage);
        }
        f.Clock.Advance_us(200_000);
        Assert.True(f.Driver.Measure(f.Readings));
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.CellOverVoltage);
    }

    [Fact]
    public void A_chip_that_is_not_a_bq76952_is_refused()
    {
        var f = new Bq76952Fixture();
        f.Chip.DeviceNumber = 0x7694;
        Assert.False(f.Driver.Initialize());
        Assert.False(f.Driver.IsConfigured);
        Assert.DoesNotContain(Bq76952Registers.SetCfgUpdate, f.Chip.ExecutedSubcommands);
    }

    [Fact]
    public void A_thermistor_reading_below_minus_55_degC_is_not_a_temperature()
    {
        var f = new Bq76952Fixture().Initialized();
        f.Pack.Temperature_dC[1] = -600; // open/unconverted channels read near 0 K; nothing real is this cold
        f.Driver.Measure(f.Readings);
        Assert.True(f.Readings.TemperatureValid[0]);
        Assert.False(f.Readings.TemperatureValid[1]);
        Assert.True(f.Readings.TemperatureValid[2]);
        Assert.All(f.Readings.CellValid, Assert.True);
    }
}
