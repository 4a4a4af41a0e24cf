using Bms.Firmware.Events;
using Bms.Firmware.Protection;

namespace Bms.Firmware.Tests.Protection;

public class ProtectionStateTests
{
    [Fact]
    public void A_fault_latches_after_its_condition_clears_until_reset()
    {
        var state = new ProtectionState();
        state.OnEvent(100, BmsEventCode.CellOverVoltage, ProtectionLevel.Fault, 2, true);
        Assert.True(state.FaultLatched);
        Assert.Equal(BmsEventCode.CellOverVoltage, state.FirstFaultCode);
        Assert.False(state.TryReset()); // condition present

        state.OnEvent(200, BmsEventCode.CellOverVoltage, ProtectionLevel.Fault, 2, false);
        Assert.True(state.FaultLatched);
        Assert.Equal(ProtectionLevel.Fault, state.HighestActiveLevel);
        Assert.Equal(ProtectionLevel.None, state.GetActiveLevel(BmsEventCode.CellOverVoltage));
        Assert.Equal(ProtectionLevel.Fault, state.GetLevel(BmsEventCode.CellOverVoltage));

        Assert.True(state.TryReset());
        Assert.False(state.FaultLatched);
        Assert.Equal(ProtectionLevel.None, state.HighestActiveLevel);
    }

    [Fact]
    public void Warnings_and_alarms_do_not_latch_and_are_counted_per_cell()
    {
        var state = new ProtectionState();
        state.OnEvent(1, BmsEventCode.CellUnderVoltage, ProtectionLevel.Warning, 0, true);
        state.OnEvent(1, BmsEventCode.CellUnderVoltage, ProtectionLevel.Warning, 3, true);
        state.OnEvent(1, BmsEventCode.ThermalRunawayPrecursor, ProtectionLevel.Alarm, 1, true);
        Assert.Equal(ProtectionLevel.Alarm, state.HighestActiveLevel);
        Assert.False(state.FaultLatched);
        state.OnEvent(2, BmsEventCode.ThermalRunawayPrecursor, ProtectionLevel.Alarm, 1, false);
        state.OnEvent(2, BmsEventCode.CellUnderVoltage, ProtectionLevel.Warning, 0, false);
        Assert.Equal(ProtectionLevel.Warning, state.HighestActiveLevel); // cell 3 still low
        state.OnEvent(3, BmsEventCode.CellUnderVoltage, ProtectionLevel.Warning, 3, false);
        Assert.Equal(ProtectionLevel.None, state.HighestActiveLevel);
    }

    [Fact]
    public void Reset_is_refused_while_any_fault_condition_remains()
    {
        var state = new ProtectionState();
        state.OnEvent(1, BmsEventCode.ThermalRunaway, ProtectionLevel.Fault, 0, true);
        state.OnEvent(1, BmsEventCode.AfeCommunication, ProtectionLevel.Fault, -1, true);
        state.OnEvent(2, BmsEventCode.AfeCommunication, ProtectionLevel.Fault, -1, false);
        Assert.False(state.TryReset());
        Assert.True(state.IsLatched(BmsEventCode.AfeCommunication));
        state.OnEvent(3, BmsEventCode.ThermalRunaway, ProtectionLevel.Fault, 0, false);
        Assert.True(state.TryReset());
    }

    [Fact]
    public void Manager_and_state_together_latch_an_over_temperature_fault()
    {
        var state = new ProtectionState();
        var config = ProtectionConfiguration.FromEnvelope(Bms.Firmware.Chemistry.ChemistryProfiles.FromName("lfp").Envelope, 2500);
        var manager = new ProtectionManager(config, 2, 1, state);
        var s = new Measurement.MeasurementSnapshot(2, 1);
        s.CellVoltage_mV[0] = s.CellVoltage_mV[1] = 3300;
        s.CellValid[0] = s.CellValid[1] = true;
        s.TemperatureValid[0] = true;
        s.CurrentValid = true;
        s.Current_mA = -1000;
        manager.Start(0);
        s.Temperature_dC[0] = 600; // above LFP's 55 °C discharge maximum
        long t = 0;
        for (; t <= 2000; t += 100) { manager.UpdateCurrent(s, t); manager.UpdateCells(s, t); }
        Assert.True(state.IsLatched(BmsEventCode.OverTemperatureDischarge));
        s.Temperature_dC[0] = 250;
        for (; t <= 40000; t += 100) { manager.UpdateCurrent(s, t); manager.UpdateCells(s, t); }
        Assert.Equal(ProtectionLevel.None, manager.HighestActiveLevel);
        Assert.True(state.FaultLatched);
        Assert.True(state.TryReset());
    }
}
