using Bms.Firmware.Events;
using Bms.Firmware.Measurement;
using Bms.Firmware.Protection;

namespace Bms.Firmware.Tests.Protection;

public class ProtectionTripTests
{
    /// <summary>How each quantity is driven in the snapshot, its sample period and the cell/sensor it should report.</summary>
    private static (int period, int reportedIndex, Action<MeasurementSnapshot, int> apply) Driver(ProtectedQuantity q) => q switch
    {
        ProtectedQuantity.CellOverVoltage => (100, 2, (s, v) => s.CellVoltage_mV[2] = v),
        ProtectedQuantity.CellUnderVoltage => (100, 1, (s, v) => s.CellVoltage_mV[1] = v),
        ProtectedQuantity.OverCurrentCharge => (10, -1, (s, v) => s.Current_mA = v),
        ProtectedQuantity.OverCurrentDischarge => (10, -1, (s, v) => s.Current_mA = -v),
        ProtectedQuantity.OverTemperatureCharge => (100, 1, (s, v) => { s.Current_mA = 1000; s.Temperature_dC[1] = v; }),
        ProtectedQuantity.OverTemperatureDischarge => (100, 0, (s, v) => { s.Current_mA = -1000; s.Temperature_dC[0] = v; }),
        ProtectedQuantity.UnderTemperatureCharge => (100, 1, (s, v) => { s.Current_mA = 1000; s.Temperature_dC[1] = v; }),
        ProtectedQuantity.UnderTemperatureDischarge => (100, 0, (s, v) => { s.Current_mA = -1000; s.Temperature_dC[0] = v; }),
        ProtectedQuantity.CellImbalance => (100, 3, (s, v) => { for (int i = 0; i < 3; i++) s.CellVoltage_mV[i] = 3500; s.CellVoltage_mV[3] = 3500 + v; }),
        _ => throw new ArgumentOutOfRangeException(nameof(q)),
    };

