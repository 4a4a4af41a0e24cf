using System;

namespace Bms.Drivers.Common
{
    /// <summary>
    /// Converts the resistance of an NTC thermistor to a temperature in 0.1 °C with integer arithmetic only.
    /// A resistance table (one entry per degree, milliohm resolution) is built once at construction from the
    /// Beta model, or supplied from a manufacturer's R/T table; a conversion is a binary search plus a linear
    /// interpolation and allocates nothing. A resistance outside the table (an open or a shorted thermistor,
    /// a broken divider) is reported as invalid, never as a temperature.
    /// </summary>
    public sealed class Ntc
    {
        /// <summary>Coldest temperature of a Beta-model table.</summary>
        public const int BetaTableFirst_dC = -550;

        /// <summary>Hottest temperature of a Beta-model table: far above any cell limit, so real runaway heat still reads.</summary>
        public const int BetaTableLast_dC = 2000;

        private const int BetaTableStep_dC = 10;

        // 0 °C in centi-kelvin (273.15 K).
        private const long ZeroCelsius_cK = 27315;

        // Q30 fixed point: the exponential of the Beta model is evaluated with 30 fractional bits.
        private const int FractionBits = 30;
        private const long One_Q30 = 1L << FractionBits;
        private const long Ln2_Q30 = 744261118; // ln 2 × 2^30, rounded

        private readonly long[] _resistance_mOhm;
        private readonly int _first_dC;
        private readonly int _step_dC;

        /// <summary>Beta-model thermistor specified at 25 °C, e.g. 10 kΩ B25/50 = 3435 K (the BQ769x0 reference design).</summary>
        public Ntc(int nominalResistance_ohm, int beta_K) : this(nominalResistance_ohm, beta_K, 250)
        {
        }

        /// <summary>Beta-model thermistor: R(T) = R0 · exp(B · (1/T − 1/T0)), with R0 at <paramref name="nominalTemperature_dC"/>.</summary>
        public Ntc(int nominalResistance_ohm, int beta_K, int nominalTemperature_dC)
        {
            if (nominalResistance_ohm < 10 || nominalResistance_ohm > 1000000)
            {
                throw new ArgumentException("nominal resistance must be 10 ohm .. 1 Mohm");
            }
            if (beta_K < 1000 || beta_K > 10000)
            {
                throw new ArgumentException("beta must be 1000 .. 10000 K");
            }
            if (nominalTemperature_dC < -550 || nominalTemperature_dC > 1500)
            {
                throw new ArgumentException("nominal temperature must be -55.0 .. 150.0 degC");
            }

            _first_dC = BetaTableFirst_dC;
            _step_dC = BetaTableStep_dC;
            int count = (BetaTableLast_dC - BetaTableFirst_dC) / BetaTableStep_dC + 1;
            _resistance_mOhm = new long[count];
            long nominal_mOhm = nominalResistance_ohm * 1000L;
            long inverseNominal_Q40 = InverseKelvin_Q40(nominalTemperature_dC);
            for (int i = 0; i < count; i++)
            {
                int temperature_dC = _first_dC + i * _step_dC;
                // B · (1/T − 1/T0) in Q30; the Q40 inverses keep the rounding error far below 1 mΩ.
                long exponent_Q40 = beta_K * (InverseKelvin_Q40(temperature_dC) - inverseNominal_Q40);
                long exponent_Q30 = RoundShiftRight(exponent_Q40, 10);
                _resistance_mOhm[i] = ScaleByExp(nominal_mOhm, exponent_Q30);
            }
        }

        /// <summary>
        /// Thermistor from a resistance table (e.g. a manufacturer's R/T list): entry i holds the resistance in
        /// milliohm at <paramref name="firstTemperature_dC"/> + i · <paramref name="step_dC"/>; strictly decreasing.
        /// The table is copied.
        /// </summary>
        public Ntc(long[] resistanceTable_mOhm, int firstTemperature_dC, int step_dC)
        {
            if (resistanceTable_mOhm == null || resistanceTable_mOhm.Length < 2)
            {
                throw new ArgumentException("resistance table needs at least two entries");
            }
            if (step_dC <= 0)
            {
                throw new ArgumentException("table step must be positive");
            }
            _resistance_mOhm = new long[resistanceTable_mOhm.Length];
            for (int i = 0; i < resistanceTable_mOhm.Length; i++)
            {
                if (resistanceTable_mOhm[i] <= 0 || (i > 0 && resistanceTable_mOhm[i] >= resistanceTable_mOhm[i - 1]))
                {
                    throw new ArgumentException("resistance table must be positive and strictly decreasing");
                }
                _resistance_mOhm[i] = resistanceTable_mOhm[i];
            }
            _first_dC = firstTemperature_dC;
            _step_dC = step_dC;
        }

