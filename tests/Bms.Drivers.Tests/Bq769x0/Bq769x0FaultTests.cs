using Bms.Drivers.Bq769x0;
using Bms.Drivers.CellMonitoring;
using Bms.Emulators.Bq769x0;
using Bms.Emulators.Common;
using Bms.Hal;

namespace Bms.Drivers.Tests.Bq769x0;

/// <summary>Every fault the emulator can show, with what the driver must make of it.</summary>
public class Bq769x0FaultTests
{
    private static void AssertNothingValid(CellMonitorReadings r)
    {
        Assert.DoesNotContain(true, r.CellValid);
        Assert.DoesNotContain(true, r.TemperatureValid);
        Assert.False(r.CurrentValid);
        Assert.False(r.StackVoltageValid);
    }

    [Theory]
    [InlineData(Bq769x0Variant.Bq76920, 5, 1)]
    [InlineData(Bq769x0Variant.Bq76940, 15, 3)]
    public void Corrupt_crc_is_retried_counted_and_leaves_nothing_valid(Bq769x0Variant variant, int cells, int temps)
    {
        var rig = new Bq769x0Rig(variant, cells, temps, crc: true);
        rig.StartAndSettle();
        var s = rig.Driver.Statistics;
        long crcErrors = s.CrcErrors, retries = s.Retries, failed = s.FailedTransfers;

        rig.Chip.Inject(EmulatorFault.CorruptCrc);
        Assert.False(rig.MeasureAfter(100));
        Assert.Equal(CellMonitorFaults.CommunicationError, rig.Readings.Faults);
        AssertNothingValid(rig.Readings);
        Assert.Equal(crcErrors + 1 + rig.Config.Retries, s.CrcErrors);   // every attempt of the status read
        Assert.Equal(retries + rig.Config.Retries, s.Retries);
        Assert.Equal(failed + 1, s.FailedTransfers);
        Assert.False(rig.Driver.ReadCurrent(rig.Readings));

        rig.Chip.Clear(EmulatorFault.CorruptCrc);
        Assert.True(rig.MeasureAfter(100));
        Assert.Equal(CellMonitorFaults.None, rig.Readings.Faults);
    }

    [Theory]
    [InlineData(EmulatorFault.Nack)]
    [InlineData(EmulatorFault.NoAnswer)]
    public void A_silent_chip_fails_the_scan_after_bounded_retries(EmulatorFault fault)
    {
        foreach (bool crc in new[] { true, false })
        {
            var rig = new Bq769x0Rig(Bq769x0Variant.Bq76930, 10, 2, crc);
            rig.StartAndSettle();
            long transfers = rig.Driver.Statistics.Transfers;
            rig.Chip.Inject(fault);
            Assert.False(rig.MeasureAfter(100));
            Assert.Equal(CellMonitorFaults.CommunicationError, rig.Readings.Faults);
            AssertNothingValid(rig.Readings);
            Assert.Equal(transfers + 1 + rig.Config.Retries, rig.Driver.Statistics.Transfers); // bounded: one read, three attempts
            Assert.Equal(0, rig.Driver.Statistics.CrcErrors);
            Assert.False(rig.Driver.ReadCurrent(rig.Readings));
            Assert.False(rig.Driver.SetProtectionFets(true, true));
            Assert.False(rig.Driver.Initialize());
            Assert.False(rig.Driver.IsConfigured);

            rig.Chip.Clear(fault);
            Assert.False(rig.MeasureAfter(100));             // re-configures first, then waits for a conversion
            Assert.True(rig.Driver.IsConfigured);
            Assert.True(rig.MeasureAfter(300));
        }
    }

