using Bms.Firmware.Events;
using Bms.Firmware.Protection;

namespace Bms.Firmware.Tests.Protection;

public class ProtectionValidityTests
{
    [Fact]
    public void A_missing_cell_voltage_is_not_zero_volts()
    {
        var rig = new ProtectionRig();
        rig.Snapshot.CellValid[2] = false;
        rig.Snapshot.CellVoltage_mV[2] = 0; // whatever stale value the buffer holds
        for (int i = 0; i < 9; i++) rig.Step(100); // under the 1 s measurement timeout
        Assert.DoesNotContain(rig.Sink.Events, e => e.Code == BmsEventCode.CellUnderVoltage);
        Assert.DoesNotContain(rig.Sink.Events, e => e.Code == BmsEventCode.CellImbalance);
        Assert.Empty(rig.Sink.Events);
    }

    [Fact]
    public void Persistent_invalid_cell_raises_AfeCommunication_fault_at_the_timeout()
    {
        var rig = new ProtectionRig();
        rig.Step(100); // last valid sample at 100 ms
        rig.Snapshot.CellValid[3] = false;
        rig.Snapshot.CellVoltage_mV[3] = 0;
        int timeout = rig.Config.MeasurementTimeout_ms;
        while (rig.Now_ms < 100 + timeout - 100) rig.Step(100);
        Assert.False(rig.Has(BmsEventCode.AfeCommunication, ProtectionLevel.Fault));
        rig.Step(100);
        var e = rig.First(BmsEventCode.AfeCommunication, ProtectionLevel.Fault);
        Assert.Equal(100 + timeout, e.Time_ms);
        Assert.Equal(3, e.Cell);
        Assert.True(rig.Manager.CommunicationLost);
        Assert.DoesNotContain(rig.Sink.Events, x => x.Code == BmsEventCode.CellUnderVoltage);

        rig.Snapshot.CellValid[3] = true;
        rig.Snapshot.CellVoltage_mV[3] = 3700;
        rig.Step(100);
        Assert.True(rig.Has(BmsEventCode.AfeCommunication, ProtectionLevel.Fault, active: false));
    }

    [Fact]
    public void All_temperatures_invalid_is_not_a_temperature_and_times_out_as_AfeCommunication()
    {
        var rig = new ProtectionRig();
        for (int i = 0; i < ProtectionRig.Temps; i++) { rig.Snapshot.TemperatureValid[i] = false; rig.Snapshot.Temperature_dC[i] = -400; }
        for (int i = 0; i < 9; i++) rig.Step(100);
        Assert.Empty(rig.Sink.Events);
        rig.Step(100);
        Assert.True(rig.Has(BmsEventCode.AfeCommunication, ProtectionLevel.Fault));
        Assert.DoesNotContain(rig.Sink.Events, e => e.Code == BmsEventCode.UnderTemperatureCharge || e.Code == BmsEventCode.UnderTemperatureDischarge);
    }

    [Fact]
    public void Invalid_current_is_never_evaluated_and_times_out()
    {
        var rig = new ProtectionRig();
        rig.Snapshot.CurrentValid = false;
        rig.Snapshot.Current_mA = -1_000_000;
        for (int i = 0; i < 99; i++) rig.Step(10);
        Assert.Empty(rig.Sink.Events);
        rig.Step(10);
        Assert.True(rig.Has(BmsEventCode.AfeCommunication, ProtectionLevel.Fault));
        Assert.DoesNotContain(rig.Sink.Events, e => e.Code == BmsEventCode.OverCurrentDischarge);
    }

    [Fact]
    public void A_gap_of_invalid_samples_never_delays_a_trip()
    {
        var rig = new ProtectionRig();
        var fault = rig.Config.GetQuantity(ProtectedQuantity.CellOverVoltage).Fault;
        rig.Snapshot.CellVoltage_mV[0] = fault.Threshold + 20;
        rig.Step(100);
        long first = rig.Now_ms;
        rig.Snapshot.CellValid[0] = false;
        rig.Step(100);
        rig.Step(100);
        rig.Snapshot.CellValid[0] = true;
        while (rig.Now_ms < first + fault.SetDelay_ms) rig.Step(100);
        Assert.Equal(first + fault.SetDelay_ms, rig.First(BmsEventCode.CellOverVoltage, ProtectionLevel.Fault).Time_ms);
    }

    [Fact]
    public void A_gap_of_invalid_samples_restarts_the_clear_delay()
    {
        var rig = new ProtectionRig();
        var warning = rig.Config.GetQuantity(ProtectedQuantity.CellOverVoltage).Warning;
        rig.Snapshot.CellVoltage_mV[0] = warning.Threshold + 1;
        for (int i = 0; i <= warning.SetDelay_ms / 100; i++) rig.Step(100);
        Assert.True(rig.Has(BmsEventCode.CellOverVoltage, ProtectionLevel.Warning));

        rig.Snapshot.CellVoltage_mV[0] = 3700;
        for (int i = 0; i < warning.ClearDelay_ms / 100 - 1; i++) rig.Step(100);
        for (int i = 0; i < ProtectionRig.Cells; i++) rig.Snapshot.CellValid[i] = false;
        rig.Step(100);
        for (int i = 0; i < ProtectionRig.Cells; i++) rig.Snapshot.CellValid[i] = true;
        rig.Step(100);
        Assert.False(rig.Has(BmsEventCode.CellOverVoltage, ProtectionLevel.Warning, active: false));
        for (int i = 0; i < warning.ClearDelay_ms / 100; i++) rig.Step(100);
        Assert.True(rig.Has(BmsEventCode.CellOverVoltage, ProtectionLevel.Warning, active: false));
    }
}
