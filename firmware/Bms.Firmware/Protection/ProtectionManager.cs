using System;
using Bms.Firmware.Events;
using Bms.Firmware.Measurement;

namespace Bms.Firmware.Protection
{
    /// <summary>
    /// Three-level protection of cell voltage, current, temperature and imbalance, plus measurement-loss
    /// detection. Reads the measurement snapshot only; reports each level's condition through
    /// <see cref="IBmsEventSink"/> as it is set (after its set delay) and as it clears (after its clear delay).
    /// Latching of faults is done by <see cref="ProtectionState"/>, which receives every event of the system.
    /// Invalid measurements are never evaluated: a missing cell voltage is not 0 V. A value that stays invalid
    /// longer than <see cref="ProtectionConfiguration.MeasurementTimeout_ms"/> raises AfeCommunication (fault).
    /// Integer arithmetic only; nothing allocated after construction.
    /// </summary>
    public sealed class ProtectionManager
    {
        private const int Levels = 3;
        private const long NotPending = long.MinValue;

        private readonly ProtectionConfiguration _config;
        private readonly IBmsEventSink _sink;
        private readonly int _cellCount;
        private readonly int _temperatureCount;

        // Per quantity and level (index quantity * 3 + level): thresholds copied into flat arrays for the tick.
        private readonly int[] _threshold = new int[ProtectedQuantities.Count * Levels];
        private readonly int[] _setDelay_ms = new int[ProtectedQuantities.Count * Levels];
        private readonly int[] _clearThreshold = new int[ProtectedQuantities.Count * Levels];
        private readonly int[] _clearDelay_ms = new int[ProtectedQuantities.Count * Levels];
        private readonly bool[] _upper = new bool[ProtectedQuantities.Count];

        private readonly bool[] _active = new bool[ProtectedQuantities.Count * Levels];
        private readonly long[] _setPendingSince_ms = new long[ProtectedQuantities.Count * Levels];
        private readonly long[] _clearPendingSince_ms = new long[ProtectedQuantities.Count * Levels];
        private readonly int[] _eventCell = new int[ProtectedQuantities.Count * Levels];

        // Per quantity: the band of values in which evaluating its levels cannot change anything, because no level
        // is active or counting towards being set (quiet) and the value is not beyond any level's threshold.
        // Empty (low > high) while the quantity is not quiet, so one band check per quantity is the whole steady
        // state. Invariant: while quiet, every clear timer is stopped too (they run only for active levels).
        private readonly bool[] _quiet = new bool[ProtectedQuantities.Count];
        private readonly int[] _quietLow = new int[ProtectedQuantities.Count];
        private readonly int[] _quietHigh = new int[ProtectedQuantities.Count];
        private readonly int[] _quietLimit = new int[ProtectedQuantities.Count];

        private readonly int _timeout_ms;
        private readonly int _shortCircuit_mA;
        private readonly int _shortCircuitDelay_ms;
        private readonly int _chargeDetect_mA;

        private readonly long[] _cellLastValid_ms;
        // The oldest of _cellLastValid_ms, kept when those change (once per scan) so that the 10 ms
        // communication check need not walk every cell.
        private long _oldestCellValid_ms;
        // While every cell was valid in the last scan, _cellLastValid_ms is not written per cell: each cell's last
        // valid time is _allCellsValidAt_ms. The first scan with an invalid cell writes the array again.
        private bool _allCellsValidMode;
        private long _allCellsValidAt_ms;
        // Before this time neither a cell nor the temperatures can have timed out (the oldest of their last valid
        // times plus the timeout), so the 10 ms step skips the loss check while the current reads.
        private long _cellTemperatureDeadline_ms;
        private long _temperatureLastValid_ms;
        private long _currentLastValid_ms;
        private bool _communicationLost;
        // The 10 ms step looks at the measurement loss from this time on: the cell/temperature deadline, or at once
        // (long.MinValue) while the loss is raised. Kept by SetCellTemperatureDeadline and SetCommunicationLost.
        private long _currentStepCommunicationCheck_ms;
        private int _communicationCell;

