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
    public void MulDiv_wide_products_with_a_representable_quotient_are_exact()
    {
        // The 128-bit path (product beyond 2^63) with quotients that fit: divisors of every width, including
        // those whose normalisation shift is 0 or 63 and the extreme operands.
        var rng = new Random(29);
        long[] edges = { long.MaxValue, long.MinValue, long.MinValue + 1, 1L << 62, (1L << 32) + 1, 0xFFFFFFFFL, 3037000500L };
        for (int k = 0; k < 50000; k++)
        {
            long a = k < 49 ? edges[k % 7] : NextWide(rng);
            long b = k < 49 ? edges[k / 7] : NextWide(rng);
            BigInteger p = (BigInteger)a * b;
            int productBits = (int)BigInteger.Abs(p).GetBitLength();
            // A divisor leaving a quotient of up to ~63 bits, sometimes one that saturates just so.
            int divisorBits = Math.Max(1, Math.Min(63, productBits - rng.Next(1, 66)));
            long c = (long)(rng.NextDouble() * Math.Pow(2, divisorBits)) + 1;
            if (k % 97 == 0) c = long.MaxValue;
            if (k % 89 == 0) c = long.MinValue;
            if (rng.Next(2) == 0 && c != long.MinValue) c = -c;
            BigInteger q = BigInteger.Divide(BigInteger.Abs(p) + BigInteger.Abs((BigInteger)c) / 2, BigInteger.Abs((BigInteger)c));
            if ((p.Sign < 0) ^ (c < 0)) q = -q;
            long expected = q > long.MaxValue ? long.MaxValue : q < long.MinValue ? long.MinValue : (long)q;
            Assert.True(expected == FixedMath.MulDiv(a, b, c), $"MulDiv({a}, {b}, {c}) = {FixedMath.MulDiv(a, b, c)}, expected {expected}");
        }
    }

    private static long NextWide(Random rng)
    {
        long v = rng.NextInt64(1L << 31, long.MaxValue);
        return rng.Next(2) == 0 ? v : -v;
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