    [Fact]
    public void One_failed_attempt_is_absorbed_by_a_retry()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76940, 15, 3, crc: true, wrap: chip => new MeddlingBus(chip));
        rig.StartAndSettle();
        long retries = rig.Driver.Statistics.Retries;
        ((MeddlingBus)rig.Bus).FailNext = 1;
        Assert.True(rig.MeasureAfter(100));
        Assert.Equal(retries + 1, rig.Driver.Statistics.Retries);
        Assert.Equal(0, rig.Driver.Statistics.FailedTransfers);
        Assert.Equal(CellMonitorFaults.None, rig.Readings.Faults);
    }

    [Fact]
    public void A_failed_cell_read_invalidates_the_cells_only()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76920, 5, 1, crc: false, wrap: chip => new MeddlingBus(chip));
        rig.StartAndSettle();
        ((MeddlingBus)rig.Bus).FailReadsOf = Bq769x0Registers.Vc1Hi;
        Assert.False(rig.MeasureAfter(250));
        Assert.Equal(CellMonitorFaults.CommunicationError, rig.Readings.Faults);
        Assert.DoesNotContain(true, rig.Readings.CellValid);
        Assert.True(rig.Readings.StackVoltageValid);
        Assert.True(rig.Readings.TemperatureValid[0]);
        Assert.True(rig.Readings.CurrentValid);
    }

    [Fact]
    public void Stuck_cell_and_thermistor_keep_their_value_while_the_pack_moves()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76940, 15, 3, crc: true);
        rig.StartAndSettle();
        int stuckCell = rig.Readings.CellVoltage_mV[2];
        int stuckTemperature = rig.Readings.Temperature_dC[1];
        rig.Chip.Inject(EmulatorFault.StuckValue, 2);
        rig.Chip.Inject(EmulatorFault.StuckValue, 15 + 1); // cell count + thermistor index
        rig.Pack.CellVoltage_mV[2] = 3900;
        rig.Pack.CellVoltage_mV[3] = 3900;
        rig.Pack.Temperature_dC[1] = 450;
        Assert.True(rig.MeasureAfter(300));
        // The chip cannot know: the value is "valid" and frozen; plausibility in the firmware must catch it.
        Assert.Equal(stuckCell, rig.Readings.CellVoltage_mV[2]);
        Assert.InRange(rig.Readings.CellVoltage_mV[3], 3899, 3901);
        Assert.Equal(stuckTemperature, rig.Readings.Temperature_dC[1]);

        rig.Chip.Clear(EmulatorFault.StuckValue);
        Assert.True(rig.MeasureAfter(300));
        Assert.InRange(rig.Readings.CellVoltage_mV[2], 3899, 3901);
        Assert.InRange(rig.Readings.Temperature_dC[1], 448, 452);
    }

    [Fact]
    public void Frozen_conversions_are_detected_by_the_silent_coulomb_counter()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76930, 10, 2, crc: true);
        rig.Pack.Current_mA = 5000;
        rig.StartAndSettle();
        int before = rig.Readings.CellVoltage_mV[0];
        rig.Chip.Inject(EmulatorFault.FrozenValue);
        rig.Pack.CellVoltage_mV[0] = 3300;
        rig.Pack.Current_mA = -5000;

        // Within one conversion period nothing is known to be wrong yet.
        Assert.True(rig.MeasureAfter(200));
        Assert.Equal(before, rig.Readings.CellVoltage_mV[0]);

        // Past the allowed age of the last conversion: the chip is not converting, nothing is valid.
        Assert.False(rig.MeasureAfter(500));
        Assert.Equal(CellMonitorFaults.DeviceFault, rig.Readings.Faults);
        AssertNothingValid(rig.Readings);
        Assert.False(rig.Driver.ReadCurrent(rig.Readings));
        Assert.Equal(0, rig.Driver.Statistics.ResetsDetected);   // configuration intact: not a reset

        rig.Chip.Clear(EmulatorFault.FrozenValue);
        Assert.True(rig.MeasureAfter(300));
        Assert.InRange(rig.Readings.CellVoltage_mV[0], 3299, 3301);
        Assert.InRange(rig.Readings.Current_mA, -5005, -4995);
    }

    [Fact]
    public void Chip_reset_is_detected_counted_and_reconfigured_with_fets_left_open()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76940, 14, 3, crc: true);
        rig.StartAndSettle();
        Assert.True(rig.Driver.SetProtectionFets(true, true));
        var balance = new bool[14];
        balance[0] = true;
        Assert.True(rig.Driver.SetBalancing(balance));

        rig.Chip.Inject(EmulatorFault.ChipReset);
        Assert.False(rig.Chip.ChargeFetOn);
        Assert.Equal(0, rig.Chip.Peek(Bq769x0Registers.CcCfg));

        Assert.False(rig.MeasureAfter(100));
        Assert.Equal(CellMonitorFaults.DeviceReset, rig.Readings.Faults);
        AssertNothingValid(rig.Readings);
        Assert.Equal(1, rig.Driver.Statistics.ResetsDetected);
        Assert.Equal(Bq769x0Registers.CcCfgRequired, rig.Chip.Peek(Bq769x0Registers.CcCfg));
        Assert.Equal(0, rig.Chip.Peek(Bq769x0Registers.SysStat) & Bq769x0Registers.StatDeviceXReady);
        Assert.NotEqual(0, rig.Chip.Peek(Bq769x0Registers.SysCtrl1) & Bq769x0Registers.Ctrl1AdcEn);
        Assert.False(rig.Chip.ChargeFetOn || rig.Chip.DischargeFetOn); // closing them again is the firmware's decision
        Assert.Equal(0, rig.Chip.BalancingInputMask);

        Assert.True(rig.MeasureAfter(300));
        Assert.Equal(CellMonitorFaults.None, rig.Readings.Faults);
        Assert.Equal(1, rig.Driver.Statistics.ResetsDetected);
    }

    [Fact]
    public void Chip_reset_seen_on_the_current_path_is_handled_too()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76920, 4, 1, crc: false);
        rig.StartAndSettle();
        rig.Chip.Inject(EmulatorFault.ChipReset);
        rig.Readings.Faults = 0;
        Assert.False(rig.Driver.ReadCurrent(rig.Readings));
        Assert.NotEqual(0, rig.Readings.Faults & CellMonitorFaults.DeviceReset);
        Assert.Equal(1, rig.Driver.Statistics.ResetsDetected);
        Assert.Equal(Bq769x0Registers.CcCfgRequired, rig.Chip.Peek(Bq769x0Registers.CcCfg));
    }

    [Fact]
    public void A_reset_without_xready_is_found_through_stalled_conversions_and_lost_configuration()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76930, 10, 2, crc: true);
        rig.StartAndSettle();
        rig.Chip.Inject(EmulatorFault.ChipReset);
        rig.Chip.Poke(Bq769x0Registers.SysStat, 0); // the flag got lost
        for (int t = 0; t < 700 && rig.Driver.Statistics.ResetsDetected == 0; t += 100) rig.MeasureAfter(100);
        Assert.Equal(1, rig.Driver.Statistics.ResetsDetected);
        Assert.NotEqual(0, rig.Readings.Faults & CellMonitorFaults.DeviceReset);
        Assert.Equal(Bq769x0Registers.CcCfgRequired, rig.Chip.Peek(Bq769x0Registers.CcCfg));
        Assert.True(rig.MeasureAfter(300));
    }

    [Fact]
    public void Open_and_shorted_thermistors_are_invalid_not_hot_or_cold()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76940, 15, 3, crc: true);
        rig.StartAndSettle();
        rig.Chip.OpenThermistor(0);
        rig.Chip.ShortThermistor(2);
        Assert.False(rig.MeasureAfter(300));
        Assert.False(rig.Readings.TemperatureValid[0]);
        Assert.True(rig.Readings.TemperatureValid[1]);
        Assert.False(rig.Readings.TemperatureValid[2]);
        Assert.Equal(CellMonitorFaults.None, rig.Readings.Faults);   // a sensor fault, not a bus fault
        Assert.All(rig.Readings.CellValid, Assert.True);
    }

    [Theory]
    [InlineData(Bq769x0BadCrcResponse.Nack, BusStatus.DataNack)]
    [InlineData(Bq769x0BadCrcResponse.IgnoreSilently, BusStatus.Ok)]
    public void The_chip_refuses_a_write_with_a_bad_crc(Bq769x0BadCrcResponse response, BusStatus expected)
    {
        var clock = new VirtualClock();
        var chip = new Bq769x0Emulator(new EmulatedPack(5, 1), clock, new Bq769x0EmulatorOptions { Variant = Bq769x0Variant.Bq76920, BadCrcResponse = response });
        Assert.Equal(expected, chip.Write(new byte[] { 0x05, 0x40, 0x25 }, 0, 3));
        Assert.Equal(0, chip.Peek(Bq769x0Registers.SysCtrl2));
        Assert.Equal(1, chip.RejectedWrites);
        Assert.Equal(BusStatus.Ok, chip.Write(new byte[] { 0x05, 0x40, 0x24 }, 0, 3));
        Assert.Equal(0x40, chip.Peek(Bq769x0Registers.SysCtrl2));
    }

    [Theory]
    [InlineData(Bq769x0BadCrcResponse.Nack)]
    [InlineData(Bq769x0BadCrcResponse.IgnoreSilently)]
    public void Writes_the_chip_refused_are_caught_by_nack_or_read_back(Bq769x0BadCrcResponse response)
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76920, 5, 1, crc: true, badCrc: response, wrap: chip => new MeddlingBus(chip));
        rig.StartAndSettle();
        var bus = (MeddlingBus)rig.Bus;
        bus.CorruptWriteCrc = true;
        Assert.False(rig.Driver.SetProtectionFets(true, true));
        Assert.False(rig.Chip.ChargeFetOn);
        Assert.False(rig.Driver.SetBalancing(new[] { true, false, false, false, false }));
        Assert.Equal(0, rig.Chip.BalancingInputMask);
        rig.Chip.Inject(EmulatorFault.ChipReset);          // configuration lost: re-writing it must be seen to fail
        Assert.False(rig.Driver.Initialize());
        Assert.NotEqual(Bq769x0Registers.CcCfgRequired, rig.Chip.Peek(Bq769x0Registers.CcCfg));
        Assert.True(rig.Chip.RejectedWrites >= 3);

        bus.CorruptWriteCrc = false;
        Assert.True(rig.Driver.Initialize());
        Assert.True(rig.Driver.SetProtectionFets(true, true));
        Assert.True(rig.Chip.ChargeFetOn);
    }

    [Fact]
    public void Open_wire_check_is_not_offered_by_this_chip()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76920, 5, 1, crc: true);
        var wires = Enumerable.Repeat(true, 6).ToArray();
        Assert.False(rig.Driver.CheckOpenWires(wires));
        Assert.DoesNotContain(true, wires);
        Assert.Throws<NotSupportedException>(() => rig.Chip.Inject(EmulatorFault.OpenWire, 1));
    }
}