        // Extremes of the valid values of the last UpdateCells (int.MinValue / int.MaxValue when none was valid).
        private int _highestCell_mV = int.MinValue;
        private int _lowestCell_mV = int.MaxValue;
        private int _hottest_dC = int.MinValue;
        private int _coldest_dC = int.MaxValue;

        private bool _shortCircuitActive;
        // The current band (see UpdateCurrentBand) and the short-circuit quiet state it was computed with.
        private bool _shortCircuitQuiet;
        private int _currentQuietLow;
        private int _currentQuietHigh;
        private long _shortCircuitSince_ms = NotPending;
        private long _shortCircuitClearSince_ms = NotPending;

        /// <summary>Creates the protection for a pack; the configuration is validated by the caller and copied.</summary>
        public ProtectionManager(ProtectionConfiguration config, int cellCount, int temperatureCount, IBmsEventSink sink)
        {
            if (config == null)
            {
                throw new ArgumentNullException("config");
            }
            if (sink == null)
            {
                throw new ArgumentNullException("sink");
            }
            if (cellCount <= 0)
            {
                throw new ArgumentOutOfRangeException("cellCount");
            }
            if (temperatureCount < 0)
            {
                throw new ArgumentOutOfRangeException("temperatureCount");
            }
            _config = config.Clone();
            _sink = sink;
            _cellCount = cellCount;
            _temperatureCount = temperatureCount;
            _cellLastValid_ms = new long[cellCount];
            for (int q = 0; q < ProtectedQuantities.Count; q++)
            {
                QuantityThresholds thresholds = _config.GetQuantity((ProtectedQuantity)q);
                if (thresholds == null || thresholds.Warning == null || thresholds.Alarm == null || thresholds.Fault == null)
                {
                    throw new ArgumentException("protection configuration incomplete");
                }
                _upper[q] = thresholds.UpperLimit;
                int leastSevere = 0;
                for (int level = 0; level < Levels; level++)
                {
                    LevelThreshold t = thresholds.GetLevel(level);
                    if (level == 0 || (thresholds.UpperLimit ? t.Threshold < leastSevere : t.Threshold > leastSevere))
                    {
                        leastSevere = t.Threshold;
                    }
                    int i = q * Levels + level;
                    _threshold[i] = t.Threshold;
                    _setDelay_ms[i] = t.SetDelay_ms;
                    _clearThreshold[i] = t.ClearThreshold;
                    _clearDelay_ms[i] = t.ClearDelay_ms;
                    _setPendingSince_ms[i] = NotPending;
                    _clearPendingSince_ms[i] = NotPending;
                    _eventCell[i] = -1;
                }
                _quietLimit[q] = leastSevere;
                SetQuietBand(q, true);
            }
            _timeout_ms = _config.MeasurementTimeout_ms;
            _shortCircuit_mA = _config.ShortCircuit_mA;
            _shortCircuitDelay_ms = _config.ShortCircuitDelay_ms;
            _chargeDetect_mA = _config.ChargeDetect_mA;
            UpdateCurrentBand();
        }

        private void SetQuiet(int q, bool quiet)
        {
            SetQuietBand(q, quiet);
            if (q == (int)ProtectedQuantity.OverCurrentCharge || q == (int)ProtectedQuantity.OverCurrentDischarge)
            {
                UpdateCurrentBand();
            }
        }

        private void SetQuietBand(int q, bool quiet)
        {
            _quiet[q] = quiet;
            if (!quiet)
            {
                _quietLow[q] = int.MaxValue;
                _quietHigh[q] = int.MinValue;
            }
            else if (_upper[q])
            {
                _quietLow[q] = int.MinValue;
                _quietHigh[q] = _quietLimit[q];
            }
            else
            {
                _quietLow[q] = _quietLimit[q];
                _quietHigh[q] = int.MaxValue;
            }
        }

        /// <summary>The configuration in use (a copy; changing it has no effect).</summary>
        public ProtectionConfiguration Configuration { get { return _config.Clone(); } }

        /// <summary>true while any cell, all temperatures or the current have been invalid longer than the timeout.</summary>
        public bool CommunicationLost { get { return _communicationLost; } }