        /// <summary>Coldest temperature this thermistor can report; a higher resistance is an open circuit.</summary>
        public int MinimumTemperature_dC
        {
            get { return _first_dC; }
        }

        /// <summary>Hottest temperature this thermistor can report; a lower resistance is a short circuit.</summary>
        public int MaximumTemperature_dC
        {
            get { return _first_dC + (_resistance_mOhm.Length - 1) * _step_dC; }
        }

        /// <summary>Largest valid resistance (at <see cref="MinimumTemperature_dC"/>).</summary>
        public long MaximumResistance_mOhm
        {
            get { return _resistance_mOhm[0]; }
        }

        /// <summary>Smallest valid resistance (at <see cref="MaximumTemperature_dC"/>).</summary>
        public long MinimumResistance_mOhm
        {
            get { return _resistance_mOhm[_resistance_mOhm.Length - 1]; }
        }

        /// <summary>
        /// Temperature of the thermistor at <paramref name="resistance_mOhm"/>. false (and 0) when the resistance
        /// is outside the table: open (too high) or shorted (too low) thermistor.
        /// </summary>
        public bool TryGetTemperature(long resistance_mOhm, out int temperature_dC)
        {
            int noHint = -1;
            return TryGetTemperature(resistance_mOhm, ref noHint, out temperature_dC);
        }

        /// <summary>
        /// <see cref="TryGetTemperature(long, out int)"/> that first tries the table segment in
        /// <paramref name="segmentHint"/> (the one of this sensor's previous conversion: temperatures move slowly,
        /// so it usually still holds) and searches only when it does not; the segment found is stored back.
        /// Any hint value is safe (a wrong one only costs the search). Same result as without the hint.
        /// </summary>
        public bool TryGetTemperature(long resistance_mOhm, ref int segmentHint, out int temperature_dC)
        {
            temperature_dC = 0;
            long[] table = _resistance_mOhm;
            int last = table.Length - 1;
            if (resistance_mOhm > table[0] || resistance_mOhm < table[last])
            {
                return false;
            }

            // Largest index below the last whose resistance is still >= the measured one (the table decreases).
            int low = segmentHint;
            if (low < 0 || low >= last || table[low] < resistance_mOhm || (table[low + 1] >= resistance_mOhm && low + 1 < last))
            {
                low = 0;
                int high = last;
                while (high - low > 1)
                {
                    int middle = (low + high) >> 1;
                    if (table[middle] >= resistance_mOhm)
                    {
                        low = middle;
                    }
                    else
                    {
                        high = middle;
                    }
                }
                segmentHint = low;
            }

            long upper = table[low];
            long span = upper - table[low + 1];
            long fraction_dC = ((upper - resistance_mOhm) * _step_dC + span / 2) / span;
            temperature_dC = _first_dC + low * _step_dC + (int)fraction_dC;
            return true;
        }

        /// <summary>
        /// Temperature from a divider read by an ADC: the thermistor sits between the measured node and ground,
        /// a <paramref name="pullUp_ohm"/> resistor between the node and the reference, so
        /// R = R_pull-up · V / (V_ref − V). <paramref name="nodeVoltage"/> and <paramref name="referenceVoltage"/>
        /// may be in any one unit (µV, ADC codes, e.g. an LTC681x GPIO code and its VREF2 code). false for a node
        /// at or beyond the reference (open thermistor), at or below zero (shorted) or outside the table.
        /// </summary>
        public bool TryGetTemperatureFromDivider(long nodeVoltage, long referenceVoltage, int pullUp_ohm, out int temperature_dC)
        {
            int noHint = -1;
            return TryGetTemperatureFromDivider(nodeVoltage, referenceVoltage, pullUp_ohm, ref noHint, out temperature_dC);
        }

