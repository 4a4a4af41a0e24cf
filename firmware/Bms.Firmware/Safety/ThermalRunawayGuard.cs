using System;
using Bms.Firmware.Estimation;
using Bms.Firmware.Events;
using Bms.Firmware.Measurement;

namespace Bms.Firmware.Safety
{
    /// <summary>
    /// Thermal-runaway guard of the 100 ms task. Confirms runaway per GB 38031-2025 annex C.5.3.7 — (a) a cell
    /// voltage drops by more than 25 % of its initial value, or (b) a monitoring point reaches the maximum
    /// operating temperature, and (c) dT/dt ≥ 1 °C/s for more than 3 s — and raises a latched
    /// <see cref="BmsEventCode.ThermalRunaway"/> fault in the very tick the combination becomes true. Earlier
    /// precursor warnings come from a sensor heating faster than its neighbours and from a cell voltage sagging
    /// at rest (abnormal self-discharge over hours is the <see cref="InternalShortDetector"/>'s job). Temperature
    /// channels are checked for plausibility first so that a broken thermistor raises
    /// <see cref="BmsEventCode.SensorFault"/> and never feeds the runaway conditions.
    /// Integer arithmetic only; every buffer is allocated in the constructor.
    /// </summary>
    public sealed class ThermalRunawayGuard
    {
        private const int NoValue = int.MinValue;

        // The cell references (τ = 120 s by default) move every few seconds: a survey of every cell in one tick,
        // then the moves in slices over the next ticks, away from the bucket close.
        private const int ReferenceUpdatePeriod_s = 5;
        private const int ReferenceSlices = 4;

        // Bucketed cell voltages are summed only this long before the rest delay ends: buckets older than that
        // are never compared (a comparison needs the pack resting for the delay plus the whole sag window).
        private const int SagAccumulationLead_ms = 5000;

        private readonly ThermalRunawayConfig _config;
        private readonly IBmsEventSink _sink;
        private readonly int _cellCount;
        private readonly int _sensorCount;

        // Settings read every tick, copied once (the guard reads its settings at construction).
        private readonly int _maxOperatingTemperature_dC;
        private readonly long _runawayRate_mdC_per_s;
        private readonly long _runawayRateDuration_ms;
        private readonly int _openRail_dC;
        private readonly int _shortRail_dC;
        private readonly int _maxStep_dC;
        private readonly long _frozenTime_ms;
        private readonly int _restCurrent_mA;
        private readonly long _sagAccumulateAfterLoad_ms;

        // Condition (a): slowly tracking per-cell reference, mV << 16 to keep sub-millivolt remainders. The
        // reference moves once a second; between moves a cell is collapsed exactly when its voltage is at or
        // below _collapseLimit_mV, so a tick compares one integer per cell.
        private readonly long[] _cellReference_q16;
        private readonly long[] _cellReferenceTime_ms;
        private readonly bool[] _cellReferenceSet;
        private readonly bool[] _cellCollapsed;
        private readonly int[] _collapseLimit_mV;
        // At least the highest of _collapseLimit_mV (raised with any limit, recomputed after each full move of the
        // references): a lowest valid cell above it means no cell is collapsed, without looking at each cell.
        private int _highestCollapseLimit_mV = int.MaxValue;
        private readonly int[] _cellReference_mV;
        private readonly int[] _referenceDrop_mV;
        private readonly bool[] _referenceSurveyed;
        private readonly int _referenceSliceCells;
        private bool _referenceSurveyDue;
        private int _referenceNextCell = -1;
        private long _referenceSurvey_ms;
        private int _referenceSmallestDrop_mV;
        private bool _referenceMedianKnown;
        private long _referenceMedianDrop_mV;

        // Condition (c): per-sensor sliding least-squares rate over the newest trusted samples.
        private readonly int _rateWindow;
        private readonly SlidingLeastSquares[] _rate;
        private readonly long[] _rateHighSince_ms;

        // Precursors: 1 s buckets.
        private long _bucketStart_ms = -1;
        private long _bucketSequence;
        private readonly int[] _sensorBucketSum_dC;
        // Readings of the open bucket a sensor did not contribute (its count is _bucketTicks minus this), so that
        // the steady path counts nothing per sensor.
        private readonly int[] _sensorBucketMissed;
        private int _bucketTicks;
        private readonly int _slowWindow;
        private readonly SlidingLeastSquares[] _slow;
        private readonly int[] _slowRate_mdC_per_s;
        private readonly bool[] _slowRateValid;
        private readonly long[] _cellBucketSum_mV;
        private readonly int[] _cellBucketCount;
        private bool _cellBucketComplete = true;
        private bool _cellBucketTouched;
        private readonly int _sagLength;
        private readonly int[] _sagHistory_dmV;
        private readonly bool[] _sagSlotComplete;
        private int _sagNewest = -1;
        private int _sagFilled;
        private bool _sagFlagsBusy;
        private bool _temperatureFlagsBusy;
        private long _lastLoad_ms;
        private readonly DebouncedFlags _temperaturePrecursor;
        private readonly DebouncedFlags _sagPrecursor;