        /// <summary>Highest valid cell voltage of the last <see cref="UpdateCells"/>; int.MinValue when no cell was valid.</summary>
        public int HighestCell_mV { get { return _highestCell_mV; } }

        /// <summary>Lowest valid cell voltage of the last <see cref="UpdateCells"/>; int.MaxValue when no cell was valid.</summary>
        public int LowestCell_mV { get { return _lowestCell_mV; } }

        /// <summary>Highest valid temperature of the last <see cref="UpdateCells"/>; int.MinValue when none was valid.</summary>
        public int HottestTemperature_dC { get { return _hottest_dC; } }

        /// <summary>Lowest valid temperature of the last <see cref="UpdateCells"/>; int.MaxValue when none was valid.</summary>
        public int ColdestTemperature_dC { get { return _coldest_dC; } }

        /// <summary>true while the short-circuit condition is active.</summary>
        public bool ShortCircuitActive { get { return _shortCircuitActive; } }

        /// <summary>Starts the measurement-loss timers (measurements count as missing from this time).</summary>
        public void Start(long now_ms)
        {
            for (int i = 0; i < _cellCount; i++)
            {
                _cellLastValid_ms[i] = now_ms;
            }
            _oldestCellValid_ms = now_ms;
            _allCellsValidMode = false;
            _temperatureLastValid_ms = now_ms;
            _currentLastValid_ms = now_ms;
            SetCellTemperatureDeadline(now_ms + _timeout_ms);
        }

        private void SetCellTemperatureDeadline(long deadline_ms)
        {
            _cellTemperatureDeadline_ms = deadline_ms;
            _currentStepCommunicationCheck_ms = _communicationLost ? long.MinValue : deadline_ms;
        }

        private void SetCommunicationLost(bool lost)
        {
            _communicationLost = lost;
            _currentStepCommunicationCheck_ms = lost ? long.MinValue : _cellTemperatureDeadline_ms;
        }

        /// <summary>The highest active level of one quantity.</summary>
        public ProtectionLevel GetLevel(ProtectedQuantity quantity)
        {
            int q = (int)quantity;
            for (int level = Levels - 1; level >= 0; level--)
            {
                if (_active[q * Levels + level])
                {
                    return (ProtectionLevel)(level + 1);
                }
            }
            return ProtectionLevel.None;
        }

        /// <summary>The highest active level over every quantity (measurement loss and short circuit count as fault).</summary>
        public ProtectionLevel HighestActiveLevel
        {
            get
            {
                if (_communicationLost || _shortCircuitActive)
                {
                    return ProtectionLevel.Fault;
                }
                ProtectionLevel highest = ProtectionLevel.None;
                for (int q = 0; q < ProtectedQuantities.Count; q++)
                {
                    ProtectionLevel level = GetLevel((ProtectedQuantity)q);
                    if (level > highest)
                    {
                        highest = level;
                    }
                }
                return highest;
            }
        }

        /// <summary>
        /// 10 ms step: charge and discharge over-current, short circuit, current-loss timeout. Uses the snapshot's
        /// current only when <see cref="MeasurementSnapshot.CurrentValid"/>.
        /// </summary>
        public void UpdateCurrent(MeasurementSnapshot snapshot, long now_ms)
        {
            int current = snapshot.Current_mA;
            if (!snapshot.CurrentValid)
            {
                Evaluate((int)ProtectedQuantity.OverCurrentCharge, current, false, true, true, -1, now_ms);
                Evaluate((int)ProtectedQuantity.OverCurrentDischarge, -current, false, true, true, -1, now_ms);
                UpdateShortCircuit(false, -current, now_ms);
                UpdateCommunication(now_ms);
                return;
            }
            // Runs every 10 ms: the steady state is one band check and the loss deadline.
            _currentLastValid_ms = now_ms;
            if (current < _currentQuietLow || current > _currentQuietHigh)
            {
                EvaluateCurrent(current, now_ms);
            }
            if (now_ms >= _currentStepCommunicationCheck_ms)
            {
                UpdateCommunication(now_ms);
            }
        }

