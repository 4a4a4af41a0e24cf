using System;
using Bms.Firmware.Chemistry;
using Bms.Firmware.Estimation;
using Bms.Firmware.Events;
using Bms.Firmware.Measurement;

namespace Bms.Firmware.Safety
{
    /// <summary>
    /// Internal-short screening of the 1 s task, for conventional and lithium-metal cells. At rest, a cell with an
    /// internal leak loses charge and its open-circuit voltage drifts down against the rest of the pack:
    /// I_leak = C × d(V_cell − V_median)/dt ÷ (dOCV/dSoC). Drift is fitted by least squares over one-minute
    /// averages relative to the median cell, which cancels temperature drift and relaxation common to all cells;
    /// the first minutes after the current stops are ignored. A cell whose estimate stays above the decision
    /// level raises a latched <see cref="BmsEventCode.InternalShort"/> event. Soft shorts of lithium-metal cells,
    /// which come and go, are caught separately as repeated voltage dips against the pack at rest. Integer arithmetic only; buffers
    /// allocated in the constructor. Needs at least three cells (a median of others).
    /// </summary>
    public sealed class InternalShortDetector
    {
        private const int SamplesPerMinute = 60;

        private readonly InternalShortConfig _config;
        private readonly IBmsEventSink _sink;
        private readonly int _cellCount;
        private readonly int _window;

        private long _restStart_ms = -1;
        // true while every per-cell state is as StopObserving leaves it (so a pack under load costs no cell loop).
        private bool _cleared;
        private long _minuteStart_ms = -1;
        private int _minuteSamples;
        private readonly long[] _minuteSum_mV;
        private readonly int[] _minuteCount;

        // Ring of one-minute points per cell: x = minute number, y = (cell − median) in 1/60 mV.
        private long _minuteNumber;
        private int _newest = -1;
        private readonly long[] _x_min;
        private readonly int[] _y_q;
        private readonly int[] _points;

        private readonly int[] _leakage_uA;
        private readonly bool[] _leakageValid;
        private readonly int[] _aboveCount;
        private readonly bool[] _flagged;

        private readonly int[] _average_q;
        private readonly int[] _sorted_q;

        // Micro-short dips: per-cell baseline of (cell - median) in mV << 8, dip times in a ring per cell.
        private readonly int[] _sortedNow_mV;
        private readonly int[] _dipBaseline_q8;
        private readonly bool[] _dipBaselineSet;
        private readonly bool[] _dipArmed;
        private readonly long[] _dipTime_ms;
        private readonly int[] _dipNext;
        private readonly int[] _dipTotal;

        /// <summary>Creates the detector; throws <see cref="ArgumentException"/> on bad settings.</summary>
        public InternalShortDetector(InternalShortConfig config, int cellCount, IBmsEventSink sink)
        {
            if (config == null)
            {
                throw new ArgumentNullException("config");
            }
            if (sink == null)
            {
                throw new ArgumentNullException("sink");
            }
            if (cellCount < 1)
            {
                throw new ArgumentOutOfRangeException("cellCount", "InternalShortDetector needs at least one cell");
            }
            config.Validate();
            _config = config;
            _sink = sink;
            _cellCount = cellCount;
            _window = config.MaxFitWindow_min;
            _minuteSum_mV = new long[cellCount];
            _minuteCount = new int[cellCount];
            _x_min = new long[cellCount * _window];
            _y_q = new int[cellCount * _window];
            _points = new int[cellCount];
            _leakage_uA = new int[cellCount];
            _leakageValid = new bool[cellCount];
            _aboveCount = new int[cellCount];
            _flagged = new bool[cellCount];
            _average_q = new int[cellCount];
            _sorted_q = new int[cellCount];
            _sortedNow_mV = new int[cellCount];
            _dipBaseline_q8 = new int[cellCount];
            _dipBaselineSet = new bool[cellCount];
            _dipArmed = new bool[cellCount];
            _dipTime_ms = new long[cellCount * config.MicroShortCount];
            _dipNext = new int[cellCount];
            _dipTotal = new int[cellCount];
            for (int k = 0; k < _dipTime_ms.Length; k++)
            {
                _dipTime_ms[k] = -1;
            }
        }

        /// <summary>true when the pack has enough cells for a median reference.</summary>
        public bool ScreeningPossible { get { return _cellCount >= 3; } }

        /// <summary>true while the pack rests past the relaxation time and points are being collected.</summary>
        public bool Observing { get; private set; }

        /// <summary>Time the current rest began, -1 while under load.</summary>
        public long RestStart_ms { get { return _restStart_ms; } }

        /// <summary>Latest leakage estimate of a cell in µA (positive = losing charge faster than the median cell).</summary>
        public int GetLeakage_uA(int cell)
        {
            return _leakage_uA[cell];
        }

        /// <summary>true when <see cref="GetLeakage_uA"/> holds an estimate from a long enough fit.</summary>
        public bool IsLeakageValid(int cell)
        {
            return _leakageValid[cell];
        }