        // Plausibility.
        private readonly int[] _lastRaw_dC;
        private readonly int[] _quickLow_dC;
        private readonly int[] _quickHigh_dC;
        private readonly bool[] _hasLastRaw;
        // Frozen check of a reading that stopped changing: the neighbours' values are taken once it has been still
        // for a sixtieth of FrozenTime_ms (1 s by default; a noisy sensor changes long before, so the n² copy is
        // not made per change), and from its last change + FrozenTime_ms a neighbour that moved since makes it
        // frozen. _frozenCheckFrom_ms is the time of the next of these two steps.
        private readonly long _neighbourSnapshotDelay_ms;
        private readonly long[] _frozenCheckFrom_ms;
        private readonly long[] _lastChange_ms;
        private readonly bool[] _neighbourSnapshotDue;
        private readonly int[] _neighbourAtChange_dC;
        private readonly int[] _lastTrusted_dC;
        private readonly bool[] _hasTrusted;
        private readonly bool[] _stepSuspect;
        private readonly int[] _railCount;
        private readonly int[] _stepCount;
        private readonly long[] _unreadableSince_ms;
        private readonly TemperatureSensorFault[] _reportedFault;
        private readonly long[] _plausibleSince_ms;
        private readonly bool[] _trusted;

        // Scratch for medians (no allocation per tick).
        private readonly int[] _scratchValue;
        private readonly int[] _scratchChannel;
        private readonly int[] _scratchPosition;
        private readonly int[] _scratchInput;
        private readonly bool[] _scratchInputValid;

        private bool _anyCollapsed;
        private bool _voltageEffect;
        private bool _voltageEffectKnown;
        private bool _maxTemperatureReached;
        private bool _rateCondition;
        private int _rateSensor;

        /// <summary>Creates the guard for a pack; throws <see cref="ArgumentException"/> on bad settings.</summary>
        public ThermalRunawayGuard(ThermalRunawayConfig config, int cellCount, int temperatureCount, IBmsEventSink sink)
        {
            if (config == null)
            {
                throw new ArgumentNullException("config");
            }
            if (sink == null)
            {
                throw new ArgumentNullException("sink");
            }
            if (cellCount < 1 || temperatureCount < 0)
            {
                throw new ArgumentOutOfRangeException("cellCount", "ThermalRunawayGuard needs at least one cell and a non-negative sensor count");
            }
            config.Validate();
            _config = config;
            _sink = sink;
            _cellCount = cellCount;
            _sensorCount = temperatureCount;

            _maxOperatingTemperature_dC = config.MaxOperatingTemperature_dC;
            _runawayRate_mdC_per_s = (long)config.RunawayRate_dC_per_s * 1000;
            _runawayRateDuration_ms = config.RunawayRateDuration_ms;
            _openRail_dC = config.OpenRail_dC;
            _shortRail_dC = config.ShortRail_dC;
            _maxStep_dC = config.MaxStep_dC;
            _frozenTime_ms = config.FrozenTime_ms;
            _restCurrent_mA = config.RestCurrent_mA;
            _sagAccumulateAfterLoad_ms = (long)config.SagRestDelay_ms - SagAccumulationLead_ms;

            _cellReference_q16 = new long[cellCount];
            _cellReferenceTime_ms = new long[cellCount];
            _cellReferenceSet = new bool[cellCount];
            _cellCollapsed = new bool[cellCount];
            _collapseLimit_mV = new int[cellCount];
            _cellReference_mV = new int[cellCount];
            _referenceDrop_mV = new int[cellCount];
            _referenceSurveyed = new bool[cellCount];
            _referenceSliceCells = (cellCount + ReferenceSlices - 1) / ReferenceSlices;

            _rateWindow = config.RateWindowSamples;
            _rate = new SlidingLeastSquares[temperatureCount];
            _rateHighSince_ms = new long[temperatureCount];

            _sensorBucketSum_dC = new int[temperatureCount];
            _sensorBucketMissed = new int[temperatureCount];
            _slowWindow = config.PrecursorWindow_s;
            _slow = new SlidingLeastSquares[temperatureCount];
            _slowRate_mdC_per_s = new int[temperatureCount];
            _slowRateValid = new bool[temperatureCount];
            _cellBucketSum_mV = new long[cellCount];
            _cellBucketCount = new int[cellCount];
            _sagLength = config.SagWindow_s + 1;
            _sagHistory_dmV = new int[cellCount * _sagLength];
            _sagSlotComplete = new bool[_sagLength];
            _temperaturePrecursor = new DebouncedFlags(temperatureCount);
            _sagPrecursor = new DebouncedFlags(cellCount);

            _lastRaw_dC = new int[temperatureCount];
            _quickLow_dC = new int[temperatureCount];
            _quickHigh_dC = new int[temperatureCount];
            _hasLastRaw = new bool[temperatureCount];
            _neighbourSnapshotDelay_ms = config.FrozenTime_ms / 60;
            _frozenCheckFrom_ms = new long[temperatureCount];
            _lastChange_ms = new long[temperatureCount];
            _neighbourSnapshotDue = new bool[temperatureCount];
            _neighbourAtChange_dC = new int[temperatureCount * temperatureCount];
            _lastTrusted_dC = new int[temperatureCount];
            _hasTrusted = new bool[temperatureCount];
            _stepSuspect = new bool[temperatureCount];
            _railCount = new int[temperatureCount];
            _stepCount = new int[temperatureCount];
            _unreadableSince_ms = new long[temperatureCount];
            _reportedFault = new TemperatureSensorFault[temperatureCount];
            _plausibleSince_ms = new long[temperatureCount];
            _trusted = new bool[temperatureCount];

            int scratch = cellCount > temperatureCount ? cellCount : temperatureCount;
            _scratchValue = new int[scratch];
            _scratchChannel = new int[scratch];
            _scratchPosition = new int[scratch];
            _scratchInput = new int[scratch];
            _scratchInputValid = new bool[scratch];

            for (int i = 0; i < cellCount; i++)
            {
                // No reference yet: every reading takes the exact path, which sets it.
                _collapseLimit_mV[i] = int.MaxValue;
            }
            for (int j = 0; j < temperatureCount; j++)
            {
                // x in ms, y in 0.1 °C: scale 1e6 gives 0.001 × 0.1 °C per second, compared with the (c) threshold.
                _rate[j] = new SlidingLeastSquares(_rateWindow, 1000000, _runawayRate_mdC_per_s);
                _slow[j] = new SlidingLeastSquares(_slowWindow);
                _rateHighSince_ms[j] = -1;
                _unreadableSince_ms[j] = -1;
                _plausibleSince_ms[j] = -1;
            }
            RunawaySensor = -1;
            RunawayCell = -1;
            RunawayTime_ms = -1;
            _lastLoad_ms = long.MinValue / 2;
        }

