namespace Bms.Firmware.Chemistry
{
    /// <summary>
    /// Everything the firmware knows about one cell chemistry, as integer tables: the open-circuit voltage
    /// over state of charge, the equivalent-circuit parameters (R0 + R1||C1) over state of charge and
    /// temperature, the nominal capacity and the hard safe operating envelope.
    /// Immutable once built; every lookup is allocation-free integer arithmetic (MCU guard loop).
    /// </summary>
    /// <remarks>
    /// Tables: <c>ocv_mV[k]</c> is the OCV at SoC = k·ocvStep_pcm (must rise strictly from 0 % to 100 %).
    /// Resistance tables are flattened [temperature row][SoC column]: entry <c>t·columns + k</c> at
    /// SoC = k·resistanceStep_pcm and temperature <c>temperatureAxis_dC[t]</c> (ascending).
    /// Between table temperatures the values are interpolated linearly; below the coldest row the resistances
    /// grow by 100 % per 20 K (a linearised Arrhenius rise, capped at 8×), above the warmest they continue the
    /// trend of the two warmest rows down to at most half the warmest row's value.
    /// </remarks>
    public sealed class ChemistryProfile
    {
        private const int FullScale_pcm = 100000;
        private readonly int[] _ocv_mV;
        private readonly int _ocvStep_pcm;
        private readonly int _ocvTemperatureCoefficient_uV_per_K;
        private readonly int[] _temperatureAxis_dC;
        private readonly int _resistanceStep_pcm;
        private readonly int _resistanceColumns;
        private readonly int[] _r0_uOhm;
        private readonly int[] _r1_uOhm;
        private readonly int[] _tau1_ms;

        /// <summary>Builds a profile; throws on inconsistent tables so a bad profile never reaches the guard loop.</summary>
        public ChemistryProfile(string name, int nominalCapacity_mAh, int nominalCellVoltage_mV,
            SafeOperatingEnvelope envelope, int endOfChargeVoltage_mV, int endOfChargeCurrent_mC, int endOfDischargeVoltage_mV,
            int[] ocv_mV, int ocvStep_pcm, int ocvTemperatureCoefficient_uV_per_K,
            int[] temperatureAxis_dC, int resistanceStep_pcm, int[] r0_uOhm, int[] r1_uOhm, int[] tau1_ms)
        {
            if (name == null || envelope == null || ocv_mV == null || temperatureAxis_dC == null || r0_uOhm == null || r1_uOhm == null || tau1_ms == null)
                throw new System.ArgumentNullException();
            if (ocvStep_pcm <= 0 || FullScale_pcm % ocvStep_pcm != 0 || ocv_mV.Length != FullScale_pcm / ocvStep_pcm + 1)
                throw new System.ArgumentException("OCV table must cover 0..100 % in whole steps");
            for (int k = 1; k < ocv_mV.Length; k++)
                if (ocv_mV[k] <= ocv_mV[k - 1]) throw new System.ArgumentException("OCV table must rise strictly");
            if (resistanceStep_pcm <= 0 || FullScale_pcm % resistanceStep_pcm != 0 || temperatureAxis_dC.Length < 1)
                throw new System.ArgumentException("resistance grid");
            int columns = FullScale_pcm / resistanceStep_pcm + 1;
            int cells = columns * temperatureAxis_dC.Length;
            if (r0_uOhm.Length != cells || r1_uOhm.Length != cells || tau1_ms.Length != cells)
                throw new System.ArgumentException("resistance tables must be temperatures x SoC columns");
            for (int t = 1; t < temperatureAxis_dC.Length; t++)
                if (temperatureAxis_dC[t] <= temperatureAxis_dC[t - 1]) throw new System.ArgumentException("temperature axis must rise");
            for (int k = 0; k < cells; k++)
                if (r0_uOhm[k] <= 0 || r1_uOhm[k] < 0 || tau1_ms[k] <= 0) throw new System.ArgumentException("resistances must be positive");
            if (nominalCapacity_mAh <= 0) throw new System.ArgumentException("capacity");

            Name = name;
            NominalCapacity_mAh = nominalCapacity_mAh;
            NominalCellVoltage_mV = nominalCellVoltage_mV;
            Envelope = envelope;
            EndOfChargeVoltage_mV = endOfChargeVoltage_mV;
            EndOfChargeCurrent_mC = endOfChargeCurrent_mC;
            EndOfDischargeVoltage_mV = endOfDischargeVoltage_mV;
            _ocv_mV = ocv_mV;
            _ocvStep_pcm = ocvStep_pcm;
            _ocvTemperatureCoefficient_uV_per_K = ocvTemperatureCoefficient_uV_per_K;
            _temperatureAxis_dC = temperatureAxis_dC;
            _resistanceStep_pcm = resistanceStep_pcm;
            _resistanceColumns = columns;
            _r0_uOhm = r0_uOhm;
            _r1_uOhm = r1_uOhm;
            _tau1_ms = tau1_ms;
        }

