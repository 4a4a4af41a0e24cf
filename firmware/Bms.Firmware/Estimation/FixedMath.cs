namespace Bms.Firmware.Estimation
{
    /// <summary>
    /// Integer helpers for the estimator: a·b/c with a 128-bit intermediate (the Kalman covariance products
    /// exceed 64 bits while the filter is still converging), integer square root. No allocation.
    /// </summary>
    public static class FixedMath
    {
        private const long SqrtMax = 3037000499L; // floor(sqrt(long.MaxValue))

        /// <summary>a·b/c rounded to nearest, saturated to the long range; c must not be 0.</summary>
        public static long MulDiv(long a, long b, long c)
        {
            if (c == 0) throw new System.ArgumentException("division by zero");
            bool negative = (a < 0) ^ (b < 0) ^ (c < 0);
            ulong ua = Magnitude(a), ub = Magnitude(b), uc = Magnitude(c);
            ulong q;
            if ((ua <= SqrtMax && ub <= SqrtMax) || ub == 0 || ua <= (ulong)long.MaxValue / ub)
            {
                ulong p = ua * ub;
                ulong half = uc >> 1;
                // p <= 2^63 - 1 and half < 2^63: the sum fits in 64 unsigned bits
                q = (p + half) / uc;
            }
            else
            {
                // 64 x 64 -> 128 bit product from 32-bit halves.
                ulong aLo = ua & 0xFFFFFFFFUL, aHi = ua >> 32, bLo = ub & 0xFFFFFFFFUL, bHi = ub >> 32;
                ulong ll = aLo * bLo, lh = aLo * bHi, hl = aHi * bLo, hh = aHi * bHi;
                ulong mid = (ll >> 32) + (lh & 0xFFFFFFFFUL) + (hl & 0xFFFFFFFFUL);
                ulong lo = (ll & 0xFFFFFFFFUL) | (mid << 32);
                ulong hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
                // + c/2 for rounding
                ulong half = uc >> 1;
                ulong newLo = lo + half;
                if (newLo < lo) hi++;
                lo = newLo;
                if (hi >= uc) return negative ? long.MinValue : long.MaxValue;
                ulong rem = hi;
                q = 0;
                for (int i = 0; i < 64; i++)
                {
                    ulong carry = rem >> 63;
                    rem = (rem << 1) | (lo >> 63);
                    lo <<= 1;
                    q <<= 1;
                    if (carry != 0 || rem >= uc)
                    {
                        rem -= uc;
                        q |= 1;
                    }
                }
            }
            if (q > (ulong)long.MaxValue) return negative ? long.MinValue : long.MaxValue;
            return negative ? -(long)q : (long)q;
        }

        /// <summary>Integer square root (floor) of a non-negative value; 0 for negative input.</summary>
        public static long Sqrt(long value)
        {
            if (value <= 0) return 0;
            long x = value;
            long y = (x + 1) / 2;
            if (value > 4) { x = 1L << ((BitLength(value) + 1) / 2); y = (x + value / x) / 2; }
            while (y < x)
            {
                x = y;
                y = (x + value / x) / 2;
            }
            return x;
        }

        private static int BitLength(long v)
        {
            int n = 0;
            while (v > 0) { n++; v >>= 1; }
            return n;
        }

        private static ulong Magnitude(long v)
        {
            return v < 0 ? (ulong)(-(v + 1)) + 1UL : (ulong)v;
        }

        /// <summary>Absolute value without System.Math (not in nanoFramework's mscorlib).</summary>
        public static long Abs(long v) { return v < 0 ? -v : v; }
        public static int Abs(int v) { return v < 0 ? -v : v; }
    }
}