        /// <summary>Latched: thermal runaway confirmed ((a or b) and c). Cleared only by <see cref="TryReset"/>.</summary>
        public bool RunawayConfirmed { get; private set; }

        /// <summary>Snapshot time of the confirmation, -1 before.</summary>
        public long RunawayTime_ms { get; private set; }

        /// <summary>Sensor whose rate met condition (c) at confirmation (also the event's index), -1 before.</summary>
        public int RunawaySensor { get; private set; }

        /// <summary>First cell meeting condition (a) at confirmation, -1 when (b) alone confirmed it.</summary>
        public int RunawayCell { get; private set; }

        /// <summary>Condition (a) in the last tick: some cell is more than the set share below its reference.</summary>
        public bool AnyCellVoltageCollapsed { get { return _anyCollapsed; } }

        /// <summary>Condition (b) in the last tick: a trusted sensor is at or above the maximum operating temperature.</summary>
        public bool MaxTemperatureReached { get { return _maxTemperatureReached; } }

        /// <summary>Condition (c) in the last tick: a trusted sensor's rate held above the threshold long enough.</summary>
        public bool RateConditionMet { get { return _rateCondition; } }

        /// <summary>Series cells watched.</summary>
        public int CellCount { get { return _cellCount; } }

        /// <summary>Temperature channels watched.</summary>
        public int TemperatureCount { get { return _sensorCount; } }

        /// <summary>Condition (a) for one cell.</summary>
        public bool IsCellVoltageCollapsed(int cell)
        {
            return _cellCollapsed[cell];
        }

        /// <summary>The slowly tracking reference ("initial value") of a cell, 0 before its first valid sample.</summary>
        public int GetCellReference_mV(int cell)
        {
            return (int)(_cellReference_q16[cell] >> 16);
        }

        /// <summary>Fast least-squares rate of a sensor in 0.001 × 0.1 °C/s (10 000 = 1 °C/s).</summary>
        public int GetTemperatureRate_mdC_per_s(int sensor)
        {
            long slope;
            return TryFastRate(sensor, out slope) ? Clamp(slope) : 0;
        }

        /// <summary>true when the sensor's fast rate is computed from a full window of trusted samples.</summary>
        public bool IsTemperatureRateValid(int sensor)
        {
            long slope;
            return TryFastRate(sensor, out slope);
        }

        // The guard itself only compares the rate with the threshold each tick; the value is fitted when asked for.
        private bool TryFastRate(int sensor, out long slope)
        {
            slope = 0;
            // x in ms, y in 0.1 °C: scale 1e6 gives 0.001 × 0.1 °C per second.
            return _rate[sensor].Count == _rateWindow && _rate[sensor].TrySlope(1000000, out slope);
        }

        /// <summary>Slow (precursor window) rate of a sensor in 0.001 × 0.1 °C/s.</summary>
        public int GetSlowTemperatureRate_mdC_per_s(int sensor)
        {
            return _slowRate_mdC_per_s[sensor];
        }

        /// <summary>The reported plausibility fault of a sensor (None when plausible or not yet debounced).</summary>
        public TemperatureSensorFault GetSensorFault(int sensor)
        {
            return _reportedFault[sensor];
        }

        /// <summary>true when the sensor's last reading was used for the runaway conditions.</summary>
        public bool IsSensorTrusted(int sensor)
        {
            return _trusted[sensor];
        }

        /// <summary>Precursor: this sensor heats faster than its neighbours.</summary>
        public bool IsTemperaturePrecursorActive(int sensor)
        {
            return _temperaturePrecursor.IsActive(sensor);
        }

        /// <summary>Precursor: this cell's voltage sags at rest faster than the others.</summary>
        public bool IsVoltageSagPrecursorActive(int cell)
        {
            return _sagPrecursor.IsActive(cell);
        }

        /// <summary>true while any precursor warning is raised.</summary>
        public bool AnyPrecursorActive
        {
            get
            {
                for (int j = 0; j < _sensorCount; j++)
                {
                    if (_temperaturePrecursor.IsActive(j))
                    {
                        return true;
                    }
                }
                for (int i = 0; i < _cellCount; i++)
                {
                    if (_sagPrecursor.IsActive(i))
                    {
                        return true;
                    }
                }
                return false;
            }
        }

        /// <summary>
        /// Clears the latched runaway when none of (a), (b), (c) holds any more (explicit reset when safe).
        /// Returns true when the latch is clear afterwards.
        /// </summary>
        public bool TryReset(long now_ms)
        {
            if (!RunawayConfirmed)
            {
                return true;
            }
            if (_anyCollapsed || _maxTemperatureReached || _rateCondition)
            {
                return false;
            }
            RunawayConfirmed = false;
            _sink.OnEvent(now_ms, BmsEventCode.ThermalRunaway, ProtectionLevel.Fault, RunawaySensor, false);
            RunawaySensor = -1;
            RunawayCell = -1;
            RunawayTime_ms = -1;
            return true;
        }