    public static TheoryData<ProtectedQuantity, int> EveryQuantityAndLevel()
    {
        var data = new TheoryData<ProtectedQuantity, int>();
        foreach (ProtectedQuantity q in Enum.GetValues<ProtectedQuantity>())
            for (int level = 0; level < 3; level++)
                data.Add(q, level);
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryQuantityAndLevel))]
    public void Trips_at_its_set_delay_and_not_one_tick_before(ProtectedQuantity quantity, int levelIndex)
    {
        var rig = new ProtectionRig();
        var thresholds = rig.Config.GetQuantity(quantity);
        var level = thresholds.GetLevel(levelIndex);
        var (period, index, apply) = Driver(quantity);
        int beyond = thresholds.UpperLimit ? level.Threshold + 1 : level.Threshold - 1;
        var code = ProtectedQuantities.ToEventCode(quantity);
        var protectionLevel = (ProtectionLevel)(levelIndex + 1);

        // A few samples of normal operation first (the direction of the current established).
        apply(rig.Snapshot, thresholds.UpperLimit ? level.ClearThreshold - 5 : level.ClearThreshold + 5);
        for (int i = 0; i < 5; i++) rig.Step(period);
        Assert.False(rig.Has(code, protectionLevel));

        apply(rig.Snapshot, beyond);
        rig.Step(period);
        long firstBeyond = rig.Now_ms;
        while (rig.Now_ms < firstBeyond + level.SetDelay_ms - period)
        {
            rig.Step(period);
        }
        Assert.False(rig.Has(code, protectionLevel), $"{code} {protectionLevel} tripped one tick early at {rig.Now_ms} ms");
        rig.Step(period);
        Assert.True(rig.Has(code, protectionLevel), $"{code} {protectionLevel} did not trip at {rig.Now_ms} ms (delay {level.SetDelay_ms})");
        var e = rig.First(code, protectionLevel);
        Assert.Equal(firstBeyond + level.SetDelay_ms, e.Time_ms);
        Assert.Equal(index, e.Cell);
        Assert.True(rig.Manager.GetLevel(quantity) >= protectionLevel);
    }

    [Theory]
    [MemberData(nameof(EveryQuantityAndLevel))]
    public void Exactly_at_the_threshold_does_not_trip(ProtectedQuantity quantity, int levelIndex)
    {
        var rig = new ProtectionRig();
        var thresholds = rig.Config.GetQuantity(quantity);
        var level = thresholds.GetLevel(levelIndex);
        var (period, _, apply) = Driver(quantity);
        apply(rig.Snapshot, level.Threshold);
        for (int i = 0; i < (level.SetDelay_ms + 2000) / period; i++) rig.Step(period);
        Assert.False(rig.Has(ProtectedQuantities.ToEventCode(quantity), (ProtectionLevel)(levelIndex + 1)));
    }

    [Theory]
    [InlineData(ProtectedQuantity.CellOverVoltage)]
    [InlineData(ProtectedQuantity.CellUnderVoltage)]
    [InlineData(ProtectedQuantity.OverCurrentDischarge)]
    [InlineData(ProtectedQuantity.OverTemperatureCharge)]
    [InlineData(ProtectedQuantity.UnderTemperatureDischarge)]
    [InlineData(ProtectedQuantity.CellImbalance)]
    public void Warning_clears_after_its_clear_delay_below_the_clear_threshold_only(ProtectedQuantity quantity)
    {
        var rig = new ProtectionRig();
        var thresholds = rig.Config.GetQuantity(quantity);
        var warning = thresholds.Warning;
        var (period, _, apply) = Driver(quantity);
        var code = ProtectedQuantities.ToEventCode(quantity);
        int sign = thresholds.UpperLimit ? 1 : -1;

        apply(rig.Snapshot, warning.Threshold + sign);
        for (int i = 0; i <= warning.SetDelay_ms / period; i++) rig.Step(period);
        Assert.True(rig.Has(code, ProtectionLevel.Warning));

        // Inside the hysteresis band: back below the threshold but not past the clear threshold — stays set.
        apply(rig.Snapshot, warning.ClearThreshold + sign);
        for (int i = 0; i < (warning.ClearDelay_ms + 3000) / period; i++) rig.Step(period);
        Assert.False(rig.Has(code, ProtectionLevel.Warning, active: false));
        Assert.Equal(ProtectionLevel.Warning, rig.Manager.GetLevel(quantity));

        apply(rig.Snapshot, warning.ClearThreshold);
        rig.Step(period);
        long firstSafe = rig.Now_ms;
        while (rig.Now_ms < firstSafe + warning.ClearDelay_ms - period) rig.Step(period);
        Assert.False(rig.Has(code, ProtectionLevel.Warning, active: false), "cleared one tick early");
        rig.Step(period);
        var cleared = rig.First(code, ProtectionLevel.Warning, active: false);
        Assert.Equal(firstSafe + warning.ClearDelay_ms, cleared.Time_ms);
        Assert.Equal(ProtectionLevel.None, rig.Manager.GetLevel(quantity));
    }

    [Fact]
    public void A_brief_excursion_shorter_than_the_set_delay_restarts_the_count()
    {
        var rig = new ProtectionRig();
        var ov = rig.Config.GetQuantity(ProtectedQuantity.CellOverVoltage).Fault;
        rig.Snapshot.CellVoltage_mV[0] = ov.Threshold + 10;
        for (int i = 0; i < ov.SetDelay_ms / 100; i++) rig.Step(100); // one sample short
        rig.Snapshot.CellVoltage_mV[0] = 4000;
        rig.Step(100);
        rig.Snapshot.CellVoltage_mV[0] = ov.Threshold + 10;
        for (int i = 0; i < ov.SetDelay_ms / 100; i++) rig.Step(100);
        Assert.False(rig.Has(Events.BmsEventCode.CellOverVoltage, ProtectionLevel.Fault));
        rig.Step(100);
        Assert.True(rig.Has(Events.BmsEventCode.CellOverVoltage, ProtectionLevel.Fault));
    }

    [Fact]
    public void Short_circuit_trips_on_the_first_10ms_sample()
    {
        var rig = new ProtectionRig();
        rig.Step(10);
        rig.Snapshot.Current_mA = -(rig.Config.ShortCircuit_mA + 1);
        rig.Step(10);
        var e = rig.First(BmsEventCode.OverCurrentDischarge, ProtectionLevel.Fault);
        Assert.Equal(rig.Now_ms, e.Time_ms);
        Assert.True(rig.Manager.ShortCircuitActive);
        Assert.Equal(ProtectionLevel.Fault, rig.Manager.HighestActiveLevel);
    }

    [Fact]
    public void Charge_temperature_limits_do_not_apply_while_discharging()
    {
        var rig = new ProtectionRig();
        // 55 °C: beyond every charge over-temperature level (50 °C), inside the discharge ones (75 °C).
        rig.Snapshot.Current_mA = -2000;
        rig.Snapshot.Temperature_dC[0] = 550;
        for (int i = 0; i < 100; i++) rig.Step(100);
        Assert.DoesNotContain(rig.Sink.Events, e => e.Code == BmsEventCode.OverTemperatureCharge);

        rig.Snapshot.Current_mA = 2000;
        for (int i = 0; i < 30; i++) rig.Step(100);
        Assert.True(rig.Has(BmsEventCode.OverTemperatureCharge, ProtectionLevel.Fault));
    }
}
