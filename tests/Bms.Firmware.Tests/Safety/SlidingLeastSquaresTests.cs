using System;
using System.Collections.Generic;
using Bms.Firmware.Safety;
using Xunit;

namespace Bms.Firmware.Tests.Safety
{
    /// <summary>The running sums give the refitted slope bit for bit, over wrap-around, uneven steps and restarts.</summary>
    public class SlidingLeastSquaresTests
    {
        private static bool Refit(List<(long X, int Y)> window, long scale, out long slope)
        {
            var x = new long[window.Count];
            var y = new int[window.Count];
            for (int k = 0; k < window.Count; k++) { x[k] = window[k].X; y[k] = window[k].Y; }
            return LeastSquaresSlope.TryCompute(x, y, 0, window.Count, window.Count - 1, window.Count, scale, out slope);
        }

        private static int Check(int capacity, long scale, int seed, Func<Random, long> nextStep, Func<Random, int, int> nextY,
            int pushes = 5000, long[]? thresholds = null)
        {
            thresholds ??= new long[] { 1, 7, 100, 999, 1000, 1001, 9999, 10000, 10001, 65536, 65537, 1000000 };
            var random = new Random(seed);
            var fit = new SlidingLeastSquares(capacity);
            var compared = new SlidingLeastSquares[thresholds.Length];
            for (int t = 0; t < thresholds.Length; t++) { compared[t] = new SlidingLeastSquares(capacity, scale, thresholds[t]); }
            var window = new List<(long X, int Y)>();
            long x = random.Next(0, 1000000) * 1000L;
            int y = random.Next(-500, 1500);
            int hits = 0;
            for (int i = 0; i < pushes; i++)
            {
                if (random.Next(400) == 0)
                {
                    fit.Clear();
                    foreach (var c in compared) { c.Clear(); }
                    window.Clear();
                }
                x += nextStep(random);
                y = nextY(random, y);
                window.Add((x, y));
                if (window.Count > capacity) { window.RemoveAt(0); }

                bool expectedValid = Refit(window, scale, out long expected);
                Assert.Equal(window.Count, fit.Push(x, y));
                bool valid = fit.TrySlope(scale, out long slope);
                Assert.Equal(expectedValid, valid);
                Assert.Equal(expected, slope);

                for (int t = 0; t < thresholds.Length; t++)
                {
                    int comparison = compared[t].PushAndCompare(x, y);
                    int expectedComparison = window.Count < capacity || !expectedValid ? -1 : expected >= thresholds[t] ? 1 : 0;
                    Assert.Equal(expectedComparison, comparison);
                    if (expected == thresholds[t]) { hits++; }
                }
                Assert.Equal(window.Count, compared[0].Count);
            }
            return hits;
        }

        [Theory]
        [InlineData(10, 1000000L, 1)]
        [InlineData(3, 1000000L, 2)]
        [InlineData(60, 100L, 3)]
        [InlineData(100, 1000L, 4)]
        public void Even_steps_give_the_refitted_slope_bit_for_bit(int capacity, long scale, int seed)
        {
            Check(capacity, scale, seed, r => 100, (r, y) => y + r.Next(-30, 31));
        }

        [Theory]
        [InlineData(10, 1000000L, 5)]
        [InlineData(7, 100L, 6)]
        public void Uneven_steps_and_skipped_samples_give_the_refitted_slope_bit_for_bit(int capacity, long scale, int seed)
        {
            // Mostly 100 ms, now and then a skipped scan, a late tick, or a long pause.
            Check(capacity, scale, seed, r =>
            {
                int pick = r.Next(40);
                return pick == 0 ? 200 : pick == 1 ? 97 : pick == 2 ? r.Next(1, 100000) : 100;
            }, (r, y) => y + r.Next(-200, 201));
        }

        [Fact]
        public void Zero_and_backward_steps_give_the_refitted_slope_bit_for_bit()
        {
            // Not from a monotonic clock, but the sums must not assume one.
            Check(4, 1000000, 9, r =>
            {
                int pick = r.Next(12);
                return pick == 0 ? -1 : pick == 1 ? 0 : pick == 2 ? -100 : 100;
            }, (r, y) => y + r.Next(-20, 21));
        }

        [Fact]
        public void Steep_and_noisy_rises_compare_exactly_with_the_runaway_threshold()
        {
            // Rates around 1 °C/s (10 000 in 0.001 × 0.1 °C/s): the comparison must agree with the division each time.
            Check(10, 1000000, 7, r => 100, (r, y) => y + 1 + r.Next(-2, 3), 20000);
        }

        [Fact]
        public void The_runaway_threshold_is_compared_exactly_at_the_boundary()
        {
            // The guard's case: 100 ms steps, slopes crossing 1 °C/s back and forth; thresholds on both sides of
            // slopes the data actually produces.
            int exactlyAtThreshold = Check(10, 1000000, 8, r => r.Next(200) == 0 ? 300 : 100, (r, y) => y + r.Next(-1, 4), 20000,
                new long[] { 9999, 10000, 10001, 10303, 10304, 10305, 20000 });
            Assert.True(exactlyAtThreshold > 10, $"slopes exactly at a threshold: {exactlyAtThreshold}");
        }

        [Fact]
        public void Equal_x_has_no_slope()
        {
            var fit = new SlidingLeastSquares(4);
            for (int i = 0; i < 6; i++) { fit.Push(1000, i); }
            Assert.False(fit.TrySlope(1000, out _));
            Assert.Equal(-1, new SlidingLeastSquares(2, 1000, 1).PushAndCompare(5, 5));
        }
    }
}
