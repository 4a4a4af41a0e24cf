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

        private readonly ThermalRunawayConfig _config;
        private readonly IBmsEventSink _sink;
        private readonly int _cellCount;
        private readonly int _sensorCount;

        // Condition (a): slowly tracking per-cell reference, mV << 16 to keep sub-millivolt remainders.
        private readonly long[] _cellReference_q16;
        private readonly long[] _cellReferenceTime_ms;
        private readonly bool[] _cellReferenceSet;
        private readonly bool[] _cellCollapsed;

        // Condition (c): per-sensor ring of trusted samples for the fast least-squares rate.
        private readonly int _rateWindow;
        private readonly long[] _rateTime_ms;
        private readonly int[] _rateValue_dC;
        private readonly int[] _rateNewest;
        private readonly int[] _rateCount;
        private readonly int[] _rate_mdC_per_s;
        private readonly bool[] _rateValid;
        private readonly long[] _rateHighSince_ms;

        // Precursors: 1 s buckets.
        private long _bucketStart_ms = -1;
        private long _bucketSequence;
        private readonly int[] _sensorBucketSum_dC;
        private readonly int[] _sensorBucketCount;
        private readonly int _slowWindow;
        private readonly long[] _slowX_s;
        private readonly int[] _slowY_cC;
        private readonly int[] _slowNewest;
        private readonly int[] _slowCount;
        private readonly int[] _slowRate_mdC_per_s;
        private readonly bool[] _slowRateValid;
        private readonly long[] _cellBucketSum_mV;
        private readonly int[] _cellBucketCount;
        private readonly int _sagLength;
        private readonly int[] _sagHistory_dmV;
        private int _sagNewest = -1;
        private int _sagFilled;
        private long _lastLoad_ms;
        private readonly DebouncedFlags _temperaturePrecursor;
        private readonly DebouncedFlags _sagPrecursor;

        // Plausibility.
        private readonly int[] _lastRaw_dC;
        private readonly bool[] _hasLastRaw;
        private readonly long[] _lastChange_ms;
        private readonly int[] _neighbourAtChange_dC;
        private readonly int[] _lastTrusted_dC;
        private readonly long[] _lastTrusted_ms;
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
        private bool _maxTemperatureReached;
        private bool _rateCondition;

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

            _cellReference_q16 = new long[cellCount];
            _cellReferenceTime_ms = new long[cellCount];
            _cellReferenceSet = new bool[cellCount];
            _cellCollapsed = new bool[cellCount];

            _rateWindow = config.RateWindowSamples;
            _rateTime_ms = new long[temperatureCount * _rateWindow];
            _rateValue_dC = new int[temperatureCount * _rateWindow];
            _rateNewest = new int[temperatureCount];
            _rateCount = new int[temperatureCount];
            _rate_mdC_per_s = new int[temperatureCount];
            _rateValid = new bool[temperatureCount];
            _rateHighSince_ms = new long[temperatureCount];

            _sensorBucketSum_dC = new int[temperatureCount];
            _sensorBucketCount = new int[temperatureCount];
            _slowWindow = config.PrecursorWindow_s;
            _slowX_s = new long[temperatureCount * _slowWindow];
            _slowY_cC = new int[temperatureCount * _slowWindow];
            _slowNewest = new int[temperatureCount];
            _slowCount = new int[temperatureCount];
            _slowRate_mdC_per_s = new int[temperatureCount];
            _slowRateValid = new bool[temperatureCount];
            _cellBucketSum_mV = new long[cellCount];
            _cellBucketCount = new int[cellCount];
            _sagLength = config.SagWindow_s + 1;
            _sagHistory_dmV = new int[cellCount * _sagLength];
            _temperaturePrecursor = new DebouncedFlags(temperatureCount);
            _sagPrecursor = new DebouncedFlags(cellCount);

            _lastRaw_dC = new int[temperatureCount];
            _hasLastRaw = new bool[temperatureCount];
            _lastChange_ms = new long[temperatureCount];
            _neighbourAtChange_dC = new int[temperatureCount * temperatureCount];
            _lastTrusted_dC = new int[temperatureCount];
            _lastTrusted_ms = new long[temperatureCount];
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

            for (int j = 0; j < temperatureCount; j++)
            {
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
            return _rate_mdC_per_s[sensor];
        }

        /// <summary>true when the sensor's fast rate is computed from a full window of trusted samples.</summary>
        public bool IsTemperatureRateValid(int sensor)
        {
            return _rateValid[sensor];
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
            UpdateCells(s, now);
            bool voltageEffect = _voltageEffect;

            if (!s.CurrentValid || FixedMath.Abs(s.Current_mA) > _config.RestCurrent_mA)
            {
                _lastLoad_ms = now;
            }

            _maxTemperatureReached = false;
            _rateCondition = false;
            int rateSensor = -1;
            for (int j = 0; j < _sensorCount; j++)
            {
                EvaluateSensor(s, j, now, voltageEffect);
                if (!_trusted[j])
                {
                    continue;
                }
                if (s.Temperature_dC[j] >= _config.MaxOperatingTemperature_dC)
                {
                    _maxTemperatureReached = true;
                }
                if (_rateHighSince_ms[j] >= 0 && now - _rateHighSince_ms[j] > _config.RunawayRateDuration_ms)
                {
                    if (!_rateCondition)
                    {
                        rateSensor = j;
                    }
                    _rateCondition = true;
                }
            }

            if (!RunawayConfirmed && (_anyCollapsed || _maxTemperatureReached) && _rateCondition)
            {
                RunawayConfirmed = true;
                RunawayTime_ms = now;
                RunawaySensor = rateSensor;
                RunawayCell = FirstCollapsedCell();
                _sink.OnEvent(now, BmsEventCode.ThermalRunaway, ProtectionLevel.Fault, rateSensor, true);
            }

            AccumulateBuckets(s, now);
        }

        // ---------------------------------------------------------------- cells, condition (a)

        private void UpdateCells(MeasurementSnapshot s, long now)
        {
            _anyCollapsed = false;
            _voltageEffect = false;
            long tau = _config.VoltageReferenceTimeConstant_ms;

            // How far the pack as a whole sits below its references (load, discharge): the median drop.
            for (int i = 0; i < _cellCount; i++)
            {
                _scratchInputValid[i] = s.CellValid[i];
                if (!s.CellValid[i])
                {
                    continue;
                }
                if (!_cellReferenceSet[i])
                {
                    _cellReference_q16[i] = (long)s.CellVoltage_mV[i] << 16;
                    _cellReferenceTime_ms[i] = now;
                    _cellReferenceSet[i] = true;
                }
                _scratchInput[i] = (int)((_cellReference_q16[i] >> 16) - s.CellVoltage_mV[i]);
            }
            int sorted = SortValid(_scratchInput, _scratchInputValid, _cellCount);
            long medianDrop = sorted == 0 ? 0
                : sorted % 2 == 1 ? _scratchValue[sorted / 2]
                : ((long)_scratchValue[sorted / 2 - 1] + _scratchValue[sorted / 2]) / 2;

            for (int i = 0; i < _cellCount; i++)
            {
                if (s.CellValid[i])
                {
                    int v = s.CellVoltage_mV[i];
                    long reference = _cellReference_q16[i] >> 16;
                    long drop = reference - v;
                    _cellCollapsed[i] = drop * 100 > reference * _config.CellVoltageDrop_pct;
                    // A cell falling away from the rest of the pack keeps its reference, so a collapse in progress
                    // cannot drag its own "initial value" down; a pack moving together (load) is tracked.
                    bool frozen = (drop - medianDrop) * 100 >= reference * _config.VoltageReferenceFreeze_pct;
                    if ((drop - medianDrop) * 100 >= reference * _config.StepVoltageEffect_pct)
                    {
                        _voltageEffect = true;
                    }
                    long dt = now - _cellReferenceTime_ms[i];
                    if (dt > tau)
                    {
                        dt = tau;
                    }
                    if (!frozen && dt > 0)
                    {
                        _cellReference_q16[i] += (((long)v << 16) - _cellReference_q16[i]) * dt / tau;
                    }
                    _cellReferenceTime_ms[i] = now;
                }
                // An unreadable cell keeps its last verdict: a collapse must not vanish because the wire burnt.
                if (_cellCollapsed[i])
                {
                    _anyCollapsed = true;
                }
            }
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

        private void EvaluateSensor(MeasurementSnapshot s, int j, long now, bool voltageEffect)
        {
            if (!s.TemperatureValid[j])
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
                return;
            }
            _unreadableSince_ms[j] = -1;
            int v = s.Temperature_dC[j];

            TemperatureSensorFault condition = TemperatureSensorFault.None;
            bool suspect = false;
            bool recent = _hasTrusted[j] && now - _lastTrusted_ms[j] <= _config.StepMaxGap_ms;

            if (v <= _config.OpenRail_dC)
            {
                suspect = true;
                _railCount[j]++;
                if (_railCount[j] >= _config.RailDebounceSamples)
                {
                    condition = TemperatureSensorFault.Open;
                }
            }
            else if (v >= _config.ShortRail_dC
                && !(recent && !_stepSuspect[j] && v - _lastTrusted_dC[j] <= _config.MaxStep_dC))
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
                if (_hasTrusted[j] && (recent || _stepSuspect[j]) && FixedMath.Abs(v - _lastTrusted_dC[j]) > _config.MaxStep_dC && !voltageEffect)
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
            if (!_hasLastRaw[j] || v != _lastRaw_dC[j])
            {
                _hasLastRaw[j] = true;
                _lastRaw_dC[j] = v;
                _lastChange_ms[j] = now;
                int row = j * _sensorCount;
                for (int k = 0; k < _sensorCount; k++)
                {
                    _neighbourAtChange_dC[row + k] = s.TemperatureValid[k] ? s.Temperature_dC[k] : NoValue;
                }
            }
            else if (!suspect && now - _lastChange_ms[j] >= _config.FrozenTime_ms && NeighbourMoved(s, j))
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

            _trusted[j] = !suspect && _reportedFault[j] == TemperatureSensorFault.None;
            if (!_trusted[j])
            {
                ForgetRate(j);
                return;
            }

            _hasTrusted[j] = true;
            _lastTrusted_dC[j] = v;
            _lastTrusted_ms[j] = now;
            PushRateSample(j, v, now);
            _sensorBucketSum_dC[j] += v;
            _sensorBucketCount[j]++;
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
            _rateCount[j] = 0;
            _rateValid[j] = false;
            _rate_mdC_per_s[j] = 0;
            _rateHighSince_ms[j] = -1;
            // The slow window restarts too: an implausible stretch must not bend the precursor rate.
            _slowCount[j] = 0;
            _slowRateValid[j] = false;
            _slowRate_mdC_per_s[j] = 0;
            _sensorBucketSum_dC[j] = 0;
            _sensorBucketCount[j] = 0;
        }

        private void PushRateSample(int j, int value_dC, long now)
        {
            int newest = _rateCount[j] == 0 ? 0 : (_rateNewest[j] + 1) % _rateWindow;
            int index = j * _rateWindow + newest;
            _rateTime_ms[index] = now;
            _rateValue_dC[index] = value_dC;
            _rateNewest[j] = newest;
            if (_rateCount[j] < _rateWindow)
            {
                _rateCount[j]++;
            }
            long slope;
            // x in ms, y in 0.1 °C: scale 1e6 gives 0.001 × 0.1 °C per second.
            if (_rateCount[j] == _rateWindow
                && LeastSquaresSlope.TryCompute(_rateTime_ms, _rateValue_dC, j * _rateWindow, _rateWindow, newest, _rateWindow, 1000000, out slope))
            {
                _rate_mdC_per_s[j] = Clamp(slope);
                _rateValid[j] = true;
                if (slope >= (long)_config.RunawayRate_dC_per_s * 1000)
                {
                    if (_rateHighSince_ms[j] < 0)
                    {
                        _rateHighSince_ms[j] = now;
                    }
                }
                else
                {
                    _rateHighSince_ms[j] = -1;
                }
            }
            else
            {
                _rateValid[j] = false;
                _rateHighSince_ms[j] = -1;
            }
        }

        // ---------------------------------------------------------------- precursors (1 s buckets)

        private void AccumulateBuckets(MeasurementSnapshot s, long now)
        {
            if (_bucketStart_ms < 0)
            {
                _bucketStart_ms = now;
            }
            for (int i = 0; i < _cellCount; i++)
            {
                if (s.CellValid[i])
                {
                    _cellBucketSum_mV[i] += s.CellVoltage_mV[i];
                    _cellBucketCount[i]++;
                }
            }
            if (now - _bucketStart_ms + 100 < 1000)
            {
                return;
            }
            _bucketStart_ms = now + 100;
            _bucketSequence++;
            CloseTemperatureBuckets(now);
            CloseCellBuckets(now);
        }

        private void CloseTemperatureBuckets(long now)
        {
            for (int j = 0; j < _sensorCount; j++)
            {
                _scratchInputValid[j] = false;
                if (_sensorBucketCount[j] == 0)
                {
                    _slowCount[j] = 0;
                    _slowRateValid[j] = false;
                }
                else
                {
                    int newest = _slowCount[j] == 0 ? 0 : (_slowNewest[j] + 1) % _slowWindow;
                    int index = j * _slowWindow + newest;
                    _slowX_s[index] = _bucketSequence;
                    _slowY_cC[index] = _sensorBucketSum_dC[j] * 10 / _sensorBucketCount[j];
                    _slowNewest[j] = newest;
                    if (_slowCount[j] < _slowWindow)
                    {
                        _slowCount[j]++;
                    }
                    long slope = 0;
                    // x in s, y in 0.01 °C: scale 100 gives 0.001 × 0.1 °C per second.
                    _slowRateValid[j] = _slowCount[j] == _slowWindow
                        && LeastSquaresSlope.TryCompute(_slowX_s, _slowY_cC, j * _slowWindow, _slowWindow, newest, _slowWindow, 100, out slope);
                    _slowRate_mdC_per_s[j] = _slowRateValid[j] ? Clamp(slope) : 0;
                }
                _sensorBucketSum_dC[j] = 0;
                _sensorBucketCount[j] = 0;
                if (_slowRateValid[j])
                {
                    _scratchInput[j] = _slowRate_mdC_per_s[j];
                    _scratchInputValid[j] = true;
                }
            }

            int sorted = SortValid(_scratchInput, _scratchInputValid, _sensorCount);
            long baseThreshold = (long)_config.PrecursorExcessRate_dC_per_min * 1000 / 60;
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
            }
        }

        private void CloseCellBuckets(long now)
        {
            _sagNewest = (_sagNewest + 1) % _sagLength;
            if (_sagFilled < _sagLength)
            {
                _sagFilled++;
            }
            for (int i = 0; i < _cellCount; i++)
            {
                _sagHistory_dmV[i * _sagLength + _sagNewest] = _cellBucketCount[i] == 0
                    ? NoValue
                    : (int)(_cellBucketSum_mV[i] * 10 / _cellBucketCount[i]);
                _cellBucketSum_mV[i] = 0;
                _cellBucketCount[i] = 0;
            }

            bool resting = now - _lastLoad_ms >= _config.SagRestDelay_ms + (long)_config.SagWindow_s * 1000;
            int oldest = (_sagNewest + 1) % _sagLength;
            for (int i = 0; i < _cellCount; i++)
            {
                int recentValue = _sagHistory_dmV[i * _sagLength + _sagNewest];
                int pastValue = _sagHistory_dmV[i * _sagLength + oldest];
                _scratchInputValid[i] = resting && _sagFilled == _sagLength && recentValue != NoValue && pastValue != NoValue;
                _scratchInput[i] = _scratchInputValid[i] ? recentValue - pastValue : 0;
            }
            int sorted = SortValid(_scratchInput, _scratchInputValid, _cellCount);
            int threshold_dmV = _config.SagThreshold_mV * 10;
            for (int i = 0; i < _cellCount; i++)
            {
                bool condition = false;
                int median;
                if (_scratchInputValid[i] && MedianOfOthers(sorted, _scratchPosition[i], out median))
                {
                    condition = median - _scratchInput[i] >= threshold_dmV;
                }
                RaisePrecursor(_sagPrecursor.Update(i, condition, now, _config.PrecursorSetDelay_ms, _config.PrecursorClearDelay_ms), i, now);
            }
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
