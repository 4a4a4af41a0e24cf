using Bms.Firmware.Chemistry;
using Bms.Firmware.Events;
using Bms.Firmware.Limits;
using Bms.Firmware.Measurement;
using Bms.Firmware.Protection;
using Bms.Firmware.Tests.System;

namespace Bms.Firmware.Tests.Limits;

public class CurrentLimiterTests
{
    private static (ProtectionConfiguration p, LimitsConfiguration l, CurrentLimiter limiter, MeasurementSnapshot s) Build(string chemistry = "nmc-graphite", int capacity = 3000)
    {
        var env = ChemistryProfiles.FromName(chemistry).Envelope;
        var p = ProtectionConfiguration.FromEnvelope(env, capacity);
        var l = LimitsConfiguration.FromProtection(p);
        Assert.Null(l.Validate(p));
        var s = new MeasurementSnapshot(4, 2);
        for (int i = 0; i < 4; i++) { s.CellVoltage_mV[i] = 3700; s.CellValid[i] = true; }
        for (int i = 0; i < 2; i++) { s.Temperature_dC[i] = 250; s.TemperatureValid[i] = true; }
        s.CurrentValid = true;
        return (p, l, new CurrentLimiter(l), s);
    }

    [Theory]
    [InlineData("nmc-graphite")]
    [InlineData("lfp")]
    [InlineData("lto")]
    [InlineData("li-metal-ss")]
    public void Nominal_conditions_give_the_full_limits_below_the_over_current_warnings(string chemistry)
    {
        var (p, l, limiter, s) = Build(chemistry);
        int mid = (p.GetQuantity(ProtectedQuantity.CellOverVoltage).Warning.Threshold + p.GetQuantity(ProtectedQuantity.CellUnderVoltage).Warning.Threshold) / 2;
        for (int i = 0; i < 4; i++) s.CellVoltage_mV[i] = mid;
        limiter.Update(s, 50000, ProtectionLevel.None, ProtectionLevel.None, true);
        Assert.Equal(l.MaxCharge_mA, limiter.ChargeLimit_mA);
        Assert.Equal(l.MaxDischarge_mA, limiter.DischargeLimit_mA);
        Assert.True(limiter.ChargeLimit_mA < p.GetQuantity(ProtectedQuantity.OverCurrentCharge).Warning.Threshold);
        Assert.True(limiter.DischargeLimit_mA < p.GetQuantity(ProtectedQuantity.OverCurrentDischarge).Warning.Threshold);
    }

    [Fact]
    public void Charge_limit_falls_progressively_as_the_highest_cell_approaches_the_over_voltage_warning()
    {
        var (p, l, limiter, s) = Build();
        int warning = p.GetQuantity(ProtectedQuantity.CellOverVoltage).Warning.Threshold;
        int previous = int.MaxValue;
        var seen = new List<int>();
        for (int v = l.ChargeVoltageTaperStart_mV - 50; v <= warning; v += 5)
        {
            s.CellVoltage_mV[3] = v;
            limiter.Update(s, 50000, ProtectionLevel.None, ProtectionLevel.None, true);
            Assert.True(limiter.ChargeLimit_mA <= previous, $"limit rose at {v} mV");
            previous = limiter.ChargeLimit_mA;
            seen.Add(limiter.ChargeLimit_mA);
            Assert.Equal(l.MaxDischarge_mA, limiter.DischargeLimit_mA); // discharging is what brings the voltage down
        }
        Assert.Equal(0, previous); // zero at (before) the warning
        Assert.True(seen.Distinct().Count() > 10, "taper must be progressive, not a step");
        s.CellVoltage_mV[3] = l.ChargeVoltageZero_mV;
        limiter.Update(s, 50000, ProtectionLevel.None, ProtectionLevel.None, true);
        Assert.Equal(0, limiter.ChargeLimit_mA);
        Assert.True(l.ChargeVoltageZero_mV < warning);
    }

