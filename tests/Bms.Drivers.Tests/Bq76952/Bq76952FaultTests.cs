using Bms.Drivers.Bq76952;
using Bms.Drivers.CellMonitoring;
using Bms.Emulators.Common;
using Bms.Hal;

namespace Bms.Drivers.Tests.Bq76952;

/// <summary>Every fault the emulator can show, driven through the driver, with what the firmware then sees.</summary>
public class Bq76952FaultTests
{
    [Fact]
    public void One_corrupted_crc_is_retried_and_counted()
    {
        var f = new Bq76952Fixture(crc: true).Initialized();
        f.Chip.Inject(EmulatorFault.CorruptCrc, 1);
        Assert.True(f.Driver.Measure(f.Readings));
        f.AssertReadingsEqualPack();
        Assert.Equal(1, f.Driver.Statistics.CrcErrors);
        Assert.Equal(1, f.Driver.Statistics.Retries);
        Assert.Equal(0, f.Driver.Statistics.FailedTransfers);
    }

    [Fact]
    public void Persistent_crc_corruption_marks_everything_invalid()
    {
        var f = new Bq76952Fixture(crc: true).Initialized();
        f.Chip.Inject(EmulatorFault.CorruptCrc);
        Assert.False(f.Driver.Measure(f.Readings));
        f.AssertAllInvalid();
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.CommunicationError);
        int segments = f.Driver.ReadTransactionsPerScan;
        Assert.Equal(segments * f.Config.MaxAttempts, f.Driver.Statistics.CrcErrors);
        Assert.Equal(segments, f.Driver.Statistics.FailedTransfers);
        Assert.Equal(segments * (f.Config.MaxAttempts - 1), f.Driver.Statistics.Retries);