        /// <summary>Runs the guard on one 100 ms snapshot. No allocation.</summary>
        public void Update100ms(MeasurementSnapshot s)
        {
            long now = s.Time_ms;
            _voltageEffectKnown = false;
            CheckCells(s, now);

            int current = s.Current_mA;
            if (!s.CurrentValid || current > _restCurrent_mA || current < -_restCurrent_mA)
            {
                _lastLoad_ms = now;
            }

            if (!s.TemperaturesHeld)
            {
                UpdateSensors(s, now);
            }
            // else: no new temperature sample in this scan (the AFE repeats the last conversion): (b) and (c) keep
            // the verdicts of that conversion, the rate windows and buckets wait for the next one.

            if (!RunawayConfirmed && (_anyCollapsed || _maxTemperatureReached) && _rateCondition)
            {
                RunawayConfirmed = true;
                RunawayTime_ms = now;
                RunawaySensor = _rateSensor;
                RunawayCell = FirstCollapsedCell();
                _sink.OnEvent(now, BmsEventCode.ThermalRunaway, ProtectionLevel.Fault, _rateSensor, true);
            }

            AccumulateBuckets(s, now);
        }

        /// <summary>Plausibility, (b) and (c) for every sensor's new reading.</summary>
        private void UpdateSensors(MeasurementSnapshot s, long now)
        {
            // Each trusted reading adds its share of (b) and (c). The steady case, written out here with the arrays
            // in locals, runs for every sensor every tick.
            bool maxTemperatureReached = false;
            _rateCondition = false;
            _rateSensor = -1;
            int[] temperature = s.Temperature_dC;
            bool[] valid = s.TemperatureValid;
            bool[] trusted = _trusted;
            int[] quickLow = _quickLow_dC;
            int[] quickHigh = _quickHigh_dC;
            int[] lastRaw = _lastRaw_dC;
            long[] frozenFrom = _frozenCheckFrom_ms;
            SlidingLeastSquares[] rate = _rate;
            long[] rateHighSince = _rateHighSince_ms;
            int[] bucketSum = _sensorBucketSum_dC;
            _bucketTicks++;
            for (int j = 0; j < _sensorCount; j++)
            {
                if (!valid[j])
                {
                    ReadingUnavailable(s, j, now);
                    _sensorBucketMissed[j]++;
                    continue;
                }
                int v = temperature[j];
                if (trusted[j] && v >= quickLow[j] && v <= quickHigh[j])
                {
                    // Trusted in its last reading (so readable, no rail, step or fault state, and the last raw
                    // reading is the last trusted one) and now between the rails within a step of it: every rail and
                    // step check passes with nothing to update.
                    if (v != lastRaw[j])
                    {
                        RecordChange(s, j, v, now);
                        _lastTrusted_dC[j] = v;
                    }
                    else if (now >= frozenFrom[j] && FrozenAgainstNeighbours(s, j))
                    {
                        ReportSensorFault(j, TemperatureSensorFault.Frozen, now);
                        trusted[j] = false;
                        ForgetRate(j);
                        _sensorBucketMissed[j]++;
                        continue;
                    }
                }
                else if (!CheckPlausibility(s, j, v, now))
                {
                    _sensorBucketMissed[j]++;
                    continue;
                }

                if (v >= _maxOperatingTemperature_dC)
                {
                    maxTemperatureReached = true;
                }
                if (rate[j].PushAndCompare(now, v) > 0)
                {
                    long highSince = rateHighSince[j];
                    if (highSince < 0)
                    {
                        // Just risen: held for 0 ms, which is not more than the (non-negative) duration.
                        rateHighSince[j] = now;
                    }
                    else if (now - highSince > _runawayRateDuration_ms && !_rateCondition)
                    {
                        _rateCondition = true;
                        _rateSensor = j;
                    }
                }
                else
                {
                    rateHighSince[j] = -1;
                }
                bucketSum[j] += v;
            }
            _maxTemperatureReached = maxTemperatureReached;
        }

        // ---------------------------------------------------------------- cells, condition (a)

        /// <summary>Condition (a) for this tick: one comparison per cell unless a cell is at or below its limit.</summary>
        private void CheckCells(MeasurementSnapshot s, long now)
        {
            if (!_anyCollapsed)
            {
                if (s.CellSummaryKnown && s.LowestCell_mV > _highestCollapseLimit_mV)
                {
                    // Every valid cell is above every limit; the invalid ones keep their verdict (not collapsed).
                    return;
                }
                int[] voltage = s.CellVoltage_mV;
                int[] limit = _collapseLimit_mV;
                int n = _cellCount;
                int i = 0;
                while (i < n && voltage[i] > limit[i])
                {
                    i++;
                }
                if (i == n)
                {
                    // Every cell (an unreadable one's stale value included) is above its limit: none collapsed,
                    // and with none collapsed before, no unreadable cell keeps a collapsed verdict either.
                    return;
                }
            }
            EvaluateCollapse(s, now);
        }

        private void EvaluateCollapse(MeasurementSnapshot s, long now)
        {
            _anyCollapsed = false;
            int dropShare_pct = _config.CellVoltageDrop_pct;
            for (int i = 0; i < _cellCount; i++)
            {
                if (s.CellValid[i])
                {
                    int v = s.CellVoltage_mV[i];
                    if (!_cellReferenceSet[i])
                    {
                        _cellReference_q16[i] = (long)v << 16;
                        _cellReferenceTime_ms[i] = now;
                        _cellReferenceSet[i] = true;
                        SetCollapseLimit(i);
                    }
                    long reference = _cellReference_q16[i] >> 16;
                    long drop = reference - v;
                    _cellCollapsed[i] = drop * 100 > reference * dropShare_pct;
                }
                // An unreadable cell keeps its last verdict: a collapse must not vanish because the wire burnt.
                if (_cellCollapsed[i])
                {
                    _anyCollapsed = true;
                }
            }
        }