/// <summary>SHIP mode: where the chip sits after power-on, and how the driver gets it out.</summary>
public class Bq769x0ShipModeTests
{
    private static (Bms.Emulators.Common.VirtualClock, Bq769x0Emulator, Bq769x0Configuration) Shipped()
    {
        var clock = new VirtualClock(5);
        var pack = new EmulatedPack(5, 1);
        for (int i = 0; i < 5; i++) pack.CellVoltage_mV[i] = 3700;
        var chip = new Bq769x0Emulator(pack, clock, new Bq769x0EmulatorOptions { Variant = Bq769x0Variant.Bq76920, StartInShipMode = true });
        var config = new Bq769x0Configuration { Variant = Bq769x0Variant.Bq76920, CellCount = 5, ThermistorCount = 1 };
        return (clock, chip, config);
    }

    [Fact]
    public void Initialize_wakes_a_shipped_chip_with_a_pulse_on_ts1()
    {
        var (clock, chip, config) = Shipped();
        var driver = new Bms.Drivers.Bq769x0.Bq769x0(chip, clock, config, chip.BootPin, clock);
        long before = clock.Now_us;
        Assert.True(driver.Initialize());
        Assert.False(chip.InShipMode);
        Assert.False(chip.BootPin.State);                              // pulse, not a level
        Assert.True(clock.Now_us - before >= config.BootPulse_us + config.BootWait_ms * 1000L);
        var readings = new CellMonitorReadings(5, 1);
        clock.Advance_us(300_000);
        Assert.True(driver.Measure(readings));
        Assert.InRange(readings.CellVoltage_mV[0], 3699, 3701);
    }

    [Fact]
    public void Without_a_boot_line_a_shipped_chip_is_a_communication_error()
    {
        var (clock, chip, config) = Shipped();
        var driver = new Bms.Drivers.Bq769x0.Bq769x0(chip, clock, config);
        Assert.False(driver.Initialize());
        var readings = new CellMonitorReadings(5, 1);
        Assert.False(driver.Measure(readings));
        Assert.Equal(CellMonitorFaults.CommunicationError, readings.Faults);
    }

    [Fact]
    public void Enter_ship_mode_sends_the_two_step_shutdown_and_the_chip_goes_quiet()
    {
        var (clock, chip, config) = Shipped();
        var driver = new Bms.Drivers.Bq769x0.Bq769x0(chip, clock, config, chip.BootPin, clock);
        Assert.True(driver.Initialize());
        Assert.True(driver.SetProtectionFets(true, true));
        Assert.True(driver.EnterShipMode());
        Assert.True(chip.InShipMode);
        Assert.False(chip.ChargeFetOn || chip.DischargeFetOn);
        Assert.False(driver.IsConfigured);
        Assert.False(driver.SetProtectionFets(true, true));
    }
}
