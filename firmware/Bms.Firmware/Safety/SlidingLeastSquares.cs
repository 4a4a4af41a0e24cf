using System;

namespace Bms.Firmware.Safety
{
    /// <summary>
    /// Least-squares slope over a sliding window of the newest samples of one channel, without a refit per sample
    /// (the guard loop cannot afford one). Samples normally arrive at a fixed step Δ (the 100 ms task, the 1 s
    /// buckets); then with k = 0 for the oldest sample, x_k = x_0 + kΔ and
    /// n·Σxy − Σx·Σy = Δ·(n·Σky − n(n−1)/2·Σy) and n·Σx² − (Σx)² = Δ²·n²(n²−1)/12,
    /// so two running sums, Σy and Σky, updated exactly in integers as samples enter and leave, give the same
    /// numerator and denominator as <see cref="LeastSquaresSlope.TryCompute"/> and therefore the same slope bit
    /// for bit. While the window is not full or holds an uneven step (a skipped scan) the slope is refitted from
    /// the ring. Buffers allocated in the constructor.
    /// </summary>
    public sealed class SlidingLeastSquares
    {
        // Steps above this are refitted from the ring, so that Δ² · n²(n²−1)/12 stays inside a long.
        private const long MaxEvenStep = 1L << 20;

        // Thresholds up to this keep threshold × Δ × n²(n²−1)/12 inside a long (Δ ≤ 2²⁰, n ≤ 100); larger ones
        // are compared after the division.
        private const long MaxBoundThreshold = 1L << 16;

        // No step is this (the bound is only kept for steps 1..MaxEvenStep).
        private const long NoBound = long.MinValue;

        private readonly int _capacity;
        private readonly long _halfPairs;
        private readonly long _lastIndex;
        private readonly long _compareScale;
        private readonly long _compareThreshold;
        private readonly bool _boundUsable;
        private readonly long[] _x;
        private readonly int[] _y;
        private int _newest = -1;
        private int _count;
        private long _sumY;
        private long _sumKY;
        private long _step;
        // Pushes still needed before the window is full and its newest n − 1 steps are all equal to _step
        // (0: the window is full and even).
        private int _unevenLeft;

        // The smallest n·Σky − n(n−1)/2·Σy of a full window of step _boundStep whose slope reaches the threshold.
        private long _boundStep = NoBound;
        private long _boundMinimum;

        /// <summary>
        /// A window of <paramref name="capacity"/> samples. Callers keep |x span| × |y span| × capacity² × scale
        /// well inside a long, as for <see cref="LeastSquaresSlope"/>.
        /// </summary>
        public SlidingLeastSquares(int capacity)
            : this(capacity, 1, long.MaxValue)
        {
        }

        /// <summary>
        /// A window of <paramref name="capacity"/> samples whose slope × <paramref name="compareScale"/>
        /// <see cref="PushAndCompare"/> compares with <paramref name="compareThreshold"/>.
        /// </summary>
        public SlidingLeastSquares(int capacity, long compareScale, long compareThreshold)
        {
            if (capacity < 2)
            {
                throw new ArgumentOutOfRangeException("capacity", "SlidingLeastSquares needs a window of at least two samples");
            }
            _capacity = capacity;
            _halfPairs = (long)capacity * (capacity - 1) / 2;
            _lastIndex = capacity - 1;
            _unevenLeft = capacity - 1;
            _compareScale = compareScale;
            _compareThreshold = compareThreshold;
            // The comparison without the division relies on a positive threshold (the division rounds toward zero).
            _boundUsable = compareScale > 0 && compareThreshold > 0 && compareThreshold <= MaxBoundThreshold && capacity <= 100;
            _x = new long[capacity];
            _y = new int[capacity];
        }

        /// <summary>Samples per window.</summary>
        public int Capacity { get { return _capacity; } }

        /// <summary>Samples now in the window (0..Capacity).</summary>
        public int Count { get { return _count; } }

        /// <summary>x of the newest sample pushed (<see cref="Clear"/> keeps it); 0 before the first.</summary>
        public long NewestX { get { return _newest < 0 ? 0 : _x[_newest]; } }

        /// <summary>Empties the window.</summary>
        public void Clear()
        {
            _count = 0;
            _unevenLeft = _capacity - 1;
        }