        /// <summary>
        /// collapsed ⇔ (reference − v) × 100 &gt; reference × pct ⇔ v × 100 ≤ reference × (100 − pct) − 1, so the
        /// largest collapsed voltage is that bound divided by 100, rounded down.
        /// </summary>
        private void SetCollapseLimit(int i)
        {
            int reference = (int)(_cellReference_q16[i] >> 16);
            _cellReference_mV[i] = reference;
            long bound = (long)reference * (100 - _config.CellVoltageDrop_pct) - 1;
            long limit = bound >= 0 ? bound / 100 : -((-bound + 99) / 100);
            int cellLimit = limit > int.MaxValue ? int.MaxValue : limit < int.MinValue ? int.MinValue : (int)limit;
            _collapseLimit_mV[i] = cellLimit;
            if (cellLimit > _highestCollapseLimit_mV)
            {
                _highestCollapseLimit_mV = cellLimit;
            }
        }

        /// <summary>
        /// Every few seconds each cell's reference follows the cell with τ, except while the cell is falling away
        /// from the rest of the pack (so a collapse in progress cannot drag its own "initial value" down, while a
        /// pack moving together under load is tracked). This tick records every cell's drop below its reference;
        /// the moves follow in slices, all as of this tick.
        /// </summary>
        private void SurveyCellReferences(MeasurementSnapshot s, long now)
        {
            _referenceSurveyDue = false;
            int smallestDrop = int.MaxValue;
            int[] voltage = s.CellVoltage_mV;
            bool[] valid = s.CellValid;
            int[] reference = _cellReference_mV;
            int[] drops = _referenceDrop_mV;
            bool[] surveyed = _referenceSurveyed;
            // CheckCells ran first in this tick and gave every readable cell a reference.
            for (int i = 0; i < _cellCount; i++)
            {
                bool usable = valid[i];
                surveyed[i] = usable;
                if (usable)
                {
                    int drop = reference[i] - voltage[i];
                    drops[i] = drop;
                    if (drop < smallestDrop)
                    {
                        smallestDrop = drop;
                    }
                }
            }
            _referenceSmallestDrop_mV = smallestDrop;
            _referenceMedianKnown = false;
            _referenceSurvey_ms = now;
            _referenceNextCell = 0;
        }

        private void MoveCellReferences()
        {
            long tau = _config.VoltageReferenceTimeConstant_ms;
            int freeze_pct = _config.VoltageReferenceFreeze_pct;
            long now = _referenceSurvey_ms;
            int start = _referenceNextCell;
            int end = start + _referenceSliceCells;
            if (end >= _cellCount)
            {
                end = _cellCount;
                _referenceNextCell = -1;
            }
            else
            {
                _referenceNextCell = end;
            }
            for (int i = start; i < end; i++)
            {
                if (!_referenceSurveyed[i])
                {
                    continue;
                }
                long reference_q16 = _cellReference_q16[i];
                long reference = reference_q16 >> 16;
                long drop = _referenceDrop_mV[i];
                bool frozen = false;
                // The median drop is at least the smallest one: only a cell that far away needs the median.
                if ((drop - _referenceSmallestDrop_mV) * 100 >= reference * freeze_pct)
                {
                    if (!_referenceMedianKnown)
                    {
                        _referenceMedianDrop_mV = MedianOf(_referenceDrop_mV, _referenceSurveyed);
                        _referenceMedianKnown = true;
                    }
                    frozen = (drop - _referenceMedianDrop_mV) * 100 >= reference * freeze_pct;
                }
                long dt = now - _cellReferenceTime_ms[i];
                if (dt > tau)
                {
                    dt = tau;
                }
                if (!frozen && dt > 0)
                {
                    // The reference has not moved since the survey, so the surveyed voltage is reference − drop.
                    long v_q16 = (reference - drop) << 16;
                    _cellReference_q16[i] = reference_q16 + (v_q16 - reference_q16) * dt / tau;
                    SetCollapseLimit(i);
                }
                _cellReferenceTime_ms[i] = now;
            }
            if (_referenceNextCell < 0)
            {
                // Every cell moved: the bound comes down to the highest limit again (it only rose in between).
                int highest = int.MinValue;
                int[] limits = _collapseLimit_mV;
                for (int i = 0; i < _cellCount; i++)
                {
                    if (limits[i] > highest)
                    {
                        highest = limits[i];
                    }
                }
                _highestCollapseLimit_mV = highest;
            }
        }

        /// <summary>
        /// Whether a cell falls away from the rest of the pack in this tick (a real temperature step may then
        /// come with it). Needed only when a sensor steps, so worked out then, once per tick.
        /// </summary>
        private bool VoltageEffect(MeasurementSnapshot s)
        {
            if (_voltageEffectKnown)
            {
                return _voltageEffect;
            }
            _voltageEffectKnown = true;
            _voltageEffect = false;
            for (int i = 0; i < _cellCount; i++)
            {
                bool usable = s.CellValid[i] && _cellReferenceSet[i];
                _scratchInputValid[i] = usable;
                if (usable)
                {
                    _scratchInput[i] = (int)(_cellReference_q16[i] >> 16) - s.CellVoltage_mV[i];
                }
            }
            long medianDrop = MedianOf(_scratchInput, _scratchInputValid);
            int effect_pct = _config.StepVoltageEffect_pct;
            for (int i = 0; i < _cellCount; i++)
            {
                if (_scratchInputValid[i] && (_scratchInput[i] - medianDrop) * 100 >= (_cellReference_q16[i] >> 16) * effect_pct)
                {
                    _voltageEffect = true;
                    break;
                }
            }
            return _voltageEffect;
        }

