using System.Numerics;
using Bms.Firmware.Estimation;

namespace Bms.Firmware.Tests.Estimation;

public class FixedMathTests
{
    [Fact]
    public void MulDiv_matches_exact_128_bit_arithmetic_with_rounding_to_nearest()
    {
        var rng = new Random(11);
        for (int k = 0; k < 20000; k++)
        {
            long a = (long)(rng.NextDouble() * Math.Pow(2, rng.Next(1, 63))) * (rng.Next(2) == 0 ? 1 : -1);
            long b = (long)(rng.NextDouble() * Math.Pow(2, rng.Next(1, 63))) * (rng.Next(2) == 0 ? 1 : -1);
            long c = (long)(rng.NextDouble() * Math.Pow(2, rng.Next(1, 63))) + 1;
            if (rng.Next(2) == 0) c = -c;
            BigInteger p = (BigInteger)a * b;
            BigInteger q = BigInteger.Divide(BigInteger.Abs(p) + BigInteger.Abs((BigInteger)c) / 2, BigInteger.Abs(c));
            if ((p.Sign < 0) ^ (c < 0)) q = -q;
            long expected = q > long.MaxValue ? long.MaxValue : q < long.MinValue ? long.MinValue : (long)q;
            Assert.Equal(expected, FixedMath.MulDiv(a, b, c));
        }
    }

    [Fact]
    public void Sqrt_is_the_floor_square_root()
    {
        var rng = new Random(3);
        for (int k = 0; k < 20000; k++)
        {
            long v = (long)(rng.NextDouble() * Math.Pow(2, rng.Next(0, 63)));
            long r = FixedMath.Sqrt(v);
            Assert.True((BigInteger)r * r <= v && (BigInteger)(r + 1) * (r + 1) > v, $"sqrt({v}) = {r}");
        }
        Assert.Equal(0, FixedMath.Sqrt(-5));
    }

    [Fact]
    public void Saturating_polarisation_follows_asinh()
    {
        long vt = Polarization.ThermalVoltage_uV(250);
        Assert.InRange(vt, 51300, 51450); // 2RT/F at 25 °C
        for (long y = -2_000_000; y <= 2_000_000; y += 7919)
        {
            long value = Polarization.Saturate_uV(y, vt, out long slope);
            double exact = vt * Math.Asinh((double)y / vt);
            double exactSlope = 1e6 / Math.Sqrt(1 + Math.Pow((double)y / vt, 2));
            if (Math.Abs(y) < 32 * vt)
            {
                Assert.InRange(value, exact - 200, exact + 200); // linear interpolation of a 0.25·V_T table
                Assert.InRange(slope, exactSlope - 25, exactSlope + 25); // integer square root
            }
        }
    }
}