        /// <summary>
        /// <see cref="TryGetTemperatureFromDivider(long, long, int, out int)"/> with a per-sensor table segment
        /// hint, as in <see cref="TryGetTemperature(long, ref int, out int)"/>.
        /// </summary>
        public bool TryGetTemperatureFromDivider(long nodeVoltage, long referenceVoltage, int pullUp_ohm, ref int segmentHint, out int temperature_dC)
        {
            temperature_dC = 0;
            if (referenceVoltage <= 0 || pullUp_ohm <= 0 || nodeVoltage <= 0 || nodeVoltage >= referenceVoltage)
            {
                return false;
            }
            long pullUp_mOhm = pullUp_ohm * 1000L;
            long numerator = pullUp_mOhm * nodeVoltage;
            // Guard the product: node voltages in µV up to ~9 V times a 1 MΩ pull-up still fit, larger inputs do not.
            // Below 2^22 it always fits (pull-up < 2^41 mΩ), so the division is only made for large inputs.
            if (nodeVoltage >= 0x400000 && numerator / nodeVoltage != pullUp_mOhm)
            {
                return false;
            }
            long denominator = referenceVoltage - nodeVoltage;
            long resistance_mOhm = (numerator + denominator / 2) / denominator;

            // TryGetTemperature(resistance_mOhm, ref segmentHint, ...) written out: one call per sensor less.
            long[] table = _resistance_mOhm;
            int last = table.Length - 1;
            if (resistance_mOhm > table[0] || resistance_mOhm < table[last])
            {
                return false;
            }
            int low = segmentHint;
            if (low < 0 || low >= last || table[low] < resistance_mOhm || (table[low + 1] >= resistance_mOhm && low + 1 < last))
            {
                low = 0;
                int high = last;
                while (high - low > 1)
                {
                    int middle = (low + high) >> 1;
                    if (table[middle] >= resistance_mOhm)
                    {
                        low = middle;
                    }
                    else
                    {
                        high = middle;
                    }
                }
                segmentHint = low;
            }
            long upper = table[low];
            long span = upper - table[low + 1];
            long fraction_dC = ((upper - resistance_mOhm) * _step_dC + span / 2) / span;
            temperature_dC = _first_dC + low * _step_dC + (int)fraction_dC;
            return true;
        }

        // 1 / T in K^-1, Q40, for a temperature in 0.1 °C.
        private static long InverseKelvin_Q40(int temperature_dC)
        {
            long kelvin_cK = ZeroCelsius_cK + temperature_dC * 10L;
            long numerator = 100L << 40;
            return (numerator + kelvin_cK / 2) / kelvin_cK;
        }

        // value · e^x, x in Q30 (|x| up to ~20), rounded to the nearest integer.
        private static long ScaleByExp(long value, long x_Q30)
        {
            // e^x = 2^k · e^r with |r| <= ln2 / 2, so the series converges fast and stays inside a long.
            long half = Ln2_Q30 / 2;
            long k = x_Q30 >= 0 ? (x_Q30 + half) / Ln2_Q30 : -((-x_Q30 + half) / Ln2_Q30);
            long r_Q30 = x_Q30 - k * Ln2_Q30;

            long sum_Q30 = One_Q30;
            long term_Q30 = One_Q30;
            for (int n = 1; n <= 14; n++)
            {
                term_Q30 = term_Q30 * r_Q30 / (One_Q30 * n);
                if (term_Q30 == 0)
                {
                    break;
                }
                sum_Q30 += term_Q30;
            }

            long product = value * sum_Q30; // value <= 1e9 mΩ, sum < 1.5 · 2^30: fits a long
            int shift = FractionBits - (int)k;
            if (shift > 0)
            {
                return RoundShiftRight(product, shift);
            }
            return product << -shift;
        }

        private static long RoundShiftRight(long value, int shift)
        {
            long half = 1L << (shift - 1);
            return value >= 0 ? (value + half) >> shift : -((-value + half) >> shift);
        }
    }
}