    [Fact]
    public void Discharge_limit_falls_as_the_lowest_cell_approaches_the_under_voltage_warning()
    {
        var (p, l, limiter, s) = Build();
        s.CellVoltage_mV[0] = (l.DischargeVoltageTaperStart_mV + l.DischargeVoltageZero_mV) / 2;
        limiter.Update(s, 50000, ProtectionLevel.None, ProtectionLevel.None, true);
        Assert.InRange(limiter.DischargeLimit_mA, l.MaxDischarge_mA * 4 / 10, l.MaxDischarge_mA * 6 / 10);
        s.CellVoltage_mV[0] = p.GetQuantity(ProtectedQuantity.CellUnderVoltage).Warning.Threshold;
        limiter.Update(s, 50000, ProtectionLevel.None, ProtectionLevel.None, true);
        Assert.Equal(0, limiter.DischargeLimit_mA);
    }

    [Fact]
    public void Temperature_trapezoid_derates_both_ends_and_zero_at_the_warnings()
    {
        var (p, l, limiter, s) = Build();
        int otWarning = p.GetQuantity(ProtectedQuantity.OverTemperatureCharge).Warning.Threshold;
        s.Temperature_dC[1] = (l.ChargeTemperatureFullHigh_dC + l.ChargeTemperatureZeroHigh_dC) / 2;
        limiter.Update(s, 50000, ProtectionLevel.None, ProtectionLevel.None, true);
        Assert.InRange(limiter.ChargeTemperatureFactor_permille, 400, 600);
        s.Temperature_dC[1] = otWarning;
        limiter.Update(s, 50000, ProtectionLevel.None, ProtectionLevel.None, true);
        Assert.Equal(0, limiter.ChargeLimit_mA);
        Assert.True(limiter.DischargeLimit_mA > 0); // 45 °C is fine for discharging an NMC cell
        s.Temperature_dC[1] = 250;
        s.Temperature_dC[0] = p.GetQuantity(ProtectedQuantity.UnderTemperatureCharge).Warning.Threshold; // cold cell
        limiter.Update(s, 50000, ProtectionLevel.None, ProtectionLevel.None, true);
        Assert.Equal(0, limiter.ChargeLimit_mA);
    }

    [Fact]
    public void Soc_derating_tapers_near_full_and_near_empty()
    {
        var (_, l, limiter, s) = Build();
        limiter.Update(s, 100000, ProtectionLevel.None, ProtectionLevel.None, true);
        Assert.Equal(l.MaxCharge_mA * l.ChargeSocEndFactor_permille / 1000, limiter.ChargeLimit_mA);
        limiter.Update(s, 0, ProtectionLevel.None, ProtectionLevel.None, true);
        Assert.Equal(l.MaxDischarge_mA * l.DischargeSocEndFactor_permille / 1000, limiter.DischargeLimit_mA);
        limiter.Update(s, -1, ProtectionLevel.None, ProtectionLevel.None, true); // unknown SoC: no SoC derating
        Assert.Equal(l.MaxCharge_mA, limiter.ChargeLimit_mA);
    }

    [Fact]
    public void Warnings_reduce_alarms_and_faults_zero_open_contactors_zero()
    {
        var (_, l, limiter, s) = Build();
        limiter.Update(s, 50000, ProtectionLevel.Warning, ProtectionLevel.None, true);
        Assert.Equal(l.MaxCharge_mA * l.WarningFactor_permille / 1000, limiter.ChargeLimit_mA);
        Assert.Equal(l.MaxDischarge_mA, limiter.DischargeLimit_mA);
        limiter.Update(s, 50000, ProtectionLevel.None, ProtectionLevel.Alarm, true);
        Assert.Equal(0, limiter.DischargeLimit_mA);
        Assert.Equal(l.MaxCharge_mA, limiter.ChargeLimit_mA);
        limiter.Update(s, 50000, ProtectionLevel.Fault, ProtectionLevel.Fault, true);
        Assert.Equal(0, limiter.ChargeLimit_mA + limiter.DischargeLimit_mA);
        limiter.Update(s, 50000, ProtectionLevel.None, ProtectionLevel.None, false);
        Assert.Equal(0, limiter.ChargeLimit_mA + limiter.DischargeLimit_mA);
    }