        /// <summary>Profile key, e.g. "nmc-graphite".</summary>
        public string Name { get; }
        /// <summary>Capacity of the reference cell the tables were measured on.</summary>
        public int NominalCapacity_mAh { get; }
        /// <summary>Nominal (mid) cell voltage.</summary>
        public int NominalCellVoltage_mV { get; }
        /// <summary>The hard limits; protection thresholds must lie inside.</summary>
        public SafeOperatingEnvelope Envelope { get; }
        /// <summary>Constant-voltage charge level: a cell held here with the current below
        /// <see cref="EndOfChargeCurrent_mC"/> is full (100 % calibration point).</summary>
        public int EndOfChargeVoltage_mV { get; }
        /// <summary>Taper current that ends a CV charge, in milli-C.</summary>
        public int EndOfChargeCurrent_mC { get; }
        /// <summary>Discharge cut-off voltage (0 % of the OCV table's definition at low rate).</summary>
        public int EndOfDischargeVoltage_mV { get; }
        /// <summary>Number of OCV table points (for tests and display).</summary>
        public int OcvPointCount { get { return _ocv_mV.Length; } }
        /// <summary>SoC spacing of the OCV table.</summary>
        public int OcvStep_pcm { get { return _ocvStep_pcm; } }

        /// <summary>OCV table entry <paramref name="index"/> (SoC = index · <see cref="OcvStep_pcm"/>, at 25 °C).</summary>
        public int OcvPoint_mV(int index) { return _ocv_mV[index]; }

        /// <summary>Open-circuit voltage at a state of charge (clamped to 0..100 %) and temperature.</summary>
        public int OcvFromSoc_mV(int soc_pcm, int temperature_dC)
        {
            if (soc_pcm < 0) soc_pcm = 0;
            if (soc_pcm > FullScale_pcm) soc_pcm = FullScale_pcm;
            int k = soc_pcm / _ocvStep_pcm;
            int ocv;
            if (k >= _ocv_mV.Length - 1) ocv = _ocv_mV[_ocv_mV.Length - 1];
            else
            {
                int rem = soc_pcm - k * _ocvStep_pcm;
                ocv = _ocv_mV[k] + (int)((long)(_ocv_mV[k + 1] - _ocv_mV[k]) * rem / _ocvStep_pcm);
            }
            return ocv + TemperatureShift_mV(temperature_dC);
        }

        /// <summary>State of charge whose OCV equals <paramref name="ocv_mV"/> (clamped to 0..100 %).</summary>
        public int SocFromOcv_pcm(int ocv_mV, int temperature_dC)
        {
            int v = ocv_mV - TemperatureShift_mV(temperature_dC);
            int last = _ocv_mV.Length - 1;
            if (v <= _ocv_mV[0]) return 0;
            if (v >= _ocv_mV[last]) return FullScale_pcm;
            int lo = 0, hi = last;
            while (hi - lo > 1)
            {
                int mid = (lo + hi) / 2;
                if (_ocv_mV[mid] <= v) lo = mid; else hi = mid;
            }
            int span = _ocv_mV[hi] - _ocv_mV[lo];
            return lo * _ocvStep_pcm + (int)((long)(v - _ocv_mV[lo]) * _ocvStep_pcm / span);
        }

