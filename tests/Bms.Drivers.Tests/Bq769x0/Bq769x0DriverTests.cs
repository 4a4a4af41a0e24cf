using Bms.Drivers.Bq769x0;
using Bms.Drivers.CellMonitoring;
using Bms.Emulators.Bq769x0;
using Bq769x0Monitor = Bms.Drivers.Bq769x0.Bq769x0;

namespace Bms.Drivers.Tests.Bq769x0;

/// <summary>The driver against the register-level emulator: every variant, both CRC modes.</summary>
public class Bq769x0DriverTests(ITestOutputHelper output)
{
    // variant, cells, thermistors, gain trim, offset trim
    public static TheoryData<Bq769x0Variant, int, int, bool, int, int> Stacks()
    {
        var data = new TheoryData<Bq769x0Variant, int, int, bool, int, int>();
        foreach (bool crc in new[] { true, false })
        {
            data.Add(Bq769x0Variant.Bq76920, 5, 1, crc, 377, 48);
            data.Add(Bq769x0Variant.Bq76920, 3, 1, crc, 365, -20);
            data.Add(Bq769x0Variant.Bq76930, 10, 2, crc, 396, 127);
            data.Add(Bq769x0Variant.Bq76930, 7, 2, crc, 382, -128);
            data.Add(Bq769x0Variant.Bq76940, 15, 3, crc, 371, 5);
            data.Add(Bq769x0Variant.Bq76940, 14, 3, crc, 377, 48);
            data.Add(Bq769x0Variant.Bq76940, 9, 0, crc, 390, 0);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Stacks))]
    public void A_scan_reads_every_value_bit_exactly_as_the_chip_converted_it(Bq769x0Variant variant, int cells, int temps, bool crc, int gain, int offset)
    {
        var rig = new Bq769x0Rig(variant, cells, temps, crc, gain, offset);
        rig.Pack.Current_mA = -12345;
        rig.StartAndSettle();
        var r = rig.Readings;

        Assert.Equal(gain, rig.Driver.Gain_uV);
        Assert.Equal(offset, rig.Driver.Offset_mV);
        Assert.Equal(CellMonitorFaults.None, r.Faults);
        for (int i = 0; i < cells; i++)
        {
            int register = Bq769x0Registers.Vc1Hi + 2 * rig.Chip.CellInput(i);
            int code = rig.RegisterPair(register) & 0x3FFF;
            int fromRegister = (int)Math.Round((code * (double)gain + offset * 1000.0) / 1000.0, MidpointRounding.AwayFromZero);
            Assert.True(r.CellValid[i]);
            Assert.Equal(fromRegister, r.CellVoltage_mV[i]);                 // the driver's arithmetic, bit for bit
            Assert.InRange(r.CellVoltage_mV[i] - rig.Pack.CellVoltage_mV[i], -1, 1); // and the physics within half a step
        }

        int bat = rig.RegisterPair(Bq769x0Registers.BatHi);
        Assert.True(r.StackVoltageValid);
        Assert.Equal((int)Math.Round((4.0 * gain * bat + cells * offset * 1000.0) / 1000.0, MidpointRounding.AwayFromZero), r.StackVoltage_mV);
        Assert.InRange(r.StackVoltage_mV - rig.Pack.StackVoltage_mV, -2, 2);

        for (int k = 0; k < temps; k++)
        {
            Assert.True(r.TemperatureValid[k]);
            Assert.InRange(r.Temperature_dC[k] - rig.Pack.Temperature_dC[k], -2, 2);
        }

        short cc = (short)rig.RegisterPair(Bq769x0Registers.CcHi);
        Assert.True(r.CurrentValid);
        Assert.Equal((int)Math.Round(cc * 8.44 / 1.0, MidpointRounding.AwayFromZero), r.Current_mA);
        Assert.InRange(r.Current_mA - rig.Pack.Current_mA, -5, 5);

        // The driver's own traffic count agrees with what the chip saw.
        Assert.Equal(rig.Chip.BusBytes, rig.Driver.Statistics.BusBytes);
        Assert.Equal(rig.Chip.Transactions, rig.Driver.Statistics.Transfers);
        Assert.Equal(0, rig.Chip.RejectedWrites);
    }

    [Theory]
    [MemberData(nameof(Stacks))]
    public void A_full_scan_costs_at_most_one_fifth_more_bus_bytes_than_the_protocol_minimum(Bq769x0Variant variant, int cells, int temps, bool crc, int gain, int offset)
    {
        var rig = new Bq769x0Rig(variant, cells, temps, crc, gain, offset);
        rig.StartAndSettle();
        long chipBytes = rig.Chip.BusBytes;
        Assert.True(rig.MeasureAfter(250));              // a coulomb-counter conversion is waiting: the full scan
        int full = rig.Driver.Statistics.LastScanBusBytes;
        Assert.Equal(rig.Chip.BusBytes - chipBytes, full);
        Assert.Equal(0, rig.Chip.Peek(Bq769x0Registers.SysStat) & Bq769x0Registers.StatCcReady); // cleared

        int minimum = Bq769x0BusBudget.MinimumBytesPerScan(cells, temps, crc);
        output.WriteLine($"{variant} {cells} cells {temps} NTC crc={crc}: full scan {full} B, minimum {minimum} B, ratio {(double)full / minimum:F3}, reads {rig.Driver.ReadSegmentCount + 1}");
        Assert.True(full <= 1.2 * minimum, $"{full} bytes vs minimum {minimum}");
        // On its own register layout the driver's read plan is the cheapest there is.
        Assert.Equal(Bq769x0BusBudget.MinimumBytesPerScan(variant, cells, temps, crc), full);

        Assert.True(rig.MeasureAfter(100));              // no new conversion: no clearing write
        Assert.True(rig.Driver.Statistics.LastScanBusBytes < full);
    }

    [Theory]
    [InlineData(15, 3, false, 4 + 43 + 3)]   // SYS_STAT; VC1..CC_LO in one read; clear CC_READY
    [InlineData(15, 3, true, 5 + 83 + 4)]
    [InlineData(5, 1, false, 4 + 13 + 7 + 5 + 3)] // SYS_STAT; VC1..VC5; BAT+TS1; CC; clear
    public void Bus_budget_counts_the_protocol_bytes(int cells, int temps, bool crc, int expected)
    {
        Assert.Equal(expected, Bq769x0BusBudget.MinimumBytesPerScan(cells, temps, crc));
    }

    [Fact]
    public void Driver_writes_and_reads_the_published_crc_vectors_on_the_wire()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76920, 5, 1, crc: true, wrap: chip => new RecordingBus(chip));
        var recorder = (RecordingBus)rig.Bus;
        rig.StartAndSettle();
        recorder.Writes.Clear();
        // FETs off leaves SYS_CTRL2 = CC_EN = 0x40: register 05, data 40, CRC over [10 05 40] = 0x24.
        Assert.True(rig.Driver.SetProtectionFets(false, false));
        Assert.Equal(new byte[] { 0x05, 0x40, 0x24 }, recorder.Writes[0]);

        // Reading it back: data 40 with CRC over [11 40] = 0x85.
        var answer = new byte[2];
        Assert.Equal(Bms.Hal.BusStatus.Ok, rig.Chip.WriteRead(new byte[] { 0x05 }, 0, 1, answer, 0, 2));
        Assert.Equal(new byte[] { 0x40, 0x85 }, answer);
    }

    [Fact]
    public void Alternative_address_0x18_is_folded_into_the_crc()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76930, 10, 2, crc: true, address: Bq769x0Monitor.AlternativeI2cAddress);
        rig.StartAndSettle();
        Assert.Equal(0, rig.Driver.Statistics.CrcErrors);
        Assert.Equal(0, rig.Chip.RejectedWrites);
    }

    [Fact]
    public void Initialize_writes_the_configuration_the_chip_needs()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76940, 15, 3, crc: true, gain: 380, offset: 30);
        Assert.True(rig.Driver.Initialize());
        Assert.Equal(Bq769x0Registers.CcCfgRequired, rig.Chip.Peek(Bq769x0Registers.CcCfg));
        Assert.Equal(Bq769x0Registers.Ctrl1AdcEn | Bq769x0Registers.Ctrl1TempSel, rig.Chip.Peek(Bq769x0Registers.SysCtrl1));
        Assert.Equal(Bq769x0Registers.Ctrl2CcEn, rig.Chip.Peek(Bq769x0Registers.SysCtrl2));
        Assert.Equal(Bq769x0Conversions.OverVoltageTripRegister(4300, 380, 30), rig.Chip.Peek(Bq769x0Registers.OvTrip));
        Assert.Equal(Bq769x0Conversions.UnderVoltageTripRegister(2500, 380, 30), rig.Chip.Peek(Bq769x0Registers.UvTrip));
        Assert.InRange(rig.Driver.OverVoltageTrip_mV, 4300 - 7, 4300);
        Assert.InRange(rig.Driver.UnderVoltageTrip_mV, 2500, 2500 + 7);
        // 80 A and 40 A on 1 mΩ = 80 mV and 40 mV: upper range, SCD 67 mV, OCD 39 mV; 200 µs, 320 ms; UV 4 s, OV 2 s.
        Assert.Equal(0x80 | (2 << 3) | 1, rig.Chip.Peek(Bq769x0Registers.Protect1));
        Assert.Equal((5 << 4) | 4, rig.Chip.Peek(Bq769x0Registers.Protect2));
        Assert.Equal((1 << 6) | (1 << 4), rig.Chip.Peek(Bq769x0Registers.Protect3));
    }

    [Fact]
    public void No_values_before_the_first_conversion_after_configuration()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76920, 5, 1, crc: false);
        Assert.True(rig.Driver.Initialize());
        Assert.False(rig.MeasureAfter(100));
        Assert.DoesNotContain(true, rig.Readings.CellValid);
        Assert.False(rig.Readings.CurrentValid);
        Assert.False(rig.Readings.StackVoltageValid);
        Assert.True(rig.MeasureAfter(200));
    }

    [Fact]
    public void Measure_initializes_an_unconfigured_chip_itself()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76920, 5, 1, crc: true);
        Assert.False(rig.Driver.Measure(rig.Readings));
        Assert.True(rig.Driver.IsConfigured);
        Assert.True(rig.MeasureAfter(300));
    }

    [Fact]
    public void Current_fast_path_takes_each_conversion_once_and_clears_cc_ready()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76940, 15, 3, crc: true);
        rig.Pack.Current_mA = 20000;
        rig.StartAndSettle();
        int conversionsBefore = rig.Chip.CcConversions;
        int valid = 0;
        var bytesPerCall = new HashSet<long>();
        for (int step = 0; step < 100; step++) // one second of 10 ms ticks
        {
            rig.Clock.Advance_us(10_000);
            long bytes = rig.Driver.Statistics.BusBytes;
            bool ok = rig.Driver.ReadCurrent(rig.Readings);
            bytesPerCall.Add(rig.Driver.Statistics.BusBytes - bytes);
            if (ok)
            {
                valid++;
                Assert.InRange(rig.Readings.Current_mA, 19995, 20005);
            }
        }
        Assert.Equal(100, valid);                          // between conversions the latest one stands
        Assert.Equal(new long[] { 5, 16 }, bytesPerCall.Order().ToArray()); // status only; status + CC + clear (CRC mode)
        Assert.Equal(4, rig.Chip.CcConversions - conversionsBefore);
        Assert.Equal(0, rig.Chip.Peek(Bq769x0Registers.SysStat) & Bq769x0Registers.StatCcReady);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Current_reads_count_every_transfer_and_byte_the_chip_saw(bool crc)
    {
        // The 10 ms read's written-out path (status only) and the conversion path must both keep the statistics.
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76940, 15, 3, crc: crc);
        rig.Pack.Current_mA = -7000;
        rig.StartAndSettle();
        long transfers = rig.Driver.Statistics.Transfers, bytes = rig.Driver.Statistics.BusBytes;
        long chipTransfers = rig.Chip.Transactions, chipBytes = rig.Chip.BusBytes;
        int valid = 0;
        for (int step = 0; step < 300; step++)
        {
            rig.Clock.Advance_us(10_000);
            if (rig.Driver.ReadCurrent(rig.Readings))
            {
                valid++;
                Assert.True(rig.Readings.CurrentValid);
                Assert.InRange(rig.Readings.Current_mA, -7005, -6995);
            }
        }
        Assert.Equal(300, valid);
        Assert.Equal(rig.Chip.Transactions - chipTransfers, rig.Driver.Statistics.Transfers - transfers);
        Assert.Equal(rig.Chip.BusBytes - chipBytes, rig.Driver.Statistics.BusBytes - bytes);
        Assert.Equal(0, rig.Driver.Statistics.Retries);
    }

    [Fact]
    public void Coulomb_counter_averages_the_current_over_its_250_ms_window()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76920, 5, 1, crc: false);
        rig.StartAndSettle();
        // Align to a window start: the last conversion happened at init + 250 ms, we are at init + 300 ms.
        rig.Clock.Advance_us(200_000);
        Assert.True(rig.Driver.ReadCurrent(rig.Readings));
        // Next window: 125 ms of −10 A then 125 ms of +30 A, seen in 5 ms steps: average +10 A.
        for (int t = 0; t < 250; t += 5)
        {
            rig.Pack.Current_mA = t < 125 ? -10000 : 30000;
            rig.Clock.Advance_us(5_000);
            rig.Chip.Peek(Bq769x0Registers.SysStat);
        }
        Assert.True(rig.Driver.ReadCurrent(rig.Readings));
        Assert.InRange(rig.Readings.Current_mA, 9800, 10200);
    }

    [Fact]
    public void Balancing_never_switches_adjacent_cells_of_one_group_and_reports_what_it_kept()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76940, 15, 3, crc: true);
        rig.StartAndSettle();
        var request = Enumerable.Repeat(true, 15).ToArray();
        Assert.True(rig.Driver.SetBalancing(request));
        // Cells 1,3,5 | 6,8,10 | 11,13,15: cells 5 and 6 are in different groups, so both stay.
        Assert.Equal(new[] { true, false, true, false, true, true, false, true, false, true, true, false, true, false, true }, request);
        Assert.Equal(0b10101_10101_10101, rig.Chip.BalancingInputMask);
        Assert.Equal(0, rig.Chip.AdjacentBalancingViolations);

        var pair = new bool[15];
        pair[4] = pair[5] = true; // cells 5 and 6: two groups
        Assert.True(rig.Driver.SetBalancing(pair));
        Assert.True(pair[4] && pair[5]);
        Assert.Equal((1 << 4) | (1 << 5), rig.Chip.BalancingInputMask);

        Assert.True(rig.Driver.SetBalancing(new bool[15]));
        Assert.Equal(0, rig.Chip.BalancingInputMask);
    }

    [Fact]
    public void Balancing_with_fewer_cells_maps_cells_to_inputs_and_drops_the_later_neighbour()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76940, 14, 3, crc: false);
        rig.StartAndSettle();
        var request = new bool[14];
        request[12] = request[13] = true; // cells 13 and 14 sit on VC13 and VC15 of the top group
        Assert.True(rig.Driver.SetBalancing(request));
        Assert.True(request[12]);
        Assert.False(request[13]);
        Assert.Equal(1 << 12, rig.Chip.BalancingInputMask);

        request = new bool[14];
        request[13] = true;
        Assert.True(rig.Driver.SetBalancing(request));
        Assert.Equal(1 << 14, rig.Chip.BalancingInputMask);
    }

    [Fact]
    public void Fets_follow_the_command_and_a_tripped_protection_refuses_them()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76920, 5, 1, crc: true);
        rig.StartAndSettle();
        Assert.True(rig.Driver.SetProtectionFets(chargeOn: true, dischargeOn: false));
        Assert.True(rig.Chip.ChargeFetOn);
        Assert.False(rig.Chip.DischargeFetOn);
        Assert.True(rig.Driver.SetProtectionFets(true, true));
        Assert.True(rig.Chip.DischargeFetOn);

        // Over-voltage above the 4300 mV trip for longer than the 2 s delay.
        rig.Pack.CellVoltage_mV[2] = 4400;
        for (int t = 0; t < 1900; t += 100)
        {
            rig.MeasureAfter(100);
            Assert.Equal(0, rig.Readings.Faults & CellMonitorFaults.CellOverVoltage);
        }
        for (int t = 0; t < 600 && (rig.Readings.Faults & CellMonitorFaults.CellOverVoltage) == 0; t += 100) rig.MeasureAfter(100);
        Assert.NotEqual(0, rig.Readings.Faults & CellMonitorFaults.CellOverVoltage);
        Assert.False(rig.Chip.ChargeFetOn);               // the chip opened it
        Assert.True(rig.Chip.DischargeFetOn);
        Assert.False(rig.Driver.SetProtectionFets(true, true)); // latched: the read-back shows the refusal

        rig.Pack.CellVoltage_mV[2] = 4000;
        rig.MeasureAfter(300);
        Assert.True(rig.Driver.ClearProtectionFlags());
        Assert.True(rig.MeasureAfter(100));
        Assert.Equal(CellMonitorFaults.None, rig.Readings.Faults);
        Assert.True(rig.Driver.SetProtectionFets(true, true));
        Assert.True(rig.Chip.ChargeFetOn);
    }

    [Fact]
    public void Under_voltage_trips_after_its_delay_and_opens_discharge()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76930, 10, 2, crc: false);
        rig.StartAndSettle();
        Assert.True(rig.Driver.SetProtectionFets(true, true));
        rig.Pack.CellVoltage_mV[9] = 2300;
        rig.MeasureAfter(3500);
        Assert.Equal(0, rig.Readings.Faults & CellMonitorFaults.CellUnderVoltage); // 4 s delay not yet over
        rig.MeasureAfter(1000);
        Assert.NotEqual(0, rig.Readings.Faults & CellMonitorFaults.CellUnderVoltage);
        Assert.False(rig.Chip.DischargeFetOn);
        Assert.True(rig.Chip.ChargeFetOn);
    }

    [Fact]
    public void Over_current_and_short_circuit_reach_the_10_ms_path()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76940, 15, 3, crc: true);
        rig.StartAndSettle();
        Assert.True(rig.Driver.SetProtectionFets(true, true));
        rig.Pack.Current_mA = -45000; // 45 mV over 1 mΩ, above the 39 mV OCD step, 320 ms delay
        int elapsed = 0;
        while ((rig.Readings.Faults & CellMonitorFaults.OverCurrentDischarge) == 0 && elapsed < 1000)
        {
            rig.Clock.Advance_us(10_000);
            elapsed += 10;
            rig.Driver.ReadCurrent(rig.Readings);
        }
        Assert.InRange(elapsed, 320, 340);
        Assert.False(rig.Chip.DischargeFetOn);

        var shortRig = new Bq769x0Rig(Bq769x0Variant.Bq76920, 5, 1, crc: false);
        shortRig.StartAndSettle();
        Assert.True(shortRig.Driver.SetProtectionFets(true, true));
        shortRig.Pack.Current_mA = -150000; // 150 mV: above the 67 mV SCD step
        shortRig.Clock.Advance_us(10);
        shortRig.Driver.ReadCurrent(shortRig.Readings);
        shortRig.Clock.Advance_us(1000);
        shortRig.Driver.ReadCurrent(shortRig.Readings);
        Assert.NotEqual(0, shortRig.Readings.Faults & CellMonitorFaults.ShortCircuit);
        Assert.False(shortRig.Chip.DischargeFetOn);
    }

    [Fact]
    public void Override_alert_is_reported_as_a_device_fault()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76920, 5, 1, crc: true);
        rig.StartAndSettle();
        rig.Chip.Poke(Bq769x0Registers.SysStat, Bq769x0Registers.StatOvrdAlert);
        rig.MeasureAfter(100);
        Assert.Equal(CellMonitorFaults.DeviceFault, rig.Readings.Faults);
    }

    [Fact]
    public void Scans_allocate_nothing()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76940, 15, 3, crc: true);
        rig.StartAndSettle();
        var cells = new bool[15];
        for (int i = 0; i < 3; i++) { rig.MeasureAfter(100); rig.Driver.ReadCurrent(rig.Readings); rig.Driver.SetBalancing(cells); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++)
        {
            rig.Clock.Advance_us(100_000);
            rig.Driver.Measure(rig.Readings);
            rig.Driver.ReadCurrent(rig.Readings);
            rig.Driver.SetBalancing(cells);
            rig.Driver.SetProtectionFets(true, true);
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void Bad_configuration_is_refused_with_a_reason()
    {
        var clock = new Bms.Emulators.Common.VirtualClock();
        var pack = new Bms.Emulators.Common.EmulatedPack(5, 1);
        var chip = new Bq769x0Emulator(pack, clock, new Bq769x0EmulatorOptions { Variant = Bq769x0Variant.Bq76920 });
        Assert.Throws<ArgumentException>(() => new Bq769x0Monitor(chip, clock, new Bq769x0Configuration { Variant = Bq769x0Variant.Bq76920, CellCount = 5, ThermistorCount = 2 }));
        Assert.Throws<ArgumentException>(() => new Bq769x0Monitor(chip, clock, new Bq769x0Configuration { Variant = Bq769x0Variant.Bq76920, CellCount = 6, ThermistorCount = 1 }));
        Assert.Throws<ArgumentException>(() => new Bq769x0Monitor(chip, clock, new Bq769x0Configuration { Variant = Bq769x0Variant.Bq76920, CellCount = 3, ThermistorCount = 1, CellInputs = new[] { 0, 2, 1 } }));
        Assert.Throws<ArgumentNullException>(() => new Bq769x0Monitor(null!, clock, new Bq769x0Configuration()));
    }
}