    [Fact]
    public void Unknown_cells_or_temperatures_allow_no_current()
    {
        var (_, _, limiter, s) = Build();
        for (int i = 0; i < 2; i++) s.TemperatureValid[i] = false;
        limiter.Update(s, 50000, ProtectionLevel.None, ProtectionLevel.None, true);
        Assert.Equal(0, limiter.ChargeLimit_mA + limiter.DischargeLimit_mA);
        for (int i = 0; i < 2; i++) s.TemperatureValid[i] = true;
        for (int i = 0; i < 4; i++) s.CellValid[i] = false;
        limiter.Update(s, 50000, ProtectionLevel.None, ProtectionLevel.None, true);
        Assert.Equal(0, limiter.ChargeLimit_mA + limiter.DischargeLimit_mA);
    }

    [Fact]
    public void Direction_levels_split_the_codes_by_current_direction()
    {
        var state = new ProtectionState();
        state.OnEvent(0, BmsEventCode.CellOverVoltage, ProtectionLevel.Alarm, 0, true);
        state.OnEvent(0, BmsEventCode.CellImbalance, ProtectionLevel.Warning, 0, true);
        Assert.Equal(ProtectionLevel.Alarm, DirectionLevels.Charge(state));
        Assert.Equal(ProtectionLevel.Warning, DirectionLevels.Discharge(state));
        state.OnEvent(0, BmsEventCode.ThermalRunaway, ProtectionLevel.Fault, 0, true);
        Assert.Equal(ProtectionLevel.Fault, DirectionLevels.Discharge(state));
    }

    [Fact]
    public void Tables_that_would_allow_current_beyond_a_warning_are_refused()
    {
        var (p, _, _, _) = Build();
        var l = LimitsConfiguration.FromProtection(p);
        l.ChargeVoltageZero_mV = p.GetQuantity(ProtectedQuantity.CellOverVoltage).Warning.Threshold + 1;
        Assert.Contains("over-voltage warning", l.Validate(p));
        l = LimitsConfiguration.FromProtection(p);
        l.MaxCharge_mA = p.GetQuantity(ProtectedQuantity.OverCurrentCharge).Warning.Threshold + 1;
        Assert.Contains("MaxCharge_mA", l.Validate(p));
        l = LimitsConfiguration.FromProtection(p);
        l.ChargeTemperatureZeroHigh_dC = p.GetQuantity(ProtectedQuantity.OverTemperatureCharge).Warning.Threshold + 10;
        Assert.Contains("ChargeTemperature", l.Validate(p));
    }