        private void EvaluateCurrent(int current, long now_ms)
        {
            int[] low = _quietLow;
            int[] high = _quietHigh;
            if (current < low[(int)ProtectedQuantity.OverCurrentCharge] || current > high[(int)ProtectedQuantity.OverCurrentCharge])
            {
                Evaluate((int)ProtectedQuantity.OverCurrentCharge, current, true, true, true, -1, now_ms);
            }
            int discharge = -current;
            if (discharge < low[(int)ProtectedQuantity.OverCurrentDischarge] || discharge > high[(int)ProtectedQuantity.OverCurrentDischarge])
            {
                Evaluate((int)ProtectedQuantity.OverCurrentDischarge, discharge, true, true, true, -1, now_ms);
            }
            UpdateShortCircuit(true, discharge, now_ms);
        }

        // The currents for which neither over-current level nor the short circuit can change: both quantities in
        // their quiet bands and the short circuit neither active nor pending. Empty (low > high) otherwise.
        private void UpdateCurrentBand()
        {
            long low = _quietLow[(int)ProtectedQuantity.OverCurrentCharge];
            long high = _quietHigh[(int)ProtectedQuantity.OverCurrentCharge];
            // The discharge quantity sees -current.
            long dischargeLow = -(long)_quietHigh[(int)ProtectedQuantity.OverCurrentDischarge];
            long dischargeHigh = -(long)_quietLow[(int)ProtectedQuantity.OverCurrentDischarge];
            if (dischargeLow > low)
            {
                low = dischargeLow;
            }
            if (dischargeHigh < high)
            {
                high = dischargeHigh;
            }
            long shortCircuitLow = -(long)_shortCircuit_mA;
            if (shortCircuitLow > low)
            {
                low = shortCircuitLow;
            }
            // int.MinValue excluded: its negation does not exist in int.
            if (low <= int.MinValue)
            {
                low = int.MinValue + 1;
            }
            if (high > int.MaxValue)
            {
                high = int.MaxValue;
            }
            _shortCircuitQuiet = !_shortCircuitActive && _shortCircuitSince_ms == NotPending;
            if (!_shortCircuitQuiet || low > high)
            {
                _currentQuietLow = int.MaxValue;
                _currentQuietHigh = int.MinValue;
                return;
            }
            _currentQuietLow = (int)low;
            _currentQuietHigh = (int)high;
        }