        /// <summary>
        /// dOCV/dSoC in µV per 1 % SoC, interpolated between the slopes of neighbouring table segments (so the
        /// Kalman gain changes smoothly). Always at least 1.
        /// </summary>
        public int OcvSlope_uV_per_pct(int soc_pcm, int temperature_dC)
        {
            if (soc_pcm < 0) soc_pcm = 0;
            if (soc_pcm > FullScale_pcm) soc_pcm = FullScale_pcm;
            // Segment slopes live at segment centres; interpolate between adjacent centres.
            int half = _ocvStep_pcm / 2;
            int segments = _ocv_mV.Length - 1;
            int position = soc_pcm - half;
            int slope;
            if (position <= 0) slope = SegmentSlope(0);
            else
            {
                int k = position / _ocvStep_pcm;
                if (k >= segments - 1) slope = SegmentSlope(segments - 1);
                else
                {
                    int rem = position - k * _ocvStep_pcm;
                    int a = SegmentSlope(k), b = SegmentSlope(k + 1);
                    slope = a + (int)((long)(b - a) * rem / _ocvStep_pcm);
                }
            }
            return slope < 1 ? 1 : slope;
        }

        private int SegmentSlope(int k)
        {
            // mV per step → µV per %: × 1000 µV/mV × 1000 pcm/% / step_pcm
            return (int)((long)(_ocv_mV[k + 1] - _ocv_mV[k]) * 1000000 / _ocvStep_pcm);
        }

        /// <summary>Ohmic (instantaneous, 1 s) resistance R0.</summary>
        public int SeriesResistance_uOhm(int soc_pcm, int temperature_dC)
        {
            return ResistanceLookup(_r0_uOhm, soc_pcm, temperature_dC, true);
        }

        /// <summary>Polarisation resistance R1 of the R1||C1 branch.</summary>
        public int PolarizationResistance_uOhm(int soc_pcm, int temperature_dC)
        {
            return ResistanceLookup(_r1_uOhm, soc_pcm, temperature_dC, true);
        }

        /// <summary>Time constant τ1 = R1·C1 of the polarisation branch.</summary>
        public int PolarizationTimeConstant_ms(int soc_pcm, int temperature_dC)
        {
            return ResistanceLookup(_tau1_ms, soc_pcm, temperature_dC, false);
        }

        /// <summary>
        /// <see cref="OcvFromSoc_mV"/> and <see cref="OcvSlope_uV_per_pct"/> at once (the Kalman step's measurement
        /// model needs both at the same point); same values.
        /// </summary>
        public int OcvAndSlope(int soc_pcm, int temperature_dC, out int slope_uV_per_pct)
        {
            if (soc_pcm < 0) soc_pcm = 0;
            if (soc_pcm > FullScale_pcm) soc_pcm = FullScale_pcm;
            int step = _ocvStep_pcm;
            int last = _ocv_mV.Length - 1;
            int k = soc_pcm / step;
            int ocv;
            if (k >= last) ocv = _ocv_mV[last];
            else ocv = _ocv_mV[k] + (int)((long)(_ocv_mV[k + 1] - _ocv_mV[k]) * (soc_pcm - k * step) / step);
            // Segment slopes live at segment centres; interpolate between adjacent centres.
            int position = soc_pcm - step / 2;
            int slope;
            if (position <= 0) slope = SegmentSlope(0);
            else
            {
                int j = position / step;
                if (j >= last - 1) slope = SegmentSlope(last - 1);
                else
                {
                    int a = (int)((long)(_ocv_mV[j + 1] - _ocv_mV[j]) * 1000000 / step);
                    int b = (int)((long)(_ocv_mV[j + 2] - _ocv_mV[j + 1]) * 1000000 / step);
                    slope = a + (int)((long)(b - a) * (position - j * step) / step);
                }
            }
            slope_uV_per_pct = slope < 1 ? 1 : slope;
            return ocv + (int)((long)_ocvTemperatureCoefficient_uV_per_K * (temperature_dC - 250) / 10000);
        }