    /// <summary>
    /// DC fast charge of one NMC cell (the profile's OCV and R0, 25 °C) by a charger that always draws the
    /// reported limit: the current tapers off before any protection level is reached.
    /// </summary>
    [Fact]
    public void Fast_charge_following_the_limit_tapers_before_any_protection_trips()
    {
        var profile = ChemistryProfiles.FromName("nmc-graphite");
        int capacity = profile.NominalCapacity_mAh;
        var p = ProtectionConfiguration.FromEnvelope(profile.Envelope, capacity);
        var limiter = new CurrentLimiter(LimitsConfiguration.FromProtection(p));
        var sink = new RecordingSink();
        var protection = new ProtectionManager(p, 1, 1, sink);
        var s = new MeasurementSnapshot(1, 1);
        s.CellValid[0] = true;
        s.TemperatureValid[0] = true;
        s.Temperature_dC[0] = 250;
        s.CurrentValid = true;

        long charge_mAms = (long)capacity * 3600_000L * 20 / 100; // start at 20 %
        long capacity_mAms = (long)capacity * 3600_000L;
        int current = 0;
        int peak = 0;
        protection.Start(0);
        for (long t = 0; t <= 3 * 3600_000L; t += 100)
        {
            int soc = (int)(charge_mAms * 100000 / capacity_mAms);
            int r0_mOhm = profile.SeriesResistance_uOhm(soc, 250) / 1000;
            s.CellVoltage_mV[0] = profile.OcvFromSoc_mV(soc, 250) + current * r0_mOhm / 1000;
            s.Current_mA = current;
            s.Time_ms = s.CurrentTime_ms = t;
            protection.UpdateCurrent(s, t);
            protection.UpdateCells(s, t);
            limiter.Update(s, soc, ProtectionLevel.None, ProtectionLevel.None, true);
            current = limiter.ChargeLimit_mA; // the charger follows the BMS
            peak = Math.Max(peak, current);
            charge_mAms += (long)current * 100;
        }
        int finalSoc = (int)(charge_mAms * 100000 / capacity_mAms);
        Assert.Empty(sink.Events);
        Assert.True(peak > capacity * 9 / 10, $"peak {peak} mA: fast charge expected");
        Assert.True(current < peak / 10, $"current {current} mA has not tapered");
        Assert.True(finalSoc > 85000, $"final SoC {finalSoc} pcm");
        Assert.True(s.CellVoltage_mV[0] < p.GetQuantity(ProtectedQuantity.CellOverVoltage).Warning.Threshold);
    }

    [Theory]
    [InlineData(0, 0, 100, 200, 300, 0)]
    [InlineData(50, 0, 100, 200, 300, 500)]
    [InlineData(150, 0, 100, 200, 300, 1000)]
    [InlineData(250, 0, 100, 200, 300, 500)]
    [InlineData(300, 0, 100, 200, 300, 0)]
    [InlineData(-10, 0, 100, 200, 300, 0)]
    public void Trapezoid_factor(int x, int zl, int fl, int fh, int zh, int expected)
        => Assert.Equal(expected, CurrentLimiter.TrapezoidFactor(x, zl, fl, fh, zh));

    [Fact]
    public void The_limits_from_the_protections_extremes_equal_those_from_the_snapshot()
    {
        var (p, l, bySnapshot, s) = Build();
        var byExtremes = new CurrentLimiter(l);
        var protection = new ProtectionManager(p, 4, 2, new Bms.Firmware.Tests.Safety.RecordingSink());
        protection.Start(0);
        var random = new Random(3);
        var levels = new[] { ProtectionLevel.None, ProtectionLevel.Warning, ProtectionLevel.Alarm, ProtectionLevel.Fault };
        for (int k = 1; k <= 3000; k++)
        {
            for (int i = 0; i < 4; i++) { s.CellVoltage_mV[i] = random.Next(2500, 4350); s.CellValid[i] = random.Next(6) != 0; }
            for (int i = 0; i < 2; i++) { s.Temperature_dC[i] = random.Next(-400, 800); s.TemperatureValid[i] = random.Next(4) != 0; }
            s.Current_mA = random.Next(-5000, 5000);
            protection.UpdateCells(s, k * 100L);
            int soc = random.Next(-1, 100001);
            ProtectionLevel charge = levels[random.Next(4)];
            ProtectionLevel discharge = levels[random.Next(4)];
            bool closed = random.Next(5) != 0;
            bySnapshot.Update(s, soc, charge, discharge, closed);
            byExtremes.Update(protection.HighestCell_mV, protection.LowestCell_mV, protection.HottestTemperature_dC,
                protection.ColdestTemperature_dC, 2, soc, charge, discharge, closed);
            Assert.Equal(bySnapshot.ChargeLimit_mA, byExtremes.ChargeLimit_mA);
            Assert.Equal(bySnapshot.DischargeLimit_mA, byExtremes.DischargeLimit_mA);
            Assert.Equal(bySnapshot.ChargeTemperatureFactor_permille, byExtremes.ChargeTemperatureFactor_permille);
            Assert.Equal(bySnapshot.DischargeVoltageFactor_permille, byExtremes.DischargeVoltageFactor_permille);
        }
    }
}
