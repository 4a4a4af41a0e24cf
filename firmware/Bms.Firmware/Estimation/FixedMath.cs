namespace Bms.Firmware.Estimation
{
    /// <summary>
    /// Integer helpers for the estimator: a·b/c with a 128-bit intermediate (the Kalman covariance products
    /// exceed 64 bits while the filter is still converging), integer square root. No allocation.
    /// </summary>
    public static class FixedMath
    {
        private const long SqrtMax = 3037000499L; // floor(sqrt(long.MaxValue))

        /// <summary>floor(sqrt(long.MaxValue)): the largest value whose square fits a long.</summary>
        public const long SqrtOfMax = SqrtMax;

        /// <summary>a·b/c rounded to nearest, saturated to the long range; c must not be 0.</summary>
        public static long MulDiv(long a, long b, long c)
        {
            if (c == 0) throw new System.ArgumentException("division by zero");
            bool negative = (a < 0) ^ (b < 0) ^ (c < 0);
            // Magnitudes inline: a call per operand costs more than the arithmetic on an IL interpreter.
            ulong ua = a < 0 ? (ulong)(-(a + 1)) + 1UL : (ulong)a;
            ulong ub = b < 0 ? (ulong)(-(b + 1)) + 1UL : (ulong)b;
            ulong uc = c < 0 ? (ulong)(-(c + 1)) + 1UL : (ulong)c;
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
                q = Divide128(hi, lo, uc);
            }
            if (q > (ulong)long.MaxValue) return negative ? long.MinValue : long.MaxValue;
            return negative ? -(long)q : (long)q;
        }

        /// <summary>
        /// x·m/2^s rounded to nearest (each of two partial products, so within a unit), for |m| &lt; 2^31, 0 ≤ s ≤ 62 and |x| &lt; 2^62; the result must fit
        /// a long. Two 64-bit products of x's 31-bit halves: the Kalman step's coefficient products without the
        /// 128-bit path (a coefficient comes as a binary fraction m/2^s, see <see cref="Ratio"/>).
        /// </summary>
        public static long MulShift(long x, long m, int s)
        {
            long high = (x >> 31) * m, low = (x & 0x7FFFFFFFL) * m;
            // Gains above one (the usual case for the SoC and offset gains) first.
            if (s < 31) return s <= 0 ? (high << 31) + low : (high << (31 - s)) + ((low + (1L << (s - 1))) >> s);
            if (s == 31) return high + ((low + (1L << 30)) >> 31);
            return ((high + (1L << (s - 32))) >> (s - 31)) + ((low + (1L << (s - 1))) >> s);
        }

        /// <summary><see cref="MulShift"/> for a fraction below one half (s ≥ 32): no branch.</summary>
        public static long MulFraction(long x, long m, int s)
        {
            long high = (x >> 31) * m, low = (x & 0x7FFFFFFFL) * m;
            return ((high + (1L << (s - 32))) >> (s - 31)) + ((low + (1L << (s - 1))) >> s);
        }

        /// <summary><see cref="MulShift"/> for a Q31 fraction (s = 31).</summary>
        public static long MulQ31(long x, long m)
        {
            long high = (x >> 31) * m, low = (x & 0x7FFFFFFFL) * m;
            return high + ((low + (1L << 30)) >> 31);
        }

        /// <summary><see cref="MulShift"/> for a Q32 fraction below one half.</summary>
        public static long MulQ32(long x, long m)
        {
            long high = (x >> 31) * m, low = (x & 0x7FFFFFFFL) * m;
            return ((high + 1) >> 1) + ((low + (1L << 31)) >> 32);
        }

        /// <summary><see cref="MulShift"/> for a Q40 fraction below 2^-9.</summary>
        public static long MulQ40(long x, long m)
        {
            long high = (x >> 31) * m, low = (x & 0x7FFFFFFFL) * m;
            return ((high + (1L << 8)) >> 9) + ((low + (1L << 39)) >> 40);
        }

        /// <summary>
        /// A positive denominator scaled to 32 significant bits, for several <see cref="RatioBy"/> quotients over the
        /// same denominator (the Kalman gains); <paramref name="down"/> is the scaling's exponent.
        /// </summary>
        public static long NormalizeDenominator(long den, out int down)
        {
            ulong d = (ulong)den;
            int shift = BitLengthUnsigned(d) - 32;
            if (shift > 0) d = (d + (1UL << (shift - 1))) >> shift;
            else d <<= -shift;
            down = shift;
            return (long)d;
        }

        /// <summary><see cref="Ratio"/> over a denominator prepared by <see cref="NormalizeDenominator"/>.</summary>
        public static long RatioBy(long num, long normalizedDen, int down, out int shift)
        {
            if (num == 0) { shift = 0; return 0; }
            bool negative = num < 0;
            ulong n = negative ? (ulong)(-(num + 1)) + 1UL : (ulong)num;
            // BitLengthUnsigned(n), inline: three of these per Kalman step.
            int bits = 0;
            ulong v = n;
            if (v >= 0x100000000UL) { v >>= 32; bits = 32; }
            uint w = (uint)v;
            if (w >= 0x10000U) { w >>= 16; bits += 16; }
            if (w >= 0x100U) { w >>= 8; bits += 8; }
            int up = 62 - (bits + ByteBitLength[w]);
            long m = (long)((n << up) / (ulong)normalizedDen);
            int s = up + down;
            if (s > 62) { m >>= s - 62; s = 62; }
            else if (s < 0) { m = 0x7FFFFFFFL; s = 0; }
            shift = s;
            return negative ? -m : m;
        }

        /// <summary>
        /// num/den as a binary fraction m/2^<paramref name="shift"/> with 2^29 &lt; |m| &lt; 2^31 (31 significant bits;
        /// m = 0 for num = 0), for den &gt; 0. The shift is kept within 0..62 (a smaller fraction keeps fewer bits, a
        /// fraction of 2^31 or more saturates).
        /// </summary>
        public static long Ratio(long num, long den, out int shift)
        {
            if (num == 0 || den <= 0) { shift = 0; return 0; }
            bool negative = num < 0;
            ulong n = negative ? (ulong)(-(num + 1)) + 1UL : (ulong)num;
            ulong d = (ulong)den;
            int up = 62 - BitLengthUnsigned(n); // numerator to [2^61, 2^62)
            n <<= up;
            int down = BitLengthUnsigned(d) - 32; // denominator to [2^31, 2^32]
            if (down > 0) d = (d + (1UL << (down - 1))) >> down;
            else d <<= -down;
            long m = (long)(n / d);
            int s = up + down;
            if (s > 62) { m >>= s - 62; s = 62; }
            else if (s < 0) { m = 0x7FFFFFFFL; s = 0; }
            shift = s;
            return negative ? -m : m;
        }

        /// <summary>
        /// floor(sqrt(value)) by Newton's iteration from <paramref name="guess"/> (e.g. the previous step's root, so
        /// a slowly changing variance needs one or two divisions instead of a full root). Same result as
        /// <see cref="Sqrt"/> for any guess &gt; 0.
        /// </summary>
        public static long SqrtFrom(long value, long guess)
        {
            if (value <= 0) return 0;
            if (guess <= 0) guess = 1;
            // One step from any positive guess lands at or above the root; from there the iteration falls to it.
            long x = (guess + value / guess) / 2;
            if (x <= 0) x = 1;
            long y = (x + value / x) / 2;
            while (y < x)
            {
                x = y;
                y = (x + value / x) / 2;
            }
            return x;
        }

        /// <summary>
        /// (hi·2^64 + lo) / divisor for hi &lt; divisor, in two 32-bit quotient digits (schoolbook long division
        /// with a normalised divisor, Knuth's algorithm D): some 60 IL instructions where a bit-by-bit loop
        /// takes over 450.
        /// </summary>
        private static ulong Divide128(ulong hi, ulong lo, ulong divisor)
        {
            const ulong Base = 0x100000000UL;
            int shift = 64 - BitLengthUnsigned(divisor);
            ulong v = divisor << shift;
            ulong vHi = v >> 32, vLo = v & 0xFFFFFFFFUL;
            ulong top = shift == 0 ? hi : (hi << shift) | (lo >> (64 - shift));
            ulong low = lo << shift;
            ulong lowHi = low >> 32, lowLo = low & 0xFFFFFFFFUL;

            ulong q1 = top / vHi;
            ulong rhat = top - q1 * vHi;
            while (q1 >= Base || q1 * vLo > ((rhat << 32) | lowHi))
            {
                q1--;
                rhat += vHi;
                if (rhat >= Base) break;
            }
            // Wraps modulo 2^64 on the way; the true remainder is below v.
            ulong mid = (top << 32) + lowHi - q1 * v;

            ulong q0 = mid / vHi;
            rhat = mid - q0 * vHi;
            while (q0 >= Base || q0 * vLo > ((rhat << 32) | lowLo))
            {
                q0--;
                rhat += vHi;
                if (rhat >= Base) break;
            }
            return (q1 << 32) | q0;
        }

        /// <summary>Number of significant bits (0 for 0): two halving steps, then a byte table.</summary>
        private static int BitLengthUnsigned(ulong v)
        {
            int n = 0;
            if (v >= 0x100000000UL) { v >>= 32; n = 32; }
            uint w = (uint)v;
            if (w >= 0x10000U) { w >>= 16; n += 16; }
            if (w >= 0x100U) { w >>= 8; n += 8; }
            return n + ByteBitLength[w];
        }

        private static readonly byte[] ByteBitLength = BuildByteBitLength();

        private static byte[] BuildByteBitLength()
        {
            byte[] table = new byte[256];
            for (int k = 1; k < 256; k++) table[k] = (byte)(table[k >> 1] + 1);
            return table;
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
            return v <= 0 ? 0 : BitLengthUnsigned((ulong)v);
        }

        /// <summary>Absolute value without System.Math (not in nanoFramework's mscorlib).</summary>
        public static long Abs(long v) { return v < 0 ? -v : v; }
        public static int Abs(int v) { return v < 0 ? -v : v; }
    }
}