        /// <summary>
        /// R0, R1 and τ1 at one state of charge and temperature in one look-up (the Kalman step needs all three):
        /// the table column, the temperature rows and their weights are found once. Same values as
        /// <see cref="SeriesResistance_uOhm"/>, <see cref="PolarizationResistance_uOhm"/> and
        /// <see cref="PolarizationTimeConstant_ms"/>.
        /// </summary>
        public void EquivalentCircuit(int soc_pcm, int temperature_dC, out int r0_uOhm, out int r1_uOhm, out int tau1_ms)
        {
            if (soc_pcm < 0) soc_pcm = 0;
            if (soc_pcm > FullScale_pcm) soc_pcm = FullScale_pcm;
            int k = soc_pcm / _resistanceStep_pcm;
            int rem = soc_pcm - k * _resistanceStep_pcm;
            if (k >= _resistanceColumns - 1) { k = _resistanceColumns - 1; rem = 0; }
            int rows = _temperatureAxis_dC.Length;
            if (temperature_dC <= _temperatureAxis_dC[0])
            {
                long below_dK = _temperatureAxis_dC[0] - temperature_dC;
                if (below_dK > 1400) below_dK = 1400; // cap at 8×
                r0_uOhm = (int)(ColumnValue(_r0_uOhm, k, rem) * (200 + below_dK) / 200);
                r1_uOhm = (int)(ColumnValue(_r1_uOhm, k, rem) * (200 + below_dK) / 200);
                tau1_ms = ColumnValue(_tau1_ms, k, rem);
                return;
            }
            if (temperature_dC >= _temperatureAxis_dC[rows - 1])
            {
                int top = (rows - 1) * _resistanceColumns + k;
                tau1_ms = ColumnValue(_tau1_ms, top, rem);
                if (rows < 2)
                {
                    r0_uOhm = ColumnValue(_r0_uOhm, top, rem);
                    r1_uOhm = ColumnValue(_r1_uOhm, top, rem);
                    return;
                }
                long rowSpan = _temperatureAxis_dC[rows - 1] - _temperatureAxis_dC[rows - 2];
                long above_dK = temperature_dC - _temperatureAxis_dC[rows - 1];
                r0_uOhm = Warmer(ColumnValue(_r0_uOhm, top, rem), ColumnValue(_r0_uOhm, top - _resistanceColumns, rem), above_dK, rowSpan);
                r1_uOhm = Warmer(ColumnValue(_r1_uOhm, top, rem), ColumnValue(_r1_uOhm, top - _resistanceColumns, rem), above_dK, rowSpan);
                return;
            }
            int t = 0;
            while (temperature_dC > _temperatureAxis_dC[t + 1]) t++;
            int lower = t * _resistanceColumns + k, upper = lower + _resistanceColumns;
            int span = _temperatureAxis_dC[t + 1] - _temperatureAxis_dC[t];
            int into = temperature_dC - _temperatureAxis_dC[t];
            if (rem == 0)
            {
                r0_uOhm = Between(_r0_uOhm[lower], _r0_uOhm[upper], into, span);
                r1_uOhm = Between(_r1_uOhm[lower], _r1_uOhm[upper], into, span);
                tau1_ms = Between(_tau1_ms[lower], _tau1_ms[upper], into, span);
                return;
            }
            // Inline column interpolation (the common case: between two temperature rows and two SoC columns).
            int step = _resistanceStep_pcm;
            int[] table = _r0_uOhm;
            int a = table[lower] + (int)((long)(table[lower + 1] - table[lower]) * rem / step);
            int b = table[upper] + (int)((long)(table[upper + 1] - table[upper]) * rem / step);
            r0_uOhm = a + (int)((long)(b - a) * into / span);
            table = _r1_uOhm;
            a = table[lower] + (int)((long)(table[lower + 1] - table[lower]) * rem / step);
            b = table[upper] + (int)((long)(table[upper + 1] - table[upper]) * rem / step);
            r1_uOhm = a + (int)((long)(b - a) * into / span);
            table = _tau1_ms;
            a = table[lower] + (int)((long)(table[lower + 1] - table[lower]) * rem / step);
            b = table[upper] + (int)((long)(table[upper + 1] - table[upper]) * rem / step);
            tau1_ms = a + (int)((long)(b - a) * into / span);
        }