        /// <summary>Median of the valid per-cell values (0 when there are none).</summary>
        private long MedianOf(int[] values, bool[] valid)
        {
            int sorted = SortValid(values, valid, _cellCount);
            return sorted == 0 ? 0
                : sorted % 2 == 1 ? _scratchValue[sorted / 2]
                : ((long)_scratchValue[sorted / 2 - 1] + _scratchValue[sorted / 2]) / 2;
        }

        private int FirstCollapsedCell()
        {
            for (int i = 0; i < _cellCount; i++)
            {
                if (_cellCollapsed[i])
                {
                    return i;
                }
            }
            return -1;
        }

        // ---------------------------------------------------------------- sensors: plausibility and rate (c)

        private void ReadingUnavailable(MeasurementSnapshot s, int j, long now)
        {
            // A missed scan is skipped, not a reason to forget the rate history; persistent loss is a fault.
            _trusted[j] = false;
            if ((s.AfeFaults & (Bms.Drivers.CellMonitoring.CellMonitorFaults.CommunicationError | Bms.Drivers.CellMonitoring.CellMonitorFaults.DeviceMissing)) != 0)
            {
                // The AFE itself is not answering: that is AfeCommunication, raised by protection, not a
                // thermistor fault (and the sensor must not stay distrusted once the AFE answers again).
                _unreadableSince_ms[j] = -1;
                return;
            }
            if (_unreadableSince_ms[j] < 0)
            {
                _unreadableSince_ms[j] = now;
            }
            if (now - _unreadableSince_ms[j] >= _config.UnreadableDelay_ms)
            {
                ReportSensorFault(j, TemperatureSensorFault.Unreadable, now);
                ForgetRate(j);
            }
        }

        /// <summary>
        /// The rail, step and frozen checks of a reading that did not pass the quick ones; raises and clears
        /// sensor faults. Returns whether the reading is trusted.
        /// </summary>
        private bool CheckPlausibility(MeasurementSnapshot s, int j, int v, long now)
        {
            _unreadableSince_ms[j] = -1;
            int sinceTrusted_dC = v - _lastTrusted_dC[j];

            TemperatureSensorFault condition = TemperatureSensorFault.None;
            bool suspect = false;
            // The rate window's newest sample (kept when the window restarts) is the last trusted reading.
            bool recent = _hasTrusted[j] && now - _rate[j].NewestX <= _config.StepMaxGap_ms;

            if (v <= _openRail_dC)
            {
                suspect = true;
                _railCount[j]++;
                if (_railCount[j] >= _config.RailDebounceSamples)
                {
                    condition = TemperatureSensorFault.Open;
                }
            }
            else if (v >= _shortRail_dC
                && !(recent && !_stepSuspect[j] && sinceTrusted_dC <= _maxStep_dC))
            {
                // At the high rail without having climbed there credibly.
                suspect = true;
                _railCount[j]++;
                if (_railCount[j] >= _config.RailDebounceSamples)
                {
                    condition = TemperatureSensorFault.Shorted;
                }
            }
            else
            {
                _railCount[j] = 0;
                if (_hasTrusted[j] && (recent || _stepSuspect[j])
                    && (sinceTrusted_dC > _maxStep_dC || sinceTrusted_dC < -_maxStep_dC) && !VoltageEffect(s))
                {
                    suspect = true;
                    _stepSuspect[j] = true;
                    _stepCount[j]++;
                    if (_stepCount[j] >= _config.RailDebounceSamples)
                    {
                        condition = TemperatureSensorFault.ImpossibleStep;
                    }
                }
                else
                {
                    _stepSuspect[j] = false;
                    _stepCount[j] = 0;
                }
            }

            // Frozen: not a single LSB of change for a long time while a neighbour moved.
            if (v != _lastRaw_dC[j] || !_hasLastRaw[j])
            {
                RecordChange(s, j, v, now);
            }
            else if (!suspect && now >= _frozenCheckFrom_ms[j] && FrozenAgainstNeighbours(s, j))
            {
                suspect = true;
                condition = TemperatureSensorFault.Frozen;
            }

            if (condition != TemperatureSensorFault.None)
            {
                ReportSensorFault(j, condition, now);
            }
            else if (!suspect && _reportedFault[j] != TemperatureSensorFault.None)
            {
                if (_plausibleSince_ms[j] < 0)
                {
                    _plausibleSince_ms[j] = now;
                }
                if (now - _plausibleSince_ms[j] >= _config.SensorFaultClearDelay_ms)
                {
                    _sink.OnEvent(now, BmsEventCode.SensorFault, _config.SensorFaultLevel, j, false);
                    _reportedFault[j] = TemperatureSensorFault.None;
                    _plausibleSince_ms[j] = -1;
                }
            }

            if (suspect || _reportedFault[j] != TemperatureSensorFault.None)
            {
                _trusted[j] = false;
                ForgetRate(j);
                return false;
            }
            _trusted[j] = true;
            _hasTrusted[j] = true;
            _lastTrusted_dC[j] = v;
            return true;
        }

        private void RecordChange(MeasurementSnapshot s, int j, int v, long now)
        {
            _hasLastRaw[j] = true;
            _lastRaw_dC[j] = v;
            // The readings that pass the rail and step checks quietly after this one, were it trusted.
            int low = v - _maxStep_dC;
            int high = v + _maxStep_dC;
            _quickLow_dC[j] = low > _openRail_dC ? low : _openRail_dC + 1;
            _quickHigh_dC[j] = high < _shortRail_dC ? high : _shortRail_dC - 1;
            _lastChange_ms[j] = now;
            _frozenCheckFrom_ms[j] = now + _neighbourSnapshotDelay_ms;
            _neighbourSnapshotDue[j] = true;
        }

