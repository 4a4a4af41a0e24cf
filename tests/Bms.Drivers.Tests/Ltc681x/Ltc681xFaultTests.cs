using Bms.Drivers.CellMonitoring;
using Bms.Drivers.Ltc681x;
using Bms.Emulators.Common;

namespace Bms.Drivers.Tests.Ltc681x;

/// <summary>Every fault the chain emulator can show, and what the driver makes of it.</summary>
public class Ltc681xFaultTests
{
    private static Ltc681xRig Ready(int devices = 3, int gpioMask = 0b11)
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6811, devices, gpioMask: gpioMask);
        rig.SpreadPack(42);
        Assert.True(rig.Afe.Initialize());
        Assert.True(rig.Scan());
        return rig;
    }

    private static IEnumerable<int> CellsOf(int device) => Enumerable.Range(device * 12, 12);

    [Fact]
    public void Persistent_pec_corruption_marks_everything_invalid_after_bounded_retries()
    {
        var rig = Ready();
        rig.Chain.Inject(EmulatorFault.CorruptCrc);
        long retries = rig.Afe.Statistics.Retries, failed = rig.Afe.Statistics.FailedTransfers;
        long transfersBefore = rig.Afe.Statistics.Transfers;

        Assert.False(rig.Scan());

        Assert.DoesNotContain(true, rig.Readings.CellValid);
        Assert.DoesNotContain(true, rig.Readings.TemperatureValid);
        Assert.NotEqual(0, rig.Readings.Faults & CellMonitorFaults.CommunicationError);
        Assert.Equal(0, rig.Readings.Faults & CellMonitorFaults.DeviceMissing); // answers came, just damaged
        Assert.True(rig.Afe.Statistics.CrcErrors > 0);
        Assert.True(rig.Afe.Statistics.FailedTransfers > failed);
        // 1 config + 4 cell + 1 aux group read, each tried 1 + MaxRetries(2) times.
        Assert.Equal(retries + 6 * 2, rig.Afe.Statistics.Retries);
        Assert.True(rig.Afe.Statistics.Transfers - transfersBefore < 40, "retries are bounded");

        rig.Chain.Clear(EmulatorFault.CorruptCrc);
        Assert.True(rig.Scan());
        Assert.DoesNotContain(false, rig.Readings.CellValid);
    }

    [Fact]
    public void Pec_corruption_on_one_device_invalidates_only_its_cells()
    {
        var rig = Ready();
        rig.Chain.Inject(EmulatorFault.CorruptCrc, 1);
        Assert.False(rig.Scan());
        foreach (int c in CellsOf(0).Concat(CellsOf(2)))
        {
            Assert.True(rig.Readings.CellValid[c]);
            Assert.Equal(rig.ExpectedCell_mV(c), rig.Readings.CellVoltage_mV[c]);
        }
        foreach (int c in CellsOf(1)) Assert.False(rig.Readings.CellValid[c]);
        Assert.False(rig.Readings.TemperatureValid[2]);
        Assert.False(rig.Readings.TemperatureValid[3]);
        Assert.True(rig.Readings.TemperatureValid[0]);
        Assert.True(rig.Readings.TemperatureValid[5]);
    }

    [Fact]
    public void A_single_damaged_answer_is_recovered_by_a_retry()
    {
        var rig = Ready();
        long crc = rig.Afe.Statistics.CrcErrors, retries = rig.Afe.Statistics.Retries, failed = rig.Afe.Statistics.FailedTransfers;
        rig.Chain.CorruptNextAnswers(1);
        Assert.True(rig.Scan());
        Assert.DoesNotContain(false, rig.Readings.CellValid);
        Assert.Equal(crc + 3, rig.Afe.Statistics.CrcErrors); // three devices' blocks in that frame
        Assert.Equal(retries + 1, rig.Afe.Statistics.Retries);
        Assert.Equal(failed, rig.Afe.Statistics.FailedTransfers);
    }

    [Fact]
    public void No_answer_marks_all_invalid_and_reports_missing_devices()
    {
        var rig = Ready();
        rig.Chain.Inject(EmulatorFault.NoAnswer);
        Assert.False(rig.Scan());
        Assert.DoesNotContain(true, rig.Readings.CellValid);
        Assert.DoesNotContain(true, rig.Readings.TemperatureValid);
        Assert.NotEqual(0, rig.Readings.Faults & CellMonitorFaults.DeviceMissing);
        Assert.NotEqual(0, rig.Readings.Faults & CellMonitorFaults.CommunicationError);

        rig.Chain.Clear(EmulatorFault.NoAnswer);
        Assert.True(rig.Scan());
        Assert.Equal(CellMonitorFaults.None, rig.Readings.Faults);
    }

    [Fact]
    public void Missing_device_cuts_off_itself_and_the_devices_beyond()
    {
        var rig = Ready();
        rig.Chain.Inject(EmulatorFault.DeviceMissing, 1);
        Assert.False(rig.Scan());
        foreach (int c in CellsOf(0)) Assert.Equal(rig.ExpectedCell_mV(c), rig.Readings.CellVoltage_mV[c]);
        Assert.True(CellsOf(0).All(c => rig.Readings.CellValid[c]));
        Assert.True(CellsOf(1).Concat(CellsOf(2)).All(c => !rig.Readings.CellValid[c]));
        Assert.NotEqual(0, rig.Readings.Faults & CellMonitorFaults.DeviceMissing);
    }

    [Fact]
    public void Stuck_cell_keeps_reading_its_value_while_the_pack_moves()
    {
        var rig = Ready();
        int stuckAt = rig.Readings.CellVoltage_mV[7];
        rig.Chain.Inject(EmulatorFault.StuckValue, 7);
        for (int c = 0; c < rig.Chain.Pack.CellCount; c++) rig.Chain.Pack.CellVoltage_mV[c] -= 150;
        Assert.True(rig.Scan());
        // The AFE driver cannot know (the chip reports a plausible code); plausibility checks upstream must.
        Assert.Equal(stuckAt, rig.Readings.CellVoltage_mV[7]);
        Assert.True(rig.Readings.CellValid[7]);
        Assert.Equal(rig.ExpectedCell_mV(6), rig.Readings.CellVoltage_mV[6]);
        Assert.Equal(rig.ExpectedCell_mV(8), rig.Readings.CellVoltage_mV[8]);
    }

    [Fact]
    public void Stuck_thermistor_keeps_its_temperature()
    {
        var rig = Ready();
        int before = rig.Readings.Temperature_dC[3];
        rig.Chain.Inject(EmulatorFault.StuckValue, rig.Chain.Pack.CellCount + 3);
        rig.Chain.Pack.Temperature_dC[3] += 200;
        rig.Chain.Pack.Temperature_dC[2] += 200;
        Assert.True(rig.Scan());
        Assert.Equal(before, rig.Readings.Temperature_dC[3]);
        Assert.InRange(rig.Readings.Temperature_dC[2], rig.Chain.Pack.Temperature_dC[2] - 3, rig.Chain.Pack.Temperature_dC[2] + 3);
    }

    [Fact]
    public void Frozen_adc_is_never_reported_as_fresh()
    {
        var rig = Ready();
        rig.Chain.Inject(EmulatorFault.FrozenValue);
        for (int c = 0; c < rig.Chain.Pack.CellCount; c++) rig.Chain.Pack.CellVoltage_mV[c] += 100;
        Assert.False(rig.Scan());
        // CLRCELL before every ADCV: a conversion that never ran leaves 0xFFFF, not last scan's value.
        Assert.DoesNotContain(true, rig.Readings.CellValid);
        Assert.DoesNotContain(true, rig.Readings.TemperatureValid);
        Assert.Equal(0xFFFF, rig.Afe.RawCellCode(0, 0));

        rig.Chain.Clear(EmulatorFault.FrozenValue);
        Assert.True(rig.Scan());
        Assert.Equal(rig.ExpectedCell_mV(0), rig.Readings.CellVoltage_mV[0]);
    }

    [Fact]
    public void Open_wire_shows_in_the_scan_faults_after_the_wire_test()
    {
        var rig = Ready();
        rig.Chain.Inject(EmulatorFault.OpenWire, 5);
        var open = new bool[37];
        Assert.True(rig.Afe.CheckOpenWires(open));
        Assert.True(open[5]);
        rig.Scan();
        Assert.NotEqual(0, rig.Readings.Faults & CellMonitorFaults.OpenWire);
        rig.Chain.Clear(EmulatorFault.OpenWire);
        Assert.True(rig.Afe.CheckOpenWires(open));
        Assert.True(rig.Scan());
        Assert.Equal(0, rig.Readings.Faults & CellMonitorFaults.OpenWire);
    }

    [Fact]
    public void Chip_reset_is_detected_counted_reconfigured_and_the_scan_still_valid()
    {
        var rig = Ready();
        rig.Chain.Inject(EmulatorFault.ChipReset, 2);
        Assert.Equal(0, rig.Chain.ConfigurationA(2)[0] & 0x04);

        Assert.True(rig.Scan());

        Assert.Equal(1, rig.Afe.Statistics.ResetsDetected);
        Assert.NotEqual(0, rig.Readings.Faults & CellMonitorFaults.DeviceReset);
        Assert.Equal(0x04, rig.Chain.ConfigurationA(2)[0] & 0x04);
        Assert.DoesNotContain(false, rig.Readings.CellValid);
        Assert.True(rig.Scan());
        Assert.Equal(1, rig.Afe.Statistics.ResetsDetected);
        Assert.Equal(0, rig.Readings.Faults & CellMonitorFaults.DeviceReset);
    }

    [Fact]
    public void Reset_of_the_whole_chain_counts_each_device()
    {
        var rig = Ready();
        rig.Chain.Inject(EmulatorFault.ChipReset);
        Assert.True(rig.Scan());
        Assert.Equal(3, rig.Afe.Statistics.ResetsDetected);
    }

    [Fact]
    public void Watchdog_sleep_after_a_pause_is_woken_reconfigured_and_read()
    {
        var rig = Ready();
        Assert.True(rig.Scan(3000)); // 3 s without traffic: cores slept and lost configuration
        Assert.True(rig.Chain.WatchdogTimeouts >= 3);
        Assert.Equal(3, rig.Afe.Statistics.ResetsDetected);
        Assert.DoesNotContain(false, rig.Readings.CellValid);
        Assert.Equal(0, rig.Afe.Statistics.FailedTransfers);
    }

    [Fact]
    public void Driver_that_wakes_the_chain_keeps_it_awake_at_100_ms()
    {
        var rig = Ready();
        int timeouts = rig.Chain.WatchdogTimeouts;
        for (int i = 0; i < 50; i++) Assert.True(rig.Scan());
        Assert.Equal(timeouts, rig.Chain.WatchdogTimeouts);
        Assert.Equal(0, rig.Afe.Statistics.ResetsDetected);
    }

    [Fact]
    public void Open_or_shorted_thermistor_is_invalid_not_hot_or_cold()
    {
        var rig = Ready(devices: 1);
        rig.Chain.Pack.Temperature_dC[0] = -1200; // open: divider at the reference
        rig.Chain.Pack.Temperature_dC[1] = 3500;  // shorted: divider at 0 V
        Assert.False(rig.Scan());
        Assert.False(rig.Readings.TemperatureValid[0]);
        Assert.False(rig.Readings.TemperatureValid[1]);
        Assert.DoesNotContain(false, rig.Readings.CellValid);
    }
}