        f.Chip.Clear(EmulatorFault.CorruptCrc);
        Assert.True(f.Driver.Measure(f.Readings));
        f.AssertReadingsEqualPack();
    }

    [Fact]
    public void Bad_subcommand_checksum_without_crc_mode_is_caught_and_retried()
    {
        var f = new Bq76952Fixture(crc: false).Initialized();
        f.Chip.Inject(EmulatorFault.CorruptCrc, 1);
        var cells = new bool[16];
        cells[3] = true;
        Assert.True(f.Driver.SetBalancing(cells));
        Assert.Equal(1 << 3, f.Chip.BalancingMask);
        Assert.Equal(1, f.Driver.Statistics.CrcErrors);
        Assert.Equal(1, f.Driver.Statistics.Retries);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Transient_nack_is_retried(bool crc)
    {
        var f = new Bq76952Fixture(crc: crc).Initialized();
        f.Chip.Inject(EmulatorFault.Nack, 2);
        Assert.True(f.Driver.Measure(f.Readings));
        f.AssertReadingsEqualPack();
        Assert.Equal(2, f.Driver.Statistics.Retries);
        Assert.Equal(0, f.Driver.Statistics.FailedTransfers);
        Assert.Equal(f.Chip.BusBytes, f.Driver.Statistics.BusBytes); // NACKed attempts count their address byte on both sides
    }

    [Theory]
    [InlineData(EmulatorFault.Nack)]
    [InlineData(EmulatorFault.NoAnswer)]
    public void Persistent_loss_fails_the_scan_with_communication_error(EmulatorFault fault)
    {
        var f = new Bq76952Fixture().Initialized();
        Assert.True(f.Driver.Measure(f.Readings));
        long transfersBefore = f.Driver.Statistics.Transfers;
        f.Chip.Inject(fault);
        Assert.False(f.Driver.Measure(f.Readings));
        f.AssertAllInvalid();
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.CommunicationError);
        // A silent chip is given up after the first block's retries instead of hammering every block.
        Assert.Equal(f.Config.MaxAttempts, f.Driver.Statistics.Transfers - transfersBefore);
        Assert.Equal(1, f.Driver.Statistics.FailedTransfers);
        Assert.Equal(f.Config.MaxAttempts - 1, f.Driver.Statistics.Retries);
        Assert.False(f.Driver.ReadCurrent(f.Readings));
        Assert.False(f.Readings.CurrentValid);
        Assert.False(f.Driver.SetProtectionFets(false, false));

        f.Chip.ClearAll();
        Assert.True(f.Driver.Measure(f.Readings));
        f.AssertReadingsEqualPack();
    }

    [Fact]
    public void Nack_at_start_up_fails_initialize_and_measure_keeps_trying()
    {
        var f = new Bq76952Fixture();
        f.Chip.Inject(EmulatorFault.Nack);
        Assert.False(f.Driver.Initialize());
        Assert.False(f.Driver.Measure(f.Readings));
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.CommunicationError);
        f.AssertAllInvalid();
        f.Chip.ClearAll();
        Assert.True(f.Driver.Measure(f.Readings)); // configures on the way
        Assert.True(f.Driver.IsConfigured);
        f.AssertReadingsEqualPack();
    }

    [Fact]
    public void Stuck_cell_is_reported_as_the_chip_reports_it()
    {
        // The AFE cannot tell a stuck ADC channel from a steady cell; the firmware's plausibility checks do.
        var f = new Bq76952Fixture().Initialized();
        f.Chip.Inject(EmulatorFault.StuckValue, 2);
        int stuck = f.Pack.CellVoltage_mV[2];
        f.Pack.CellVoltage_mV[2] = 3300;
        f.Pack.CellVoltage_mV[3] = 3310;
        Assert.True(f.Driver.Measure(f.Readings));
        Assert.Equal(stuck, f.Readings.CellVoltage_mV[2]);
        Assert.Equal(3310, f.Readings.CellVoltage_mV[3]);
        f.Chip.Clear(EmulatorFault.StuckValue);
        Assert.True(f.Driver.Measure(f.Readings));
        Assert.Equal(3300, f.Readings.CellVoltage_mV[2]);
    }

    [Fact]
    public void Frozen_conversions_are_detected_through_the_fullscan_alarm()
    {
        var f = new Bq76952Fixture().Initialized();
        Assert.True(f.Driver.Measure(f.Readings));
        f.Chip.Inject(EmulatorFault.FrozenValue);
        int before = f.Pack.CellVoltage_mV[0];
        f.Pack.CellVoltage_mV[0] = 3000;

        // One scan without a new conversion is tolerated (StaleScanLimit = 2): it still carries the last conversion.
        Assert.True(f.Driver.Measure(f.Readings));
        Assert.Equal(before, f.Readings.CellVoltage_mV[0]);

        Assert.False(f.Driver.Measure(f.Readings));
        f.AssertAllInvalid();
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.DeviceFault);
        Assert.Equal(0, f.Readings.Faults & CellMonitorFaults.CommunicationError);

        f.Chip.Clear(EmulatorFault.FrozenValue);
        Assert.True(f.Driver.Measure(f.Readings));
        f.AssertReadingsEqualPack();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Chip_reset_is_detected_and_the_configuration_reapplied(bool crc)
    {
        var f = new Bq76952Fixture(crc: crc).Initialized();
        Assert.True(f.Driver.SetProtectionFets(true, true));
        Assert.True(f.Driver.Measure(f.Readings));

        f.Chip.Inject(EmulatorFault.ChipReset);
        Assert.Equal(0x0000, f.Chip.DataMemory(Bq76952Registers.DmVcellMode, 2)); // defaults are back
        Assert.False(f.Chip.ChargeFetOn);

        Assert.False(f.Driver.Measure(f.Readings));
        f.AssertAllInvalid(); // read with the chip's defaults: not trusted
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.DeviceReset);
        Assert.Equal(0, f.Readings.Faults & CellMonitorFaults.CommunicationError);
        Assert.Equal(1, f.Driver.Statistics.ResetsDetected);

        for (int i = 0; i < f.Driver.DataMemoryItemCount; i++)
        {
            f.Driver.GetDataMemoryItem(i, out int address, out int length, out int value);
            Assert.Equal(value, f.Chip.DataMemory(address, length));
        }
        Assert.Equal(0, f.Chip.BatteryStatus & (Bq76952Registers.BatteryStatusPor | Bq76952Registers.BatteryStatusCfgUpdate));
        Assert.True(f.Chip.ChargeFetOn && f.Chip.DischargeFetOn); // last commanded FET state restored

        Assert.True(f.Driver.Measure(f.Readings));
        f.AssertReadingsEqualPack();
        Assert.Equal(CellMonitorFaults.None, f.Readings.Faults);
        Assert.Equal(1, f.Driver.Statistics.ResetsDetected);
    }

    [Fact]
    public void Unexpected_config_update_mode_is_treated_like_a_reset()
    {
        var f = new Bq76952Fixture().Initialized();
        Assert.Equal(BusStatus.Ok, f.Chip.Write([0x3E, 0x90, 0x00], 0, 3)); // someone else entered CONFIG_UPDATE
        Assert.False(f.Driver.Measure(f.Readings));
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.DeviceReset);
        Assert.False(f.Chip.ConfigUpdateMode);
        Assert.True(f.Driver.Measure(f.Readings));
        f.AssertReadingsEqualPack();
    }

    [Fact]
    public void Reset_during_a_communication_outage_is_caught_at_the_first_good_scan()
    {
        var f = new Bq76952Fixture().Initialized();
        f.Chip.Inject(EmulatorFault.ChipReset);
        f.Chip.Inject(EmulatorFault.Nack, f.Config.MaxAttempts); // the whole next scan is lost
        Assert.False(f.Driver.Measure(f.Readings));
        f.AssertAllInvalid();
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.CommunicationError);
        Assert.Equal(0, f.Driver.Statistics.ResetsDetected);

        Assert.False(f.Driver.Measure(f.Readings));
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.DeviceReset);
        Assert.Equal(1, f.Driver.Statistics.ResetsDetected);
        Assert.True(f.Driver.IsConfigured);

        Assert.True(f.Driver.Measure(f.Readings));
        f.AssertReadingsEqualPack();
    }

    [Fact]
    public void Failed_reconfiguration_after_a_reset_is_retried_on_the_next_scan()
    {
        var f = new Bq76952Fixture().Initialized();
        f.Chip.Inject(EmulatorFault.ChipReset);
        f.Chip.Inject(EmulatorFault.CorruptCrc); // without CRC mode this spoils every subcommand checksum: re-init cannot verify
        Assert.False(f.Driver.Measure(f.Readings));
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.DeviceReset);
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.CommunicationError);
        Assert.False(f.Driver.IsConfigured);

        f.Chip.ClearAll();
        Assert.True(f.Driver.Measure(f.Readings)); // configures first, then scans
        Assert.True(f.Driver.IsConfigured);
        f.AssertReadingsEqualPack();
    }

    [Fact]
    public void With_a_timed_chip_nothing_is_trusted_before_its_first_loop_and_too_fast_polling_is_flagged()
    {
        var f = new Bq76952Fixture(chipClock: true).Initialized();
        Assert.Equal(63_000, f.Chip.LoopPeriod_us); // 16 cells + 2 + three thermistors, 3 ms each

        // Straight after configuration the chip has not finished a loop: no value, but no fault either.
        Assert.False(f.Driver.Measure(f.Readings));
        f.AssertAllInvalid();
        Assert.Equal(CellMonitorFaults.None, f.Readings.Faults);

        // After one loop the cells are measured, the temperatures not yet (they need a full scan of three loops).
        f.Clock.Advance_us(100_000);
        Assert.False(f.Driver.Measure(f.Readings));
        Assert.All(f.Readings.CellValid, Assert.True);
        Assert.All(f.Readings.TemperatureValid, Assert.False);
        Assert.Equal(CellMonitorFaults.None, f.Readings.Faults);
        f.Clock.Advance_us(100_000);
        Assert.True(f.Driver.Measure(f.Readings));
        f.AssertReadingsEqualPack();

        for (int i = 0; i < 5; i++)
        {
            f.Clock.Advance_us(100_000);
            f.Pack.CellVoltage_mV[0] = 3500 + i;
            Assert.True(f.Driver.Measure(f.Readings));
            Assert.Equal(3500 + i, f.Readings.CellVoltage_mV[0]);
        }
        // Polling faster than the chip converts runs out of fresh data after StaleScanLimit scans.
        f.Clock.Advance_us(100_000);
        Assert.True(f.Driver.Measure(f.Readings));
        f.Clock.Advance_us(1_000);
        Assert.True(f.Driver.Measure(f.Readings));
        f.Clock.Advance_us(1_000);
        Assert.False(f.Driver.Measure(f.Readings));
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.DeviceFault);
        f.Clock.Advance_us(100_000);
        Assert.True(f.Driver.Measure(f.Readings));
    }

    [Fact]
    public void With_a_timed_chip_temperatures_follow_full_scans_of_three_loops()
    {
        var f = new Bq76952Fixture(chipClock: true).Initialized();
        f.Clock.Advance_us(200_000);
        Assert.True(f.Driver.Measure(f.Readings));
        Assert.Equal(f.Pack.Temperature_dC[0], f.Readings.Temperature_dC[0]);

        f.Pack.Temperature_dC[0] = 400;
        f.Pack.CellVoltage_mV[0] = 3456;
        int loopsSeen = 0;
        bool temperatureUpdated = false;
        while (!temperatureUpdated)
        {
            f.Clock.Advance_us(f.Chip.LoopPeriod_us);
            Assert.True(f.Driver.Measure(f.Readings));
            Assert.Equal(3456, f.Readings.CellVoltage_mV[0]); // cells: every loop
            loopsSeen++;
            temperatureUpdated = f.Readings.Temperature_dC[0] == 400;
        }
        Assert.InRange(loopsSeen, 1, 3);
    }

    [Fact]
    public void Reset_seen_by_the_fast_current_read_invalidates_the_current_and_the_next_scan_reconfigures()
    {
        // 0.5 mOhm shunt: after a reset CC Gain is back at the 1 mOhm default and CC2 would read half the current.
        var f = new Bq76952Fixture(configure: c => c.SenseResistor_uOhm = 500);
        f.Chip.SenseResistor_uOhm = 500;
        f.Pack.Current_mA = -20_000;
        f.Driver.Initialize();
        Assert.True(f.Driver.ReadCurrent(f.Readings));
        Assert.Equal(-20_000, f.Readings.Current_mA);

        f.Chip.Inject(EmulatorFault.ChipReset);
        f.Readings.Faults = CellMonitorFaults.None;
        Assert.False(f.Driver.ReadCurrent(f.Readings));
        Assert.False(f.Readings.CurrentValid);
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.DeviceReset);
        Assert.Equal(1, f.Driver.Statistics.ResetsDetected);
        Assert.False(f.Driver.ReadCurrent(f.Readings)); // no half-scaled current in between

        Assert.True(f.Driver.Measure(f.Readings));      // re-configures, then scans
        Assert.NotEqual(0, f.Readings.Faults & CellMonitorFaults.DeviceReset);
        Assert.Equal(1, f.Driver.Statistics.ResetsDetected);
        Assert.Equal(-20_000, f.Readings.Current_mA);
        Assert.True(f.Driver.ReadCurrent(f.Readings));
        Assert.Equal(-20_000, f.Readings.Current_mA);
    }

    [Fact]
    public void Without_the_reset_check_the_fast_current_read_is_a_single_transaction()
    {
        var f = new Bq76952Fixture(configure: c => c.CheckResetOnCurrentRead = false).Initialized();
        long before = f.Driver.Statistics.Transfers;
        Assert.True(f.Driver.ReadCurrent(f.Readings));
        Assert.Equal(1, f.Driver.Statistics.Transfers - before);
        var g = new Bq76952Fixture().Initialized();
        before = g.Driver.Statistics.Transfers;
        Assert.True(g.Driver.ReadCurrent(g.Readings));
        Assert.Equal(2, g.Driver.Statistics.Transfers - before);
    }

    [Theory]
    [InlineData(EmulatorFault.OpenWire)]
    [InlineData(EmulatorFault.DeviceMissing)]
    public void Faults_a_single_bq76952_cannot_show_are_refused_and_open_wire_test_is_not_offered(EmulatorFault fault)
    {
        var f = new Bq76952Fixture().Initialized();
        Assert.Throws<NotSupportedException>(() => f.Chip.Inject(fault, 0));
        Assert.False(f.Driver.CheckOpenWires(new bool[17]));
    }

    [Theory]
    [InlineData(Bq76952Registers.DmCcGain)]
    [InlineData(Bq76952Registers.DmCovThreshold)]
    [InlineData(Bq76952Registers.DmUtdThreshold)]
    [InlineData(Bq76952Registers.DmVcellMode)]
    [InlineData(Bq76952Registers.DmCellBalanceMaxCells)]
    public void A_data_memory_write_the_chip_dropped_fails_initialize(int address)
    {
        // 0.5 mOhm so that CC Gain differs from the chip's default too (every value below does).
        var f = new Bq76952Fixture(configure: c => c.SenseResistor_uOhm = 500);
        f.Chip.SenseResistor_uOhm = 500;
        f.Chip.SilentlyDroppedDataMemoryWrites.Add(address);
        Assert.False(f.Driver.Initialize());
        Assert.False(f.Driver.IsConfigured);
        Assert.False(f.Chip.ConfigUpdateMode); // left CONFIG_UPDATE all the same
        Assert.False(f.Driver.Measure(f.Readings));
        f.AssertAllInvalid();

        f.Chip.SilentlyDroppedDataMemoryWrites.Clear();
        Assert.True(f.Driver.Measure(f.Readings));
        f.AssertReadingsEqualPack();
    }

    [Fact]
    public void Neighbouring_data_memory_values_are_verified_with_shared_reads()
    {
        var f = new Bq76952Fixture();
        Assert.True(f.Driver.DataMemoryVerifyReads < f.Driver.DataMemoryItemCount / 2);
        Assert.True(f.Driver.Initialize());
    }
}
