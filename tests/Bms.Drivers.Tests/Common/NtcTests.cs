using Bms.Drivers.Common;

namespace Bms.Drivers.Tests.Common;

public class NtcTests(ITestOutputHelper output)
{
    private static double BetaResistance_ohm(double r0, double beta, double celsius) =>
        r0 * Math.Exp(beta * (1.0 / (celsius + 273.15) - 1.0 / 298.15));

    public static TheoryData<int, int> Thermistors => new() { { 10000, 3435 }, { 10000, 3950 }, { 100000, 4250 } };

    [Theory]
    [MemberData(nameof(Thermistors))]
    public void Resistance_matches_the_beta_equation_within_a_tenth_of_a_degree_from_minus_40_to_125(int r0, int beta)
    {
        var ntc = new Ntc(r0, beta);
        double worst = 0;
        for (double celsius = -40.0; celsius <= 125.0; celsius += 0.25)
        {
            long resistance_mOhm = (long)Math.Round(BetaResistance_ohm(r0, beta, celsius) * 1000.0);
            Assert.True(ntc.TryGetTemperature(resistance_mOhm, out int t_dC), $"no temperature at {celsius} °C");
            worst = Math.Max(worst, Math.Abs(t_dC / 10.0 - celsius));
        }
        // 0.05 °C is the output rounding to 0.1 °C; the table interpolation adds far less than the rest.
        output.WriteLine($"NTC {r0} ohm B={beta}: worst error {worst:F3} °C over -40..125 °C");
        Assert.True(worst <= 0.1, $"worst error {worst:F3} °C");
    }

    [Fact]
    public void Nominal_point_and_table_ends_are_exact()
    {
        var ntc = new Ntc(10000, 3435);
        Assert.True(ntc.TryGetTemperature(10_000_000, out int t));
        Assert.Equal(250, t);
        Assert.Equal(-550, ntc.MinimumTemperature_dC);
        Assert.Equal(2000, ntc.MaximumTemperature_dC);
        // the integer table agrees with the double-precision Beta equation to a few milliohm
        Assert.InRange(ntc.MaximumResistance_mOhm - BetaResistance_ohm(10000, 3435, -55) * 1000, -3.0, 3.0);
        Assert.InRange(ntc.MinimumResistance_mOhm - BetaResistance_ohm(10000, 3435, 200) * 1000, -3.0, 3.0);
        Assert.True(ntc.TryGetTemperature(ntc.MaximumResistance_mOhm, out t));
        Assert.Equal(-550, t);
        Assert.True(ntc.TryGetTemperature(ntc.MinimumResistance_mOhm, out t));
        Assert.Equal(2000, t);
    }

    [Fact]
    public void Open_and_shorted_thermistors_are_invalid_not_temperatures()
    {
        var ntc = new Ntc(10000, 3435);
        Assert.False(ntc.TryGetTemperature(long.MaxValue, out _));           // open: infinite resistance
        Assert.False(ntc.TryGetTemperature(10_000_000_000_000, out _));      // 10 GΩ
        Assert.False(ntc.TryGetTemperature(ntc.MaximumResistance_mOhm + 1, out _));
        Assert.False(ntc.TryGetTemperature(0, out _));                       // short
        Assert.False(ntc.TryGetTemperature(1_000, out _));                   // 1 Ω
        Assert.False(ntc.TryGetTemperature(ntc.MinimumResistance_mOhm - 1, out _));
        Assert.False(ntc.TryGetTemperature(-5, out _));

        // Divider: node at the reference = nothing pulls it down (open); node at 0 V = short.
        Assert.False(ntc.TryGetTemperatureFromDivider(3_300_000, 3_300_000, 10000, out _));
        Assert.False(ntc.TryGetTemperatureFromDivider(3_400_000, 3_300_000, 10000, out _));
        Assert.False(ntc.TryGetTemperatureFromDivider(0, 3_300_000, 10000, out _));
        Assert.False(ntc.TryGetTemperatureFromDivider(382, 3_300_000, 10000, out _)); // one ADC step above 0 V: ~1.2 Ω
        Assert.False(ntc.TryGetTemperatureFromDivider(1000, 0, 10000, out _));
    }

    [Theory]
    [InlineData(10000, 3435, 3300, 382)]    // BQ769x0 TS pin: 10 kΩ pull-up to 3.3 V, 382 µV ADC step
    [InlineData(10000, 3950, 3000, 100)]    // LTC681x GPIO: 10 kΩ pull-up to VREF2 3.0 V, 100 µV codes
    public void Divider_readings_quantised_by_the_adc_convert_within_two_tenths(int r0, int beta, int reference_mV, int lsb_uV)
    {
        var ntc = new Ntc(r0, beta);
        long reference = reference_mV * 1000L / lsb_uV; // reference in ADC codes, as LTC681x reads VREF2
        double worst = 0;
        for (double celsius = -40.0; celsius <= 125.0; celsius += 0.5)
        {
            double r = BetaResistance_ohm(r0, beta, celsius);
            long code = (long)Math.Round(reference * r / (r + 10000));
            Assert.True(ntc.TryGetTemperatureFromDivider(code, reference, 10000, out int t_dC), $"no temperature at {celsius}");
            worst = Math.Max(worst, Math.Abs(t_dC / 10.0 - celsius));
        }
        output.WriteLine($"divider B={beta} ref {reference} codes: worst error {worst:F3} °C over -40..125 °C");
        Assert.True(worst <= 0.2, $"worst error {worst:F3} °C");
    }

    [Fact]
    public void Temperature_rises_monotonically_as_resistance_falls()
    {
        var ntc = new Ntc(10000, 3950);
        int previous = int.MinValue;
        for (long r = ntc.MaximumResistance_mOhm; r >= ntc.MinimumResistance_mOhm; r -= Math.Max(1, r / 500))
        {
            Assert.True(ntc.TryGetTemperature(r, out int t));
            Assert.True(t >= previous, $"{t} after {previous} at {r} mOhm");
            previous = t;
        }
    }

    [Fact]
    public void A_manufacturer_table_is_interpolated_and_checked()
    {
        // R at 0, 10, 20, 30 °C (kΩ): 32.6, 19.9, 12.5, 8.06
        var ntc = new Ntc(new long[] { 32_600_000, 19_900_000, 12_500_000, 8_060_000 }, 0, 100);
        Assert.True(ntc.TryGetTemperature(19_900_000, out int t));
        Assert.Equal(100, t);
        Assert.True(ntc.TryGetTemperature(16_200_000, out t)); // half way between 10 and 20 °C in resistance
        Assert.Equal(150, t);
        Assert.False(ntc.TryGetTemperature(40_000_000, out _));
        Assert.Throws<ArgumentException>(() => new Ntc(new long[] { 10, 20 }, 0, 10));
        Assert.Throws<ArgumentException>(() => new Ntc(new long[] { 10 }, 0, 10));
        Assert.Throws<ArgumentException>(() => new Ntc(10000, 100));
    }

    [Fact]
    public void Conversions_allocate_nothing()
    {
        var ntc = new Ntc(10000, 3435);
        ntc.TryGetTemperatureFromDivider(1_000_000, 3_300_000, 10000, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int sum = 0;
        for (int i = 1; i < 5000; i++)
        {
            if (ntc.TryGetTemperatureFromDivider(i * 600, 3_300_000, 10000, out int t)) sum += t;
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.NotEqual(0, sum);
    }
}