/// <summary>Randomised stacks and mismatched CRC settings.</summary>
public class Bq769x0PropertyTests
{
    [Fact]
    public void Random_trims_cells_and_currents_are_read_bit_exactly()
    {
        var random = new Random(769);
        var variants = new[] { (Bq769x0Variant.Bq76920, 3, 5), (Bq769x0Variant.Bq76930, 6, 10), (Bq769x0Variant.Bq76940, 9, 15) };
        for (int run = 0; run < 60; run++)
        {
            var (variant, minCells, maxCells) = variants[run % 3];
            int cells = random.Next(minCells, maxCells + 1);
            int temps = random.Next(0, (int)variant / 5 + 1);
            int gain = random.Next(365, 397);
            int offset = random.Next(-128, 128);
            var rig = new Bq769x0Rig(variant, cells, temps, crc: run % 2 == 0, gain, offset);
            for (int i = 0; i < cells; i++) rig.Pack.CellVoltage_mV[i] = random.Next(2000, 4500);
            for (int k = 0; k < temps; k++) rig.Pack.Temperature_dC[k] = random.Next(-300, 1000);
            rig.Pack.Current_mA = random.Next(-200_000, 200_000);
            rig.StartAndSettle();

            for (int i = 0; i < cells; i++)
            {
                int code = rig.RegisterPair(Bq769x0Registers.Vc1Hi + 2 * rig.Chip.CellInput(i)) & 0x3FFF;
                Assert.Equal((int)Math.Round((code * (double)gain + offset * 1000.0) / 1000.0, MidpointRounding.AwayFromZero), rig.Readings.CellVoltage_mV[i]);
                Assert.InRange(rig.Readings.CellVoltage_mV[i] - rig.Pack.CellVoltage_mV[i], -1, 1);
            }
            Assert.InRange(rig.Readings.StackVoltage_mV - rig.Pack.StackVoltage_mV, -2, 2);
            for (int k = 0; k < temps; k++) Assert.InRange(rig.Readings.Temperature_dC[k] - rig.Pack.Temperature_dC[k], -3, 3);
            Assert.InRange(rig.Readings.Current_mA - rig.Pack.Current_mA, -5, 5);
        }
    }

    [Fact]
    public void A_driver_expecting_crc_rejects_a_chip_without_it()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76920, 5, 1, crc: false, configure: c => c.CrcEnabled = true);
        Assert.False(rig.Driver.Initialize());
        Assert.True(rig.Driver.Statistics.CrcErrors > 0);
        Assert.False(rig.Driver.Measure(rig.Readings));
        Assert.Equal(CellMonitorFaults.CommunicationError, rig.Readings.Faults);
    }

    [Fact]
    public void A_chip_expecting_crc_refuses_a_driver_without_it()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76920, 5, 1, crc: true, configure: c => c.CrcEnabled = false);
        Assert.False(rig.Driver.Initialize());
        Assert.True(rig.Chip.RejectedWrites > 0);
        Assert.NotEqual(Bq769x0Registers.CcCfgRequired, rig.Chip.Peek(Bq769x0Registers.CcCfg));
    }
}