        /// <summary>Called once the reading has been still until _frozenCheckFrom_ms: the next step of the check.</summary>
        private bool FrozenAgainstNeighbours(MeasurementSnapshot s, int j)
        {
            if (!_neighbourSnapshotDue[j])
            {
                return NeighbourMoved(s, j);
            }
            _neighbourSnapshotDue[j] = false;
            _frozenCheckFrom_ms[j] = _lastChange_ms[j] + _frozenTime_ms;
            int[] temperature = s.Temperature_dC;
            bool[] valid = s.TemperatureValid;
            int[] atChange = _neighbourAtChange_dC;
            int row = j * _sensorCount;
            for (int k = 0; k < _sensorCount; k++)
            {
                atChange[row + k] = valid[k] ? temperature[k] : NoValue;
            }
            return false;
        }

        private void ReportSensorFault(int j, TemperatureSensorFault fault, long now)
        {
            _plausibleSince_ms[j] = -1;
            if (_reportedFault[j] == TemperatureSensorFault.None)
            {
                _reportedFault[j] = fault;
                _sink.OnEvent(now, BmsEventCode.SensorFault, _config.SensorFaultLevel, j, true);
            }
        }

        private bool NeighbourMoved(MeasurementSnapshot s, int j)
        {
            int row = j * _sensorCount;
            for (int k = 0; k < _sensorCount; k++)
            {
                if (k == j || !s.TemperatureValid[k] || _reportedFault[k] != TemperatureSensorFault.None)
                {
                    continue;
                }
                int then = _neighbourAtChange_dC[row + k];
                if (then != NoValue && FixedMath.Abs(s.Temperature_dC[k] - then) >= _config.FrozenNeighbourMove_dC)
                {
                    return true;
                }
            }
            return false;
        }

        private void ForgetRate(int j)
        {
            _rate[j].Clear();
            _rateHighSince_ms[j] = -1;
            // The slow window restarts too: an implausible stretch must not bend the precursor rate.
            _slow[j].Clear();
            _slowRateValid[j] = false;
            _slowRate_mdC_per_s[j] = 0;
            _sensorBucketSum_dC[j] = 0;
            // The caller counts this tick as missed on top (a restart happens only on a reading not used).
            _sensorBucketMissed[j] = _bucketTicks - 1;
        }

        // ---------------------------------------------------------------- precursors (1 s buckets)

        private void AccumulateBuckets(MeasurementSnapshot s, long now)
        {
            if (_bucketStart_ms < 0)
            {
                _bucketStart_ms = now;
            }
            if (now - _lastLoad_ms >= _sagAccumulateAfterLoad_ms)
            {
                _cellBucketTouched = true;
                for (int i = 0; i < _cellCount; i++)
                {
                    if (s.CellValid[i])
                    {
                        _cellBucketSum_mV[i] += s.CellVoltage_mV[i];
                        _cellBucketCount[i]++;
                    }
                }
            }
            else
            {
                _cellBucketComplete = false;
            }
            if (now - _bucketStart_ms + 100 < 1000)
            {
                if (_referenceSurveyDue)
                {
                    SurveyCellReferences(s, now);
                }
                else if (_referenceNextCell >= 0)
                {
                    MoveCellReferences();
                }
                return;
            }
            _bucketStart_ms = now + 100;
            _bucketSequence++;
            if (_bucketSequence % ReferenceUpdatePeriod_s == 0)
            {
                _referenceSurveyDue = true;
            }
            CloseTemperatureBuckets(now);
            _bucketTicks = 0;
            CloseCellBuckets(now);
        }

        private void CloseTemperatureBuckets(long now)
        {
            long baseThreshold = (long)_config.PrecursorExcessRate_dC_per_min * 1000 / 60;
            bool anyRising = false;
            for (int j = 0; j < _sensorCount; j++)
            {
                _scratchInputValid[j] = false;
                int count = _bucketTicks - _sensorBucketMissed[j];
                if (count == 0)
                {
                    _slow[j].Clear();
                    _slowRateValid[j] = false;
                }
                else
                {
                    long slope = 0;
                    // x in s, y in 0.01 °C: scale 100 gives 0.001 × 0.1 °C per second.
                    _slowRateValid[j] = _slow[j].PushAndFitFull(_bucketSequence, _sensorBucketSum_dC[j] * 10 / count, 100, out slope);
                    _slowRate_mdC_per_s[j] = _slowRateValid[j] ? Clamp(slope) : 0;
                }
                _sensorBucketSum_dC[j] = 0;
                _sensorBucketMissed[j] = 0;
                if (_slowRateValid[j])
                {
                    _scratchInput[j] = _slowRate_mdC_per_s[j];
                    _scratchInputValid[j] = true;
                    if (_slowRate_mdC_per_s[j] >= baseThreshold)
                    {
                        anyRising = true;
                    }
                }
            }
            if (!anyRising && !_temperatureFlagsBusy)
            {
                // A precursor needs the sensor itself rising: every condition is false, and with no flag raised or
                // pending, updating them would change nothing.
                return;
            }

            int sorted = SortValid(_scratchInput, _scratchInputValid, _sensorCount);
            bool busy = false;
            for (int j = 0; j < _sensorCount; j++)
            {
                bool condition = false;
                int median;
                if (_scratchInputValid[j] && MedianOfOthers(sorted, _scratchPosition[j], out median))
                {
                    long positiveMedian = median > 0 ? median : 0;
                    long threshold = baseThreshold + positiveMedian * _config.PrecursorExcessRatio_pct / 100;
                    // The sensor itself must be rising: one that merely cools slower than the rest is not self-heating.
                    condition = _slowRate_mdC_per_s[j] >= baseThreshold && (long)_slowRate_mdC_per_s[j] - median >= threshold;
                }
                RaisePrecursor(_temperaturePrecursor.Update(j, condition, now, _config.PrecursorSetDelay_ms, _config.PrecursorClearDelay_ms), j, now);
                if (condition || _temperaturePrecursor.IsActive(j))
                {
                    busy = true;
                }
            }
            _temperatureFlagsBusy = busy;
        }

