namespace Bms.Firmware.Safety
{
    /// <summary>
    /// Least-squares slope of integer samples held in a ring buffer, in integer arithmetic only. A fitted
    /// slope over a window is far less sensitive to quantisation and noise than a two-point difference
    /// (0.1 °C steps with ±0.2 °C noise would otherwise fake several °C/s).
    /// </summary>
    public static class LeastSquaresSlope
    {
        /// <summary>
        /// Slope dy/dx × <paramref name="scale"/> of the newest <paramref name="count"/> samples of one ring.
        /// The ring occupies <c>x[start .. start+capacity)</c> and <c>y[start .. start+capacity)</c>;
        /// <paramref name="newest"/> is the ring position (0..capacity-1) of the newest sample.
        /// Returns false when fewer than two samples or all x are equal. Caller picks x units and scale so that
        /// |x span| × |y span| × count² × scale stays well inside a long.
        /// </summary>
        public static bool TryCompute(long[] x, int[] y, int start, int capacity, int newest, int count, long scale, out long slope)
        {
            slope = 0;
            if (count < 2 || count > capacity)
            {
                return false;
            }
            long x0 = x[start + newest];
            long y0 = y[start + newest];
            long sx = 0, sy = 0, sxx = 0, sxy = 0;
            int position = newest;
            for (int k = 0; k < count; k++)
            {
                // Offsets from the newest sample keep every product small.
                long dx = x[start + position] - x0;
                long dy = y[start + position] - y0;
                sx += dx;
                sy += dy;
                sxx += dx * dx;
                sxy += dx * dy;
                position = position == 0 ? capacity - 1 : position - 1;
            }
            long n = count;
            long numerator = n * sxy - sx * sy;
            long denominator = n * sxx - sx * sx;
            if (denominator <= 0)
            {
                return false;
            }
            // Split the division so numerator × scale never overflows.
            long quotient = numerator / denominator;
            long remainder = numerator % denominator;
            slope = quotient * scale + remainder * scale / denominator;
            return true;
        }
    }
}