        /// <summary>
        /// Adds a sample; when the window is full the oldest sample leaves it. Returns the samples now in the window.
        /// </summary>
        public int Push(long x, int y)
        {
            int count = _count;
            int previous = _newest;
            int newest = previous + 1;
            if (newest == _capacity)
            {
                newest = 0;
            }
            if (count == 0)
            {
                _sumY = 0;
                _sumKY = 0;
                _unevenLeft = _capacity - 1;
            }
            else
            {
                CountStep(x - _x[previous]);
            }
            _x[newest] = x;
            _newest = newest;
            if (count < _capacity)
            {
                _sumKY += (long)count * y;
                _sumY += y;
                _y[newest] = y;
                count++;
                _count = count;
                return count;
            }
            // Every remaining sample moves one place towards the oldest: Σky loses Σy of the others.
            long sumY = _sumY - _y[newest];
            _sumKY += (long)(count - 1) * y - sumY;
            _sumY = sumY + y;
            _y[newest] = y;
            return count;
        }

        /// <summary>
        /// Adds a sample and tells whether the window is full and its slope (as <see cref="TrySlope"/> gives it
        /// with the compare scale) is at least the compare threshold: +1 yes, 0 no, −1 when the window is not full
        /// or has no slope. With an even window this is one comparison, without the division.
        /// </summary>
        public int PushAndCompare(long x, int y)
        {
            // _unevenLeft is 0 only for a full, even window; _boundStep is only ever the current _step (a new step
            // clears it). So a sample one bound step after an even window needs no more bookkeeping: the steady
            // case of Push is written out here, since it runs for every sensor every tick.
            int previous = _newest;
            if (_unevenLeft != 0 || x - _x[previous] != _boundStep)
            {
                return Push(x, y) < _capacity ? -1 : CompareFull();
            }
            int newest = previous + 1;
            if (newest == _capacity)
            {
                newest = 0;
            }
            _x[newest] = x;
            _newest = newest;
            // Every remaining sample moves one place towards the oldest: Σky loses Σy of the others.
            long sumY = _sumY - _y[newest];
            long sumKY = _sumKY + _lastIndex * y - sumY;
            sumY += y;
            _sumY = sumY;
            _sumKY = sumKY;
            _y[newest] = y;
            return _capacity * sumKY - _halfPairs * sumY >= _boundMinimum ? 1 : 0;
        }

        private void CountStep(long step)
        {
            if (step != _step)
            {
                _step = step;
                _boundStep = NoBound;
                _unevenLeft = _capacity - 2;
            }
            else if (_unevenLeft > 0)
            {
                _unevenLeft--;
            }
        }

        private int CompareFull()
        {
            long step = _step;
            if (_boundUsable && _unevenLeft == 0 && step > 0 && step <= MaxEvenStep)
            {
                // slope ≥ threshold ⇔ Δ·A·scale ≥ threshold·Δ²·m (the threshold is positive and the division rounds
                // toward zero) ⇔ A ≥ ⌈threshold·Δ·m / scale⌉, with A = n·Σky − n(n−1)/2·Σy, m = n²(n²−1)/12.
                long n = _capacity;
                long product = _compareThreshold * step * (n * n * (n * n - 1) / 12);
                _boundMinimum = product / _compareScale + (product % _compareScale == 0 ? 0 : 1);
                _boundStep = step;
                return n * _sumKY - _halfPairs * _sumY >= _boundMinimum ? 1 : 0;
            }
            long slope;
            if (!TrySlope(_compareScale, out slope))
            {
                return -1;
            }
            return slope >= _compareThreshold ? 1 : 0;
        }

        /// <summary>
        /// Adds a sample and fits the slope dy/dx × <paramref name="scale"/>; false until the window is full, or
        /// when all x are equal.
        /// </summary>
        public bool PushAndFitFull(long x, int y, long scale, out long slope)
        {
            if (Push(x, y) < _capacity)
            {
                slope = 0;
                return false;
            }
            return TrySlope(scale, out slope);
        }

        /// <summary>Slope dy/dx × <paramref name="scale"/> over the window; false with fewer than two samples or all x equal.</summary>
        public bool TrySlope(long scale, out long slope)
        {
            long n = _count;
            long step = _step;
            if (n < _capacity || _unevenLeft != 0 || step <= 0 || step > MaxEvenStep)
            {
                return LeastSquaresSlope.TryCompute(_x, _y, 0, _capacity, _newest < 0 ? 0 : _newest, _count, scale, out slope);
            }
            long numerator = step * (n * _sumKY - _halfPairs * _sumY);
            long denominator = step * step * (n * n * (n * n - 1) / 12);
            // Split the division so numerator × scale never overflows (the same rounding as LeastSquaresSlope).
            long quotient = numerator / denominator;
            long remainder = numerator - quotient * denominator;
            slope = quotient * scale + remainder * scale / denominator;
            return true;
        }
    }
}