        /// <summary>Entry <paramref name="index"/> interpolated towards the next column by rem (0 at the last column).</summary>
        private int ColumnValue(int[] table, int index, int rem)
        {
            int a = table[index];
            if (rem == 0) return a;
            return a + (int)((long)(table[index + 1] - a) * rem / _resistanceStep_pcm);
        }

        private static int Between(int a, int b, int into, int span)
        {
            return a + (int)((long)(b - a) * into / span);
        }

        private static int Warmer(int value, int previous, long above_dK, long rowSpan)
        {
            long extrapolated = value + (long)(value - previous) * above_dK / rowSpan;
            if (extrapolated > value) extrapolated = value;
            if (extrapolated < value / 2) extrapolated = value / 2;
            return (int)extrapolated;
        }

        private int TemperatureShift_mV(int temperature_dC)
        {
            // Entropic OCV shift relative to 25 °C; µV/K × dK (0.1 K) / 10000 → mV.
            return (int)((long)_ocvTemperatureCoefficient_uV_per_K * (temperature_dC - 250) / 10000);
        }

        private int ResistanceLookup(int[] table, int soc_pcm, int temperature_dC, bool scaleWithTemperature)
        {
            if (soc_pcm < 0) soc_pcm = 0;
            if (soc_pcm > FullScale_pcm) soc_pcm = FullScale_pcm;
            int rows = _temperatureAxis_dC.Length;
            if (temperature_dC <= _temperatureAxis_dC[0])
            {
                int value = RowValue(table, 0, soc_pcm);
                if (!scaleWithTemperature) return value;
                long below_dK = _temperatureAxis_dC[0] - temperature_dC;
                if (below_dK > 1400) below_dK = 1400; // cap at 8×
                return (int)(value * (200 + below_dK) / 200);
            }
            if (temperature_dC >= _temperatureAxis_dC[rows - 1])
            {
                int value = RowValue(table, rows - 1, soc_pcm);
                if (!scaleWithTemperature || rows < 2) return value;
                // Continue the trend of the two warmest rows, never below half the warmest row: resistance keeps
                // falling with temperature but flattens out.
                int previous = RowValue(table, rows - 2, soc_pcm);
                long rowSpan = _temperatureAxis_dC[rows - 1] - _temperatureAxis_dC[rows - 2];
                long above_dK = temperature_dC - _temperatureAxis_dC[rows - 1];
                long extrapolated = value + (long)(value - previous) * above_dK / rowSpan;
                if (extrapolated > value) extrapolated = value;
                if (extrapolated < value / 2) extrapolated = value / 2;
                return (int)extrapolated;
            }
            int t = 0;
            while (temperature_dC > _temperatureAxis_dC[t + 1]) t++;
            int a = RowValue(table, t, soc_pcm), b = RowValue(table, t + 1, soc_pcm);
            int span = _temperatureAxis_dC[t + 1] - _temperatureAxis_dC[t];
            return a + (int)((long)(b - a) * (temperature_dC - _temperatureAxis_dC[t]) / span);
        }

        private int RowValue(int[] table, int row, int soc_pcm)
        {
            int k = soc_pcm / _resistanceStep_pcm;
            int baseIndex = row * _resistanceColumns;
            if (k >= _resistanceColumns - 1) return table[baseIndex + _resistanceColumns - 1];
            int rem = soc_pcm - k * _resistanceStep_pcm;
            int a = table[baseIndex + k], b = table[baseIndex + k + 1];
            return a + (int)((long)(b - a) * rem / _resistanceStep_pcm);
        }
    }
}