        /// <summary>
        /// 100 ms step: cell over/under-voltage, imbalance, temperatures (charge limits while charging, discharge
        /// limits otherwise, both when the current direction is unknown), cell and temperature loss timeouts.
        /// </summary>
        public void UpdateCells(MeasurementSnapshot snapshot, long now_ms)
        {
            int maxCell;
            int minCell;
            int sum;
            int validCount;
            int highest_mV;
            int lowest_mV;
            bool[] cellValid = snapshot.CellValid;
            int cellCount = _cellCount;
            if (snapshot.CellSummaryKnown)
            {
                // Written with the cells by the acquisition step.
                validCount = snapshot.ValidCellCount;
                sum = snapshot.ValidCellSum_mV;
                highest_mV = snapshot.HighestCell_mV;
                maxCell = snapshot.HighestCellIndex;
                lowest_mV = snapshot.LowestCell_mV;
                minCell = snapshot.LowestCellIndex;
            }
            else
            {
                maxCell = -1;
                minCell = -1;
                // int: even 65,535 mV on each of 32,767 cells stays below int.MaxValue.
                sum = 0;
                validCount = 0;
                highest_mV = int.MinValue;
                lowest_mV = int.MaxValue;
                // Array fields into locals: each field load is an extra instruction per cell on the interpreter.
                int[] cellVoltage = snapshot.CellVoltage_mV;
                for (int i = 0; i < cellCount; i++)
                {
                    if (!cellValid[i])
                    {
                        continue;
                    }
                    int v = cellVoltage[i];
                    sum += v;
                    validCount++;
                    if (v > highest_mV)
                    {
                        maxCell = i;
                        highest_mV = v;
                    }
                    if (v < lowest_mV)
                    {
                        minCell = i;
                        lowest_mV = v;
                    }
                }
            }
            long oldest = now_ms;
            if (validCount == cellCount)
            {
                // Every cell valid: their last-valid times are all now, kept as one time instead of per cell.
                _allCellsValidAt_ms = now_ms;
                _allCellsValidMode = true;
            }
            else
            {
                long[] lastValid = _cellLastValid_ms;
                bool fromAllValid = _allCellsValidMode;
                long allValidAt = _allCellsValidAt_ms;
                for (int i = 0; i < cellCount; i++)
                {
                    if (cellValid[i])
                    {
                        lastValid[i] = now_ms;
                        continue;
                    }
                    if (fromAllValid)
                    {
                        // Valid in the previous scan, when all were.
                        lastValid[i] = allValidAt;
                    }
                    if (lastValid[i] < oldest)
                    {
                        oldest = lastValid[i];
                    }
                }
                _allCellsValidMode = false;
            }
            _oldestCellValid_ms = oldest;
            _highestCell_mV = highest_mV;
            _lowestCell_mV = lowest_mV;
            bool anyCell = validCount > 0;
            bool allCells = validCount == cellCount;
            int[] low = _quietLow;
            int[] high = _quietHigh;
            // A quantity in its quiet band (see _quietLow) is not evaluated: nothing could change.
            if (!anyCell || !allCells
                || highest_mV < low[(int)ProtectedQuantity.CellOverVoltage] || highest_mV > high[(int)ProtectedQuantity.CellOverVoltage])
            {
                Evaluate((int)ProtectedQuantity.CellOverVoltage, anyCell ? highest_mV : 0, anyCell, allCells, true, maxCell, now_ms);
            }
            if (!anyCell || !allCells
                || lowest_mV < low[(int)ProtectedQuantity.CellUnderVoltage] || lowest_mV > high[(int)ProtectedQuantity.CellUnderVoltage])
            {
                Evaluate((int)ProtectedQuantity.CellUnderVoltage, anyCell ? lowest_mV : 0, anyCell, allCells, true, minCell, now_ms);
            }

            // Imbalance needs two cells; report the cell farthest from the mean (the odd one out).
            bool imbalanceValid = validCount >= 2;
            int spread = imbalanceValid ? highest_mV - lowest_mV : 0;
            if (!imbalanceValid || !allCells
                || spread < low[(int)ProtectedQuantity.CellImbalance] || spread > high[(int)ProtectedQuantity.CellImbalance])
            {
                int outlier = -1;
                if (imbalanceValid)
                {
                    int mean = sum / validCount;
                    outlier = highest_mV - mean >= mean - lowest_mV ? maxCell : minCell;
                }
                Evaluate((int)ProtectedQuantity.CellImbalance, spread, imbalanceValid, allCells, true, outlier, now_ms);
            }

            int maxSensor = -1;
            int minSensor = -1;
            bool allTemperatures = true;
            bool[] temperatureValid = snapshot.TemperatureValid;
            int[] temperature = snapshot.Temperature_dC;
            int hottest = int.MinValue;
            int coldest = int.MaxValue;
            int temperatureCount = _temperatureCount;
            for (int i = 0; i < temperatureCount; i++)
            {
                if (!temperatureValid[i])
                {
                    allTemperatures = false;
                    continue;
                }
                int t = temperature[i];
                if (t > hottest)
                {
                    maxSensor = i;
                    hottest = t;
                }
                if (t < coldest)
                {
                    minSensor = i;
                    coldest = t;
                }
            }
            _hottest_dC = hottest;
            _coldest_dC = coldest;
            bool anyTemperature = maxSensor >= 0;
            if (anyTemperature || temperatureCount == 0)
            {
                _temperatureLastValid_ms = now_ms;
            }
            long deadline = (oldest < _temperatureLastValid_ms ? oldest : _temperatureLastValid_ms) + _timeout_ms;
            SetCellTemperatureDeadline(deadline);
            if (!anyTemperature)
            {
                hottest = 0;
                coldest = 0;
            }
            bool directionKnown = snapshot.CurrentValid;
            bool charging = directionKnown && snapshot.Current_mA > _chargeDetect_mA;
            bool chargeApplies = charging || !directionKnown;
            bool dischargeApplies = !charging;
            // Skipped with every sensor read and the quantity either applying and in its quiet band, or not applying
            // and quiet (a level to clear needs Evaluate); anything else is decided by Evaluate.
            bool[] quiet = _quiet;
            bool steady = anyTemperature && allTemperatures;
            if (!steady || (chargeApplies
                ? hottest < low[(int)ProtectedQuantity.OverTemperatureCharge] || hottest > high[(int)ProtectedQuantity.OverTemperatureCharge]
                : !quiet[(int)ProtectedQuantity.OverTemperatureCharge]))
            {
                Evaluate((int)ProtectedQuantity.OverTemperatureCharge, hottest, anyTemperature, allTemperatures, chargeApplies, maxSensor, now_ms);
            }
            if (!steady || (dischargeApplies
                ? hottest < low[(int)ProtectedQuantity.OverTemperatureDischarge] || hottest > high[(int)ProtectedQuantity.OverTemperatureDischarge]
                : !quiet[(int)ProtectedQuantity.OverTemperatureDischarge]))
            {
                Evaluate((int)ProtectedQuantity.OverTemperatureDischarge, hottest, anyTemperature, allTemperatures, dischargeApplies, maxSensor, now_ms);
            }
            if (!steady || (chargeApplies
                ? coldest < low[(int)ProtectedQuantity.UnderTemperatureCharge] || coldest > high[(int)ProtectedQuantity.UnderTemperatureCharge]
                : !quiet[(int)ProtectedQuantity.UnderTemperatureCharge]))
            {
                Evaluate((int)ProtectedQuantity.UnderTemperatureCharge, coldest, anyTemperature, allTemperatures, chargeApplies, minSensor, now_ms);
            }
            if (!steady || (dischargeApplies
                ? coldest < low[(int)ProtectedQuantity.UnderTemperatureDischarge] || coldest > high[(int)ProtectedQuantity.UnderTemperatureDischarge]
                : !quiet[(int)ProtectedQuantity.UnderTemperatureDischarge]))
            {
                Evaluate((int)ProtectedQuantity.UnderTemperatureDischarge, coldest, anyTemperature, allTemperatures, dischargeApplies, minSensor, now_ms);
            }

            if (_communicationLost || now_ms >= deadline || now_ms - _currentLastValid_ms >= _timeout_ms)
            {
                UpdateCommunication(now_ms);
            }
        }

