using Bms.Firmware.Chemistry;
using Bms.Firmware.Protection;
using FsCheck;
using FsCheck.Fluent;

namespace Bms.Firmware.Tests.Protection;

public class ProtectionConfigurationTests
{
    public static TheoryData<string> Profiles => new() { "nmc-graphite", "lfp", "lto", "li-metal-ss" };

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Derived_thresholds_of_every_profile_are_valid_and_inside_the_envelope(string name)
    {
        var profile = ChemistryProfiles.FromName(name);
        Assert.NotNull(profile);
        var env = profile.Envelope;
        var config = ProtectionConfiguration.FromEnvelope(env, profile.NominalCapacity_mAh);
        Assert.Null(config.Validate(env, profile.NominalCapacity_mAh));
        var ov = config.GetQuantity(ProtectedQuantity.CellOverVoltage);
        Assert.Equal(env.MaxCellVoltage_mV, ov.Fault.Threshold);
        Assert.True(ov.Warning.Threshold < ov.Alarm.Threshold && ov.Alarm.Threshold < ov.Fault.Threshold);
        var uv = config.GetQuantity(ProtectedQuantity.CellUnderVoltage);
        Assert.Equal(env.MinCellVoltage_mV, uv.Fault.Threshold);
        Assert.True(uv.Warning.Threshold > uv.Alarm.Threshold && uv.Alarm.Threshold > uv.Fault.Threshold);
        Assert.Equal(env.MaxChargeTemperature_dC, config.GetQuantity(ProtectedQuantity.OverTemperatureCharge).Fault.Threshold);
        Assert.Equal(env.MinDischargeTemperature_dC, config.GetQuantity(ProtectedQuantity.UnderTemperatureDischarge).Fault.Threshold);
        Assert.Equal(ProtectionConfiguration.RatedCurrent_mA(env.MaxDischargeCurrent_mC, profile.NominalCapacity_mAh),
            config.GetQuantity(ProtectedQuantity.OverCurrentDischarge).Fault.Threshold);
    }

    [Fact]
    public void The_factory_never_produces_thresholds_outside_any_sane_envelope()
    {
        var gen =
            from minV in Gen.Choose(1000, 3500)
            from spanV in Gen.Choose(200, 2500)
            from minChargeT in Gen.Choose(-400, 200)
            from spanChargeT in Gen.Choose(50, 1000)
            from minDischargeT in Gen.Choose(-400, 200)
            from spanDischargeT in Gen.Choose(50, 1200)
            from chargeC in Gen.Choose(50, 20000)
            from dischargeC in Gen.Choose(50, 50000)
            from capacity in Gen.Choose(500, 400000)
            select (new SafeOperatingEnvelope
            {
                MinCellVoltage_mV = minV,
                MaxCellVoltage_mV = minV + spanV,
                MinChargeTemperature_dC = minChargeT,
                MaxChargeTemperature_dC = minChargeT + spanChargeT,
                MinDischargeTemperature_dC = minDischargeT,
                MaxDischargeTemperature_dC = minDischargeT + spanDischargeT,
                MaxChargeCurrent_mC = chargeC,
                MaxDischargeCurrent_mC = dischargeC,
            }, capacity);

        Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var (env, capacity) = input;
            var config = ProtectionConfiguration.FromEnvelope(env, capacity);
            string? problem = config.Validate(env, capacity);
            return (problem == null).Label(problem ?? "");
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Settings_outside_the_envelope_or_disabling_protection_are_refused_with_the_reason()
    {
        var profile = ChemistryProfiles.FromName("nmc-graphite");
        var env = profile.Envelope;
        ProtectionConfiguration Fresh() => ProtectionConfiguration.FromEnvelope(env, 3000);

        var c = Fresh();
        c.GetQuantity(ProtectedQuantity.CellOverVoltage).Fault.Threshold = env.MaxCellVoltage_mV + 1;
        Assert.Contains("CellOverVoltage.Fault.Threshold", c.Validate(env, 3000));

        c = Fresh();
        c.GetQuantity(ProtectedQuantity.CellUnderVoltage).Alarm.Threshold = env.MinCellVoltage_mV - 1;
        Assert.Contains("CellUnderVoltage.Alarm.Threshold", c.Validate(env, 3000));

        c = Fresh();
        c.GetQuantity(ProtectedQuantity.OverCurrentCharge).Fault.Threshold = 4001; // 1333 mC × 3 Ah = 3999 mA
        Assert.Contains("OverCurrentCharge.Fault.Threshold", c.Validate(env, 3000));

        c = Fresh();
        c.GetQuantity(ProtectedQuantity.OverTemperatureCharge).Warning.Threshold = 490;
        c.GetQuantity(ProtectedQuantity.OverTemperatureCharge).Alarm.Threshold = 470;
        Assert.Contains("ordered", c.Validate(env, 3000));

        c = Fresh();
        c.GetQuantity(ProtectedQuantity.CellOverVoltage).Warning.ClearThreshold = c.GetQuantity(ProtectedQuantity.CellOverVoltage).Warning.Threshold + 10;
        Assert.Contains("ClearThreshold", c.Validate(env, 3000));

        c = Fresh();
        c.GetQuantity(ProtectedQuantity.CellUnderVoltage).Fault.SetDelay_ms = ProtectionConfiguration.MaxFaultSetDelay_ms + 1;
        Assert.Contains("SetDelay_ms", c.Validate(env, 3000));

        c = Fresh();
        c.GetQuantity(ProtectedQuantity.CellImbalance).Fault.Threshold = 2000;
        Assert.Contains("CellImbalance", c.Validate(env, 3000));

        c = Fresh();
        c.MeasurementTimeout_ms = 60000;
        Assert.Contains("MeasurementTimeout_ms", c.Validate(env, 3000));

        c = Fresh();
        c.SetQuantity(ProtectedQuantity.CellOverVoltage, null!);
        Assert.Contains("every level", c.Validate(env, 3000));

        var broken = new SafeOperatingEnvelope { MinCellVoltage_mV = 3000, MaxCellVoltage_mV = 2500, MaxChargeTemperature_dC = 450, MaxDischargeTemperature_dC = 600, MaxChargeCurrent_mC = 1000, MaxDischargeCurrent_mC = 1000 };
        var ex = Assert.Throws<ArgumentException>(() => ProtectionConfiguration.FromEnvelope(broken, 3000));
        Assert.Contains("cell voltage window", ex.Message);
    }

    [Fact]
    public void The_manager_copies_its_configuration()
    {
        var env = ChemistryProfiles.FromName("lfp").Envelope;
        var c = ProtectionConfiguration.FromEnvelope(env, 2500);
        var manager = new ProtectionManager(c, 2, 1, new Bms.Firmware.Tests.System.RecordingSink());
        c.GetQuantity(ProtectedQuantity.CellOverVoltage).Fault.Threshold = 9999;
        Assert.Equal(env.MaxCellVoltage_mV, manager.Configuration.GetQuantity(ProtectedQuantity.CellOverVoltage).Fault.Threshold);
    }
}
