using Bms.Simulation.Model;

namespace Bms.Tools.Tests.Simulation;

/// <summary>Physics sanity of the equivalent-circuit pack model.</summary>
public class PackModelTests
{
    private static PackOptions Ideal(int cells = 4) => new()
    {
        Cells = cells,
        Temps = 2,
        InitialSoc = 0.9,
        InitialSocSpread = 0,
        CapacitySpread = 0,
        ResistanceSpread = 0,
        SelfDischarge_mA = 0,
    };

    private static PackOptions WithSelfDischarge(PackOptions o)
    {
        o.SelfDischarge_mA = 0.08;
        return o;
    }

    [Fact]
    public void Charge_drawn_over_a_discharge_equals_the_integral_of_the_current()
    {
        var pack = new PackModel(WithSelfDischarge(Ideal()));
        double before = pack.Cells.Sum(c => c.Charge_As);
        double integral = 0;
        // A varying discharge: 1C, 0.5C, 2C pulses for an hour.
        for (int s = 0; s < 3600; s++)
        {
            double current = s % 60 < 10 ? -2 * 2.969 : s % 60 < 40 ? -2.969 : -0.5 * 2.969;
            pack.Step(current, 1.0);
            integral += current * 1.0;
        }
        double after = pack.Cells.Sum(c => c.Charge_As);
        double selfDischarge = pack.Cells.Sum(c => c.SelfDischarge_A) * 3600;
        Assert.Equal(integral * pack.Cells.Length - selfDischarge, after - before, 6);
        // ...and the SoC moved by that charge over the capacity.
        foreach (var cell in pack.Cells)
            Assert.Equal(0.9 + (integral - cell.SelfDischarge_A * 3600) / cell.Capacity_As, cell.Soc, 9);
    }

    [Theory]
    [InlineData("nmc-graphite", 0.55)]
    [InlineData("lfp", 0.30)]
    [InlineData("lto", 0.80)]
    [InlineData("li-metal-ss", 0.15)]
    public void Terminal_voltage_after_a_long_rest_is_the_profile_ocv(string chemistry, double soc)
    {
        var options = Ideal();
        options.Chemistry = chemistry;
        options.InitialSoc = soc + 0.1;
        var pack = new PackModel(options);
        double oneC = pack.NominalCapacity_mAh / 1000.0;
        pack.Step(-oneC, 360); // 10 % out: polarised
        Assert.True(Math.Abs(pack.Cells[0].Polarization_V) > 1e-3);
        pack.Step(0, 3 * 3600); // rest: polarisation decays, temperature returns to ambient
        foreach (var cell in pack.Cells)
        {
            int expected = pack.Profile.OcvFromSoc_mV((int)Math.Round(cell.Soc * 100000), (int)Math.Round(cell.Temperature_C * 10));
            Assert.InRange(cell.Terminal_V * 1000, expected - 1.0, expected + 1.0);
            Assert.Equal(soc, cell.Soc, 6);
        }
    }

    [Fact]
    public void Under_load_the_voltage_drops_by_the_profile_resistance()
    {
        var pack = new PackModel(Ideal());
        var cell = pack.Cells[0];
        double ocv = pack.Ocv_V(cell.Soc, cell.Temperature_C);
        double r0 = pack.Profile.SeriesResistance_uOhm((int)Math.Round(cell.Soc * 100000), 250) * 1e-6;
        Assert.Equal(ocv - 3.0 * r0, pack.Terminal_V(cell, -3.0), 9);
    }

    [Fact]
    public void Cells_follow_an_ambient_step_with_the_time_constant_of_heat_capacity_over_conductance()
    {
        var options = Ideal();
        options.NeighbourConductance_W_per_K = 0.3;
        var pack = new PackModel(options);
        pack.Ambient_C = 45;
        double tau = pack.HeatCapacity_J_per_K / options.AmbientConductance_W_per_K; // 45 J/K / 0.05 W/K = 900 s
        Assert.Equal(15.0 * 2.969, pack.HeatCapacity_J_per_K, 6); // 15 J/K per Ah: an 18650 of 3 Ah ≈ 45 J/K
        pack.Step(0, tau);
        foreach (var cell in pack.Cells) Assert.Equal(25 + 20 * (1 - Math.Exp(-1)), cell.Temperature_C, 1);
        pack.Step(0, 10 * tau);
        foreach (var cell in pack.Cells) Assert.Equal(45, cell.Temperature_C, 2);
        // The thermistors see the cells (after their own short lag).
        for (int s = 0; s < pack.SensorCell.Length; s++) Assert.Equal(45, pack.SensorTemperature_C(s), 2);
    }

    [Fact]
    public void Joule_heating_settles_where_heat_in_equals_heat_to_ambient()
    {
        var options = Ideal(cells: 1);
        options.Temps = 1;
        options.InitialSoc = 0.5;
        var pack = new PackModel(options);
        const double current = 6.0;
        // ±6 A square wave with a 2 s period: SoC stays put, the polarisation branch stays near zero.
        for (int s = 0; s < 4 * 3600; s++) pack.Step(s % 2 == 0 ? current : -current, 1.0);
        var cell = pack.Cells[0];
        double r0 = pack.R0_Ohm(cell);
        double expectedRise = current * current * r0 / options.AmbientConductance_W_per_K;
        double rise = cell.Temperature_C - options.Ambient_C;
        Assert.InRange(rise, expectedRise * 0.97, expectedRise * 1.05); // the polarisation branch adds a little
        Assert.True(expectedRise > 5, "the test must heat measurably");
    }

    [Fact]
    public void Pack_soc_follows_the_firmware_definition()
    {
        var pack = new PackModel(Ideal());
        pack.Cells[0].Charge_As = 0.20 * pack.Cells[0].Capacity_As; // weakest
        pack.Cells[1].Charge_As = 0.70 * pack.Cells[1].Capacity_As; // fullest
        pack.Cells[2].Charge_As = 0.50 * pack.Cells[2].Capacity_As;
        pack.Cells[3].Charge_As = 0.40 * pack.Cells[3].Capacity_As;
        Assert.Equal(0.20 / (0.20 + (1 - 0.70)), pack.PackSoc, 12);
        foreach (var cell in pack.Cells) cell.Charge_As = cell.Capacity_As;
        Assert.Equal(1.0, pack.PackSoc, 12);
    }

    [Fact]
    public void Seed_draws_the_cell_spread_deterministically()
    {
        var a = new PackModel(new PackOptions { Seed = 7 });
        var b = new PackModel(new PackOptions { Seed = 7 });
        var c = new PackModel(new PackOptions { Seed = 8 });
        Assert.Equal(a.Cells.Select(x => x.Capacity_As), b.Cells.Select(x => x.Capacity_As));
        Assert.Equal(a.Cells.Select(x => x.ResistanceScale), b.Cells.Select(x => x.ResistanceScale));
        Assert.NotEqual(a.Cells.Select(x => x.Capacity_As), c.Cells.Select(x => x.Capacity_As));
        Assert.NotEqual(a.Cells.Select(x => x.Soc), c.Cells.Select(x => x.Soc));
        // The spread is there, and of the configured size (1 % capacity, 4 % resistance σ).
        Assert.True(a.Cells.Select(x => x.Capacity_As).Distinct().Count() == a.Cells.Length);
        foreach (var cell in a.Cells)
        {
            Assert.InRange(cell.Capacity_As / (a.NominalCapacity_mAh * 3.6), 0.97, 1.03);
            Assert.InRange(cell.ResistanceScale, 0.88, 1.12);
        }
    }
}