        // One quantity, all three levels. Invalid values hold the state: the set timer keeps running (a gap
        // never delays a trip), the clear timer restarts (a gap never hastens a clear). When only some inputs
        // were valid (complete = false) the extreme of the others can only prove "beyond", never "safe": the
        // missing cell may be the one beyond. A quantity that does not apply (charge limits while discharging)
        // counts as back inside its clear threshold.
        private void Evaluate(int q, int value, bool valid, bool complete, bool applies, int cell, long now_ms)
        {
            if (_quiet[q] && (!valid || !applies || (value >= _quietLow[q] && value <= _quietHigh[q])))
            {
                return;
            }
            if (!valid)
            {
                for (int level = 0; level < Levels; level++)
                {
                    _clearPendingSince_ms[q * Levels + level] = NotPending;
                }
                return;
            }
            bool upper = _upper[q];
            for (int level = 0; level < Levels; level++)
            {
                int i = q * Levels + level;
                if (!_active[i])
                {
                    bool beyond = applies && (upper ? value > _threshold[i] : value < _threshold[i]);
                    if (!beyond)
                    {
                        if (complete || !applies)
                        {
                            _setPendingSince_ms[i] = NotPending;
                        }
                        continue;
                    }
                    if (_setPendingSince_ms[i] == NotPending)
                    {
                        _setPendingSince_ms[i] = now_ms;
                    }
                    if (now_ms - _setPendingSince_ms[i] >= _setDelay_ms[i])
                    {
                        _active[i] = true;
                        _setPendingSince_ms[i] = NotPending;
                        _clearPendingSince_ms[i] = NotPending;
                        _eventCell[i] = cell;
                        _sink.OnEvent(now_ms, ProtectedQuantities.ToEventCode((ProtectedQuantity)q), (ProtectionLevel)(level + 1), cell, true);
                    }
                }
                else
                {
                    bool safe = !applies || (complete && (upper ? value <= _clearThreshold[i] : value >= _clearThreshold[i]));
                    if (!safe)
                    {
                        _clearPendingSince_ms[i] = NotPending;
                        continue;
                    }
                    if (_clearPendingSince_ms[i] == NotPending)
                    {
                        _clearPendingSince_ms[i] = now_ms;
                    }
                    if (now_ms - _clearPendingSince_ms[i] >= _clearDelay_ms[i])
                    {
                        _active[i] = false;
                        _clearPendingSince_ms[i] = NotPending;
                        _sink.OnEvent(now_ms, ProtectedQuantities.ToEventCode((ProtectedQuantity)q), (ProtectionLevel)(level + 1), _eventCell[i], false);
                    }
                }
            }
            bool quiet = true;
            for (int i = q * Levels; i < q * Levels + Levels; i++)
            {
                if (_active[i] || _setPendingSince_ms[i] != NotPending)
                {
                    quiet = false;
                }
            }
            if (quiet != _quiet[q])
            {
                SetQuiet(q, quiet);
            }
        }

