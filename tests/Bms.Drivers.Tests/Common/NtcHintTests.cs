using Bms.Drivers.Common;

namespace Bms.Drivers.Tests.Common;

/// <summary>The table-segment hint only saves the search: every hint gives the result of the plain lookup.</summary>
public class NtcHintTests
{
    [Fact]
    public void Any_hint_gives_the_result_of_the_search_and_leaves_the_found_segment()
    {
        var ntc = new Ntc(10000, 3435);
        var random = new Random(7);
        int hint = -1;
        for (int n = 0; n < 20000; n++)
        {
            // across the whole table and a little beyond both ends (open / shorted sensor)
            long resistance = (long)(ntc.MinimumResistance_mOhm * 0.9 + random.NextDouble() * (ntc.MaximumResistance_mOhm * 1.1 - ntc.MinimumResistance_mOhm * 0.9));
            if (n % 3 == 0) hint = random.Next(-5, 300); // garbage hints, too
            bool expected = ntc.TryGetTemperature(resistance, out int expected_dC);
            bool actual = ntc.TryGetTemperature(resistance, ref hint, out int actual_dC);
            Assert.Equal(expected, actual);
            Assert.Equal(expected_dC, actual_dC);
            if (actual)
            {
                // the hint now names the segment of this value: the same value again needs no search and agrees
                int again = hint;
                Assert.True(ntc.TryGetTemperature(resistance, ref again, out int again_dC));
                Assert.Equal(actual_dC, again_dC);
                Assert.Equal(hint, again);
            }
        }
    }

    [Fact]
    public void Table_ends_and_segment_borders_agree_with_and_without_hint()
    {
        var table = new long[] { 50_000_000, 30_000_000, 20_000_000, 10_000_000, 5_000_000 };
        var ntc = new Ntc(table, -200, 100);
        foreach (long r in new long[] { 50_000_000, 30_000_000, 20_000_000, 10_000_000, 5_000_000, 29_999_999, 5_000_001, 49_999_999 })
        {
            for (int hint = -1; hint <= 5; hint++)
            {
                int h = hint;
                Assert.True(ntc.TryGetTemperature(r, out int expected_dC));
                Assert.True(ntc.TryGetTemperature(r, ref h, out int actual_dC));
                Assert.Equal(expected_dC, actual_dC);
            }
        }
    }

    [Fact]
    public void Divider_with_hint_follows_a_slow_ramp_exactly()
    {
        var ntc = new Ntc(10000, 3950);
        int hint = -1;
        for (int code = 1; code < 30000; code += 7)
        {
            bool expected = ntc.TryGetTemperatureFromDivider(code, 30000, 10000, out int expected_dC);
            bool actual = ntc.TryGetTemperatureFromDivider(code, 30000, 10000, ref hint, out int actual_dC);
            Assert.Equal(expected, actual);
            Assert.Equal(expected_dC, actual_dC);
        }
    }

    /// <summary>The divider with the look-up written out equals the resistance formula followed by the plain look-up.</summary>
    [Fact]
    public void Divider_equals_the_resistance_then_the_lookup_over_random_inputs_small_and_large()
    {
        var ntc = new Ntc(10000, 3435);
        var random = new Random(11);
        int hint = -1;
        for (int n = 0; n < 50000; n++)
        {
            // ADC codes (up to 16 bits) and microvolts (up to ~9 V, past the 2^22 below which no overflow check is needed).
            long reference = n % 2 == 0 ? random.Next(1, 65536) : random.Next(1, 9_000_000);
            long node = random.NextInt64(-2, reference + 2);
            int pullUp = n % 5 == 0 ? random.Next(-1, 1_000_001) : 10000;
            if (n % 4 == 0) hint = random.Next(-5, 300);
            bool actual = ntc.TryGetTemperatureFromDivider(node, reference, pullUp, ref hint, out int actual_dC);
            bool expected = false;
            int expected_dC = 0;
            if (reference > 0 && pullUp > 0 && node > 0 && node < reference)
            {
                long pullUp_mOhm = pullUp * 1000L;
                long denominator = reference - node;
                long resistance = (pullUp_mOhm * node + denominator / 2) / denominator;
                expected = ntc.TryGetTemperature(resistance, out expected_dC);
            }
            Assert.Equal(expected, actual);
            Assert.Equal(expected_dC, actual_dC);
        }
    }

    [Fact]
    public void Divider_refuses_a_product_that_does_not_fit()
    {
        var ntc = new Ntc(10000, 3435);
        // 2^40 µV times a 2^31 mΩ-scale pull-up overflows 64 bits: refused, never a wrapped resistance.
        Assert.False(ntc.TryGetTemperatureFromDivider(1L << 40, (1L << 40) + 1000, int.MaxValue, out _));
    }
}
