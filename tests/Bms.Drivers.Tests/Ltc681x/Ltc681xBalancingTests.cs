using Bms.Drivers.CellMonitoring;
using Bms.Drivers.Ltc681x;

namespace Bms.Drivers.Tests.Ltc681x;

public class Ltc681xBalancingTests
{
    [Fact]
    public void Each_device_drives_exactly_its_own_cells_including_13_to_18()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6813, 3);
        Assert.True(rig.Afe.Initialize());
        var request = new bool[rig.Afe.CellCount];
        int[] chosen = { 0, 5, 12, 17, /* device 1 */ 18 + 1, 18 + 13, 18 + 16, /* device 2 */ 36 + 11, 36 + 14 };
        foreach (int c in chosen) request[c] = true;

        Assert.True(rig.Afe.SetBalancing(request));

        int[] expected = new int[3];
        foreach (int c in chosen) expected[c / 18] |= 1 << (c % 18);
        for (int d = 0; d < 3; d++)
        {
            Assert.Equal(expected[d], rig.Chain.DischargeMask(d));
            Assert.Equal(expected[d], rig.Afe.DischargeMask(d));
        }
        Assert.Equal(chosen.Length, request.Count(b => b));

        // Switching everything off is honoured too.
        Assert.True(rig.Afe.SetBalancing(new bool[rig.Afe.CellCount]));
        for (int d = 0; d < 3; d++) Assert.Equal(0, rig.Chain.DischargeMask(d));
    }

    [Fact]
    public void Ltc6812_uses_configuration_b_for_cells_13_to_15()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6812, 2);
        Assert.True(rig.Afe.Initialize());
        var request = new bool[30];
        request[12] = request[14] = request[15 + 13] = true;
        Assert.True(rig.Afe.SetBalancing(request));
        Assert.Equal((1 << 12) | (1 << 14), rig.Chain.DischargeMask(0));
        Assert.Equal(1 << 13, rig.Chain.DischargeMask(1));
    }

    [Fact]
    public void Entries_past_the_cell_count_are_dropped()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6811, 1, cellsPerDevice: new[] { 10 });
        Assert.True(rig.Afe.Initialize());
        var request = new bool[12];
        request[9] = request[10] = request[11] = true;
        Assert.True(rig.Afe.SetBalancing(request));
        Assert.Equal(new[] { false, false, false, false, false, false, false, false, false, true, false, false }, request);
        Assert.Equal(1 << 9, rig.Chain.DischargeMask(0));
    }

    [Fact]
    public void Chip_stops_on_its_discharge_timeout_when_not_refreshed_and_the_driver_adopts_it()
    {
        // DCTO = 1: 30 s.
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6811, 2, tweak: c => c.DischargeTimeoutCode = 1);
        Assert.True(rig.Afe.Initialize());
        var request = new bool[24];
        request[3] = request[20] = true;
        Assert.True(rig.Afe.SetBalancing(request));

        // Refreshed every second for 60 s: never stops.
        for (int s = 0; s < 60; s++)
        {
            for (int i = 0; i < 10; i++) Assert.True(rig.Scan());
            Assert.True(rig.Afe.SetBalancing(request));
        }
        Assert.Equal(1 << 3, rig.Chain.DischargeMask(0));
        Assert.Equal(1 << 8, rig.Chain.DischargeMask(1));

        // Firmware keeps measuring but stops refreshing: the chip ends discharge after 30 s.
        for (int i = 0; i < 290; i++) rig.Scan();
        Assert.Equal(1 << 3, rig.Chain.DischargeMask(0));
        for (int i = 0; i < 20; i++) rig.Scan();
        Assert.Equal(0, rig.Chain.DischargeMask(0));
        Assert.Equal(0, rig.Chain.DischargeMask(1));
        Assert.Equal(0, rig.Afe.DischargeMask(0));
        Assert.Equal(0, rig.Afe.DischargeMask(1));
        Assert.Equal(0, rig.Afe.Statistics.ResetsDetected);
        Assert.Equal(CellMonitorFaults.None, rig.Readings.Faults);
    }

    [Fact]
    public void Discharge_survives_a_watchdog_sleep_while_the_timer_runs_and_stops_when_it_ends()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6813, 1, tweak: c => c.DischargeTimeoutCode = 2); // 60 s
        Assert.True(rig.Afe.Initialize());
        var request = new bool[18];
        request[16] = true;
        Assert.True(rig.Afe.SetBalancing(request));

        rig.Clock.Advance_us(10_000_000); // the MCU stops talking for 10 s
        Assert.True(rig.Chain.IsAsleep(0));
        Assert.Equal(1 << 16, rig.Chain.DischargeMask(0));
        rig.Clock.Advance_us(51_000_000);
        Assert.Equal(0, rig.Chain.DischargeMask(0));

        // Back: the driver sees the watchdog reset, restores configuration but not the expired balancing.
        Assert.True(rig.Scan());
        Assert.Equal(1, rig.Afe.Statistics.ResetsDetected);
        Assert.Equal(0, rig.Chain.DischargeMask(0));
        Assert.Equal(0x04, rig.Chain.ConfigurationA(0)[0] & 0x04);
    }

    [Fact]
    public void Reset_while_balancing_restores_the_requested_discharge()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6813, 2);
        Assert.True(rig.Afe.Initialize());
        var request = new bool[36];
        request[1] = request[18 + 17] = true;
        Assert.True(rig.Afe.SetBalancing(request));
        rig.Chain.Inject(Bms.Emulators.Common.EmulatorFault.ChipReset, 1);
        Assert.Equal(0, rig.Chain.DischargeMask(1));
        Assert.True(rig.Scan());
        Assert.Equal(1 << 17, rig.Chain.DischargeMask(1));
        Assert.Equal(1 << 1, rig.Chain.DischargeMask(0));
    }
}

public class Ltc681xBalancingFailureTests
{
    [Fact]
    public void Balancing_not_confirmed_by_every_device_returns_false()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6811, 3);
        Assert.True(rig.Afe.Initialize());
        var request = new bool[36];
        request[30] = true;
        rig.Chain.Inject(Bms.Emulators.Common.EmulatorFault.DeviceMissing, 2);
        Assert.False(rig.Afe.SetBalancing(request));
        rig.Chain.ClearAll();
        rig.Chain.Inject(Bms.Emulators.Common.EmulatorFault.CorruptCrc, 0);
        Assert.False(rig.Afe.SetBalancing(request));
        rig.Chain.ClearAll();
        Assert.True(rig.Afe.SetBalancing(request));
        Assert.Equal(1 << 6, rig.Chain.DischargeMask(2));
    }

    [Fact]
    public void Scan_takes_little_time_on_the_bus()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6813, 2, gpioMask: 0b11);
        Assert.True(rig.Afe.Initialize());
        rig.Clock.Advance_us(100_000);
        long waitedBefore = rig.Clock.WaitedMicroseconds;
        Assert.True(rig.Afe.Measure(rig.Readings));
        long waited = rig.Clock.WaitedMicroseconds - waitedBefore;
        Console.WriteLine($"2x18 scan: {waited} us of waits + {rig.Afe.Statistics.LastScanBusBytes * 8} us of bus at 1 MHz");
        // Wake-up + cell conversion + aux conversion, nothing else.
        Assert.Equal(3 * 10 + Ltc681xVariantInfo.CellConversionWait_us(Ltc681xVariant.Ltc6813) + Ltc681xVariantInfo.AuxConversionWait_us(Ltc681xVariant.Ltc6813), waited);
    }
}