        private void UpdateShortCircuit(bool valid, int discharge_mA, long now_ms)
        {
            StepShortCircuit(valid, discharge_mA, now_ms);
            if (_shortCircuitQuiet != (!_shortCircuitActive && _shortCircuitSince_ms == NotPending))
            {
                UpdateCurrentBand();
            }
        }

        private void StepShortCircuit(bool valid, int discharge_mA, long now_ms)
        {
            if (!valid)
            {
                _shortCircuitClearSince_ms = NotPending;
                return;
            }
            if (!_shortCircuitActive)
            {
                if (discharge_mA <= _shortCircuit_mA)
                {
                    _shortCircuitSince_ms = NotPending;
                    return;
                }
                if (_shortCircuitSince_ms == NotPending)
                {
                    _shortCircuitSince_ms = now_ms;
                }
                if (now_ms - _shortCircuitSince_ms >= _shortCircuitDelay_ms)
                {
                    _shortCircuitActive = true;
                    _shortCircuitSince_ms = NotPending;
                    _shortCircuitClearSince_ms = NotPending;
                    _sink.OnEvent(now_ms, BmsEventCode.OverCurrentDischarge, ProtectionLevel.Fault, -1, true);
                }
                return;
            }
            // Clears like the discharge over-current fault: below its clear threshold for its clear delay.
            int i = (int)ProtectedQuantity.OverCurrentDischarge * Levels + 2;
            if (discharge_mA > _clearThreshold[i])
            {
                _shortCircuitClearSince_ms = NotPending;
                return;
            }
            if (_shortCircuitClearSince_ms == NotPending)
            {
                _shortCircuitClearSince_ms = now_ms;
            }
            if (now_ms - _shortCircuitClearSince_ms >= _clearDelay_ms[i])
            {
                _shortCircuitActive = false;
                _shortCircuitClearSince_ms = NotPending;
                _sink.OnEvent(now_ms, BmsEventCode.OverCurrentDischarge, ProtectionLevel.Fault, -1, false);
            }
        }

        private void UpdateCommunication(long now_ms)
        {
            long timeout = _timeout_ms;
            int staleCell = -2;
            if (now_ms - _oldestCellValid_ms >= timeout)
            {
                for (int i = 0; i < _cellCount; i++)
                {
                    if (now_ms - _cellLastValid_ms[i] >= timeout)
                    {
                        staleCell = i;
                        break;
                    }
                }
            }
            if (staleCell == -2 && (now_ms - _temperatureLastValid_ms >= timeout || now_ms - _currentLastValid_ms >= timeout))
            {
                staleCell = -1;
            }
            bool lost = staleCell != -2;
            if (lost && !_communicationLost)
            {
                SetCommunicationLost(true);
                _communicationCell = staleCell;
                _sink.OnEvent(now_ms, BmsEventCode.AfeCommunication, ProtectionLevel.Fault, staleCell, true);
            }
            else if (!lost && _communicationLost)
            {
                SetCommunicationLost(false);
                _sink.OnEvent(now_ms, BmsEventCode.AfeCommunication, ProtectionLevel.Fault, _communicationCell, false);
            }
        }
    }
}
