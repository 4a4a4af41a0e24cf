using Bms.Emulators.Common;
using Bms.Firmware.Balancing;
using Bms.Firmware.Measurement;

namespace Bms.Firmware.Tests.Balancing;

public class PassiveBalancerTests
{
    private sealed class Rig
    {
        public FakeCellMonitor Monitor { get; } = new(6, 2);
        public MeasurementSnapshot Snapshot { get; } = new(6, 2);
        public BalancingConfiguration Config { get; }
        public PassiveBalancer Balancer { get; }
        public long Now_ms { get; private set; }

        public Rig(Action<BalancingConfiguration>? configure = null)
        {
            Config = BalancingConfiguration.CreateDefault(2500, 4200, 3000);
            configure?.Invoke(Config);
            Balancer = new PassiveBalancer(Config, Monitor, 6);
            for (int i = 0; i < 6; i++) { Snapshot.CellVoltage_mV[i] = 4000; Snapshot.CellValid[i] = true; }
            for (int i = 0; i < 2; i++) { Snapshot.Temperature_dC[i] = 250; Snapshot.TemperatureValid[i] = true; }
            Snapshot.CurrentValid = true;
        }

        public void Second(bool allowed = true, int[]? soc = null)
        {
            Now_ms += 1000;
            Balancer.Update(Now_ms, Snapshot, soc!, allowed);
        }

        public bool[] Active => Balancer.ActiveCells;
    }

    [Fact]
    public void A_cell_above_the_start_delta_bleeds_until_within_the_stop_delta()
    {
        var rig = new Rig();
        rig.Snapshot.CellVoltage_mV[2] = 4000 + rig.Config.StartDelta_mV; // exactly at the start delta: not yet
        rig.Second();
        Assert.False(rig.Active[2]);
        rig.Snapshot.CellVoltage_mV[2] = 4000 + rig.Config.StartDelta_mV + 1;
        rig.Second();
        Assert.Equal(new[] { false, false, true, false, false, false }, rig.Active);
        Assert.True(rig.Monitor.Balancing[2]);

        // Hysteresis: between the stop and start deltas it keeps bleeding.
        rig.Snapshot.CellVoltage_mV[2] = 4000 + rig.Config.StopDelta_mV + 1;
        rig.Second();
        Assert.True(rig.Active[2]);
        rig.Snapshot.CellVoltage_mV[2] = 4000 + rig.Config.StopDelta_mV;
        rig.Second();
        Assert.False(rig.Active[2]);
        Assert.False(rig.Monitor.Balancing[2]);
        Assert.False(rig.Balancer.AnyActive);
    }

    [Fact]
    public void Only_at_rest_or_while_charging_never_while_discharging_or_not_allowed()
    {
        var rig = new Rig();
        rig.Snapshot.CellVoltage_mV[4] = 4050;
        rig.Snapshot.Current_mA = -2 * rig.Config.RestCurrent_mA;
        rig.Second();
        Assert.False(rig.Balancer.AnyActive);
        rig.Snapshot.Current_mA = 1500; // charging
        rig.Second();
        Assert.True(rig.Active[4]);
        rig.Second(allowed: false); // a fault latched / alarm
        Assert.False(rig.Balancer.AnyActive);
        Assert.False(rig.Monitor.Balancing[4]);
        rig.Snapshot.Current_mA = 0; // rest
        rig.Second();
        Assert.True(rig.Active[4]);
        rig.Snapshot.CurrentValid = false; // unknown current: no
        rig.Second();
        Assert.False(rig.Balancer.AnyActive);
    }

    [Fact]
    public void Pauses_above_the_temperature_limit_and_resumes_below_the_resume_temperature()
    {
        var rig = new Rig();
        rig.Snapshot.CellVoltage_mV[1] = 4050;
        rig.Second();
        Assert.True(rig.Active[1]);
        rig.Snapshot.Temperature_dC[0] = rig.Config.MaxTemperature_dC;
        rig.Second();
        Assert.False(rig.Balancer.AnyActive);
        Assert.True(rig.Balancer.PausedForTemperature);
        rig.Snapshot.Temperature_dC[0] = rig.Config.ResumeTemperature_dC; // not yet below
        rig.Second();
        Assert.False(rig.Balancer.AnyActive);
        rig.Snapshot.Temperature_dC[0] = rig.Config.ResumeTemperature_dC - 1;
        rig.Second();
        Assert.True(rig.Active[1]);
    }

