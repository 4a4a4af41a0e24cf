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
}