        private void CloseCellBuckets(long now)
        {
            _sagNewest = (_sagNewest + 1) % _sagLength;
            if (_sagFilled < _sagLength)
            {
                _sagFilled++;
            }
            // A bucket summed only part of the second is never compared (see SagAccumulationLead_ms): mark the
            // slot instead of writing every cell.
            _sagSlotComplete[_sagNewest] = _cellBucketComplete;
            if (_cellBucketComplete)
            {
                for (int i = 0; i < _cellCount; i++)
                {
                    _sagHistory_dmV[i * _sagLength + _sagNewest] = _cellBucketCount[i] == 0
                        ? NoValue
                        : (int)(_cellBucketSum_mV[i] * 10 / _cellBucketCount[i]);
                }
            }
            if (_cellBucketTouched)
            {
                for (int i = 0; i < _cellCount; i++)
                {
                    _cellBucketSum_mV[i] = 0;
                    _cellBucketCount[i] = 0;
                }
            }
            _cellBucketComplete = true;
            _cellBucketTouched = false;

            int oldest = (_sagNewest + 1) % _sagLength;
            bool comparable = now - _lastLoad_ms >= _config.SagRestDelay_ms + (long)_config.SagWindow_s * 1000
                && _sagFilled == _sagLength && _sagSlotComplete[_sagNewest] && _sagSlotComplete[oldest];
            if (!comparable && !_sagFlagsBusy)
            {
                // Every condition is false and no flag is raised or pending: updating them would change nothing.
                return;
            }
            int smallest = int.MaxValue;
            int largest = int.MinValue;
            for (int i = 0; i < _cellCount; i++)
            {
                int recentValue = _sagHistory_dmV[i * _sagLength + _sagNewest];
                int pastValue = _sagHistory_dmV[i * _sagLength + oldest];
                bool usable = comparable && recentValue != NoValue && pastValue != NoValue;
                _scratchInputValid[i] = usable;
                int change = usable ? recentValue - pastValue : 0;
                _scratchInput[i] = change;
                if (usable)
                {
                    smallest = change < smallest ? change : smallest;
                    largest = change > largest ? change : largest;
                }
            }
            int threshold_dmV = _config.SagThreshold_mV * 10;
            if (!_sagFlagsBusy && (long)largest - smallest < threshold_dmV)
            {
                // The median of the others is at most the largest change: no cell sags the threshold below it, and
                // with no flag raised or pending, updating them would change nothing.
                return;
            }
            int sorted = SortValid(_scratchInput, _scratchInputValid, _cellCount);
            bool busy = false;
            for (int i = 0; i < _cellCount; i++)
            {
                bool condition = false;
                int median;
                if (_scratchInputValid[i] && MedianOfOthers(sorted, _scratchPosition[i], out median))
                {
                    condition = median - _scratchInput[i] >= threshold_dmV;
                }
                RaisePrecursor(_sagPrecursor.Update(i, condition, now, _config.PrecursorSetDelay_ms, _config.PrecursorClearDelay_ms), i, now);
                if (condition || _sagPrecursor.IsActive(i))
                {
                    busy = true;
                }
            }
            _sagFlagsBusy = busy;
        }

        private void RaisePrecursor(int transition, int index, long now)
        {
            if (transition != 0)
            {
                _sink.OnEvent(now, BmsEventCode.ThermalRunawayPrecursor, ProtectionLevel.Warning, index, transition > 0);
            }
        }

        /// <summary>Sorts the valid inputs ascending into _scratchValue; _scratchPosition[channel] = sorted rank.</summary>
        private int SortValid(int[] input, bool[] valid, int count)
        {
            int n = 0;
            for (int c = 0; c < count; c++)
            {
                if (!valid[c])
                {
                    continue;
                }
                int value = input[c];
                int k = n;
                while (k > 0 && _scratchValue[k - 1] > value)
                {
                    _scratchValue[k] = _scratchValue[k - 1];
                    _scratchChannel[k] = _scratchChannel[k - 1];
                    k--;
                }
                _scratchValue[k] = value;
                _scratchChannel[k] = c;
                n++;
            }
            for (int k = 0; k < n; k++)
            {
                _scratchPosition[_scratchChannel[k]] = k;
            }
            return n;
        }

        /// <summary>Median of the sorted values without the one at rank <paramref name="excluded"/>.</summary>
        private bool MedianOfOthers(int sortedCount, int excluded, out int median)
        {
            int others = sortedCount - 1;
            if (others < 1)
            {
                median = 0;
                return false;
            }
            int lower = (others - 1) / 2;
            int upper = others / 2;
            int a = _scratchValue[lower < excluded ? lower : lower + 1];
            int b = _scratchValue[upper < excluded ? upper : upper + 1];
            median = (int)(((long)a + b) / 2);
            return true;
        }


        private static int Clamp(long value)
        {
            if (value > int.MaxValue)
            {
                return int.MaxValue;
            }
            if (value < -int.MaxValue)
            {
                return -int.MaxValue;
            }
            return (int)value;
        }
    }
}