    [Fact]
    public void The_driver_drops_adjacent_cells_and_the_balancer_reports_what_the_chip_accepted()
    {
        var rig = new Rig();
        rig.Monitor.NoAdjacentBalancing = true; // BQ769x0 rule
        rig.Snapshot.CellVoltage_mV[2] = 4050;
        rig.Snapshot.CellVoltage_mV[3] = 4050;
        rig.Snapshot.CellVoltage_mV[5] = 4050;
        rig.Second();
        Assert.Equal(new[] { false, false, true, false, false, true }, rig.Active);
        Assert.Equal(rig.Monitor.Balancing, rig.Active);
    }

    [Fact]
    public void A_refused_command_means_nothing_bleeds_and_it_is_retried()
    {
        var rig = new Rig();
        rig.Monitor.RejectBalancing = true;
        rig.Snapshot.CellVoltage_mV[0] = 4050;
        rig.Second();
        Assert.False(rig.Balancer.AnyActive);
        Assert.False(rig.Balancer.DriverAccepted);
        rig.Monitor.RejectBalancing = false;
        rig.Second();
        Assert.True(rig.Active[0]);
    }

    [Fact]
    public void The_command_is_refreshed_every_decision_so_a_chip_discharge_timeout_never_lapses()
    {
        var rig = new Rig();
        rig.Snapshot.CellVoltage_mV[0] = 4050;
        for (int i = 0; i < 10; i++) rig.Second();
        Assert.Equal(10, rig.Monitor.BalancingCommands);
        rig.Snapshot.CellVoltage_mV[0] = 4000;
        rig.Second(); // one command switches it off
        for (int i = 0; i < 10; i++) rig.Second(); // then nothing to send
        Assert.Equal(11, rig.Monitor.BalancingCommands);
    }

    [Fact]
    public void Balancing_time_is_accumulated_per_cell()
    {
        var rig = new Rig();
        rig.Snapshot.CellVoltage_mV[5] = 4050;
        rig.Second();
        for (int i = 0; i < 30; i++) rig.Second();
        Assert.Equal(30_000, rig.Balancer.GetBalancingTime_ms(5));
        Assert.Equal(0, rig.Balancer.GetBalancingTime_ms(0));
    }

    [Fact]
    public void An_invalid_cell_stops_balancing_and_low_cells_are_never_bled()
    {
        var rig = new Rig();
        rig.Snapshot.CellVoltage_mV[3] = 4050;
        rig.Snapshot.CellValid[0] = false;
        rig.Second();
        Assert.False(rig.Balancer.AnyActive);

        rig.Snapshot.CellValid[0] = true;
        for (int i = 0; i < 6; i++) rig.Snapshot.CellVoltage_mV[i] = rig.Config.MinCellVoltage_mV - 100;
        rig.Snapshot.CellVoltage_mV[3] = rig.Config.MinCellVoltage_mV - 50; // 50 mV high, but below the minimum
        rig.Second();
        Assert.False(rig.Balancer.AnyActive);
    }

    [Fact]
    public void Soc_mode_compares_cell_states_of_charge()
    {
        var rig = new Rig(c => c.Mode = BalancingMode.StateOfCharge);
        var soc = new[] { 80000, 80000, 80000 + rig.Config.StartDelta_pcm + 1, 80000, 80000, 80000 };
        rig.Snapshot.CellVoltage_mV[4] = 4100; // voltage alone would bleed cell 5; SoC mode does not
        rig.Second(soc: soc);
        Assert.Equal(new[] { false, false, true, false, false, false }, rig.Active);
    }

    [Fact]
    public void Decisions_allocate_nothing()
    {
        var rig = new Rig();
        rig.Snapshot.CellVoltage_mV[1] = 4050;
        rig.Second();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) { rig.Snapshot.CellVoltage_mV[1] = i % 2 == 0 ? 4050 : 4000; rig.Second(); }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Bad_thresholds_are_refused()
    {
        var c = BalancingConfiguration.CreateDefault(2500, 4200, 3000);
        c.StopDelta_mV = c.StartDelta_mV;
        Assert.Throws<ArgumentException>(() => new PassiveBalancer(c, new FakeCellMonitor(2, 1), 2));
    }
}