        /// <summary>Latched: the cell was flagged with an internal short.</summary>
        public bool IsFlagged(int cell)
        {
            return _flagged[cell];
        }

        /// <summary>
        /// Restarts the rest period as if the pack had been loaded. Call it every second while anything drains
        /// single cells (balancing bleed resistors), which would otherwise look like a leak.
        /// </summary>
        public void Interrupt()
        {
            StopObserving();
            _restStart_ms = -1;
        }

        /// <summary>Voltage dips (soft-short signatures) seen on a cell since start-up.</summary>
        public int GetMicroShortDips(int cell)
        {
            return _dipTotal[cell];
        }

        /// <summary>Clears every latched flag (explicit reset), reporting each cleared event.</summary>
        public void Reset(long now_ms)
        {
            for (int i = 0; i < _cellCount; i++)
            {
                _aboveCount[i] = 0;
                if (_flagged[i])
                {
                    _flagged[i] = false;
                    _sink.OnEvent(now_ms, BmsEventCode.InternalShort, _config.Level, i, false);
                }
            }
        }

        /// <summary>
        /// Feeds one 1 s snapshot. <paramref name="ocvSlope_uV_per_pct"/> is dOCV/dSoC of the chemistry at the
        /// pack's present state of charge and temperature (ChemistryProfile.OcvSlope_uV_per_pct(soc, temp));
        /// below <see cref="InternalShortConfig.MinOcvSlope_uV_per_pct"/> no estimate is made. No allocation.
        /// </summary>
        public void Update1s(MeasurementSnapshot s, int ocvSlope_uV_per_pct)
        {
            long now = s.Time_ms;
            if (!s.CurrentValid || FixedMath.Abs(s.Current_mA) > _config.RestCurrent_mA)
            {
                StopObserving();
                _restStart_ms = -1;
                return;
            }
            if (_restStart_ms < 0)
            {
                _restStart_ms = now;
            }
            _cleared = false;
            if (!ScreeningPossible)
            {
                return;
            }
            if (_config.MicroShortDrop_mV > 0 && now - _restStart_ms >= _config.MicroShortRestDelay_ms)
            {
                DetectDips(s, now);
            }
            if (now - _restStart_ms < _config.RelaxationTime_ms)
            {
                return;
            }
            if (!Observing)
            {
                Observing = true;
                _minuteStart_ms = now;
                _minuteSamples = 0;
            }

            for (int i = 0; i < _cellCount; i++)
            {
                if (s.CellValid[i])
                {
                    _minuteSum_mV[i] += s.CellVoltage_mV[i];
                    _minuteCount[i]++;
                }
            }
            _minuteSamples++;
            if (_minuteSamples < SamplesPerMinute && now - _minuteStart_ms < 59500)
            {
                return;
            }
            CloseMinute(ocvSlope_uV_per_pct, now);
            _minuteStart_ms = now + 1000;
            _minuteSamples = 0;
        }

        /// <summary>
        /// Same as <see cref="Update1s(MeasurementSnapshot, int)"/> with the OCV slope taken from
        /// <paramref name="profile"/> at the pack's state of charge and temperature.
        /// </summary>
        public void Update1s(MeasurementSnapshot s, ChemistryProfile profile, int packSoc_pcm, int temperature_dC)
        {
            if (profile == null)
            {
                throw new ArgumentNullException("profile");
            }
            Update1s(s, profile.OcvSlope_uV_per_pct(packSoc_pcm, temperature_dC));
        }

        private void CloseMinute(int ocvSlope_uV_per_pct, long now)
        {
            // Minute averages in 1/60 mV keep sub-millivolt resolution from 1 mV samples with noise.
            int valid = 0;
            for (int i = 0; i < _cellCount; i++)
            {
                if (_minuteCount[i] > 0)
                {
                    _average_q[i] = (int)(_minuteSum_mV[i] * SamplesPerMinute / _minuteCount[i]);
                    InsertSorted(valid, _average_q[i]);
                    valid++;
                }
                else
                {
                    _average_q[i] = int.MinValue;
                }
                _minuteSum_mV[i] = 0;
                _minuteCount[i] = 0;
            }
            _minuteNumber++;
            _newest = (_newest + 1) % _window;
            if (valid < 3)
            {
                for (int i = 0; i < _cellCount; i++)
                {
                    ForgetCell(i);
                }
                return;
            }
            long median = valid % 2 == 1
                ? _sorted_q[valid / 2]
                : ((long)_sorted_q[valid / 2 - 1] + _sorted_q[valid / 2]) / 2;

            bool slopeUsable = ocvSlope_uV_per_pct >= _config.MinOcvSlope_uV_per_pct;
            long decision_uA = (long)_config.LeakThreshold_mA * 10 * _config.DecisionFraction_pct;
            for (int i = 0; i < _cellCount; i++)
            {
                if (_average_q[i] == int.MinValue)
                {
                    // A gap breaks the fit of this cell only.
                    ForgetCell(i);
                    continue;
                }
                int index = i * _window + _newest;
                _x_min[index] = _minuteNumber;
                _y_q[index] = (int)(_average_q[i] - median);
                if (_points[i] < _window)
                {
                    _points[i]++;
                }
                long slope_uV_per_h;
                // x in minutes, y in 1/60 mV: the slope in y per minute is mV per hour; scale 1000 gives µV/h.
                if (!slopeUsable || _points[i] < _config.MinFitWindow_min
                    || !LeastSquaresSlope.TryCompute(_x_min, _y_q, i * _window, _window, _newest, _points[i], 1000, out slope_uV_per_h))
                {
                    _leakageValid[i] = false;
                    _aboveCount[i] = 0;
                    continue;
                }
                long leak_uA = -(long)_config.CellCapacity_mAh * slope_uV_per_h * 10 / ocvSlope_uV_per_pct;
                _leakage_uA[i] = leak_uA > int.MaxValue ? int.MaxValue : leak_uA < -int.MaxValue ? -int.MaxValue : (int)leak_uA;
                _leakageValid[i] = true;
                if (leak_uA >= decision_uA)
                {
                    _aboveCount[i]++;
                    if (_aboveCount[i] >= _config.ConfirmMinutes && !_flagged[i])
                    {
                        _flagged[i] = true;
                        _sink.OnEvent(now, BmsEventCode.InternalShort, _config.Level, i, true);
                    }
                }
                else
                {
                    _aboveCount[i] = 0;
                }
            }
        }

        private void DetectDips(MeasurementSnapshot s, long now)
        {
            int valid = 0;
            for (int i = 0; i < _cellCount; i++)
            {
                if (!s.CellValid[i])
                {
                    continue;
                }
                int v = s.CellVoltage_mV[i];
                int k = valid;
                while (k > 0 && _sortedNow_mV[k - 1] > v)
                {
                    _sortedNow_mV[k] = _sortedNow_mV[k - 1];
                    k--;
                }
                _sortedNow_mV[k] = v;
                valid++;
            }
            if (valid < 3)
            {
                return;
            }
            int median = valid % 2 == 1
                ? _sortedNow_mV[valid / 2]
                : (_sortedNow_mV[valid / 2 - 1] + _sortedNow_mV[valid / 2]) / 2;
            int threshold_q8 = _config.MicroShortDrop_mV << 8;
            for (int i = 0; i < _cellCount; i++)
            {
                if (!s.CellValid[i])
                {
                    continue;
                }
                int relative_q8 = (s.CellVoltage_mV[i] - median) << 8;
                if (!_dipBaselineSet[i])
                {
                    _dipBaseline_q8[i] = relative_q8;
                    _dipBaselineSet[i] = true;
                    _dipArmed[i] = true;
                    continue;
                }
                int drop_q8 = _dipBaseline_q8[i] - relative_q8;
                if (_dipArmed[i] && drop_q8 >= threshold_q8)
                {
                    _dipArmed[i] = false;
                    RecordDip(i, now);
                }
                else if (!_dipArmed[i] && drop_q8 * 2 <= threshold_q8)
                {
                    _dipArmed[i] = true;
                }
                // About 30 s time constant: follows relaxation and drift, not a dip of a few seconds.
                _dipBaseline_q8[i] += (relative_q8 - _dipBaseline_q8[i]) / 30;
            }
        }

        private void RecordDip(int i, long now)
        {
            int ring = _config.MicroShortCount;
            _dipTime_ms[i * ring + _dipNext[i]] = now;
            _dipNext[i] = (_dipNext[i] + 1) % ring;
            _dipTotal[i]++;
            int recent = 0;
            for (int k = 0; k < ring; k++)
            {
                long then = _dipTime_ms[i * ring + k];
                if (then >= 0 && now - then <= _config.MicroShortWindow_ms)
                {
                    recent++;
                }
            }
            if (recent >= ring && !_flagged[i])
            {
                _flagged[i] = true;
                _sink.OnEvent(now, BmsEventCode.InternalShort, _config.Level, i, true);
            }
        }

        private void InsertSorted(int count, int value)
        {
            int k = count;
            while (k > 0 && _sorted_q[k - 1] > value)
            {
                _sorted_q[k] = _sorted_q[k - 1];
                k--;
            }
            _sorted_q[k] = value;
        }

        private void ForgetCell(int i)
        {
            _points[i] = 0;
            _leakageValid[i] = false;
            _aboveCount[i] = 0;
        }

        private void StopObserving()
        {
            if (_cleared)
            {
                return;
            }
            _cleared = true;
            Observing = false;
            _minuteSamples = 0;
            for (int i = 0; i < _cellCount; i++)
            {
                _dipBaselineSet[i] = false;
                _minuteSum_mV[i] = 0;
                _minuteCount[i] = 0;
                ForgetCell(i);
            }
        }

    }
}
