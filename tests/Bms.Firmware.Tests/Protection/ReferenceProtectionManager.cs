#nullable disable
using System;
using Bms.Firmware.Events;
using Bms.Firmware.Measurement;
using Bms.Firmware.Protection;

namespace Bms.Firmware.Tests.Protection
{
    // The protection manager as it was before the quiet bands (commit ea74e7b), kept verbatim as the reference
    // that the optimised one must match event for event.
    /// <summary>
    /// Three-level protection of cell voltage, current, temperature and imbalance, plus measurement-loss
    /// detection. Reads the measurement snapshot only; reports each level's condition through
    /// <see cref="IBmsEventSink"/> as it is set (after its set delay) and as it clears (after its clear delay).
    /// Latching of faults is done by <see cref="ProtectionState"/>, which receives every event of the system.
    /// Invalid measurements are never evaluated: a missing cell voltage is not 0 V. A value that stays invalid
    /// longer than <see cref="ProtectionConfiguration.MeasurementTimeout_ms"/> raises AfeCommunication (fault).
    /// Integer arithmetic only; nothing allocated after construction.
    /// </summary>
    public sealed class ReferenceProtectionManager
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

        private readonly long[] _cellLastValid_ms;
        // The oldest of _cellLastValid_ms, kept when those change (once per scan) so that the 10 ms
        // communication check need not walk every cell.
        private long _oldestCellValid_ms;
        private long _temperatureLastValid_ms;
        private long _currentLastValid_ms;
        private bool _communicationLost;
        private int _communicationCell;

        private bool _shortCircuitActive;
        private long _shortCircuitSince_ms = NotPending;
        private long _shortCircuitClearSince_ms = NotPending;

        /// <summary>Creates the protection for a pack; the configuration is validated by the caller and copied.</summary>
        public ReferenceProtectionManager(ProtectionConfiguration config, int cellCount, int temperatureCount, IBmsEventSink sink)
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
                for (int level = 0; level < Levels; level++)
                {
                    LevelThreshold t = thresholds.GetLevel(level);
                    int i = q * Levels + level;
                    _threshold[i] = t.Threshold;
                    _setDelay_ms[i] = t.SetDelay_ms;
                    _clearThreshold[i] = t.ClearThreshold;
                    _clearDelay_ms[i] = t.ClearDelay_ms;
                    _setPendingSince_ms[i] = NotPending;
                    _clearPendingSince_ms[i] = NotPending;
                    _eventCell[i] = -1;
                }
            }
        }

        /// <summary>The configuration in use (a copy; changing it has no effect).</summary>
        public ProtectionConfiguration Configuration { get { return _config.Clone(); } }

        /// <summary>true while any cell, all temperatures or the current have been invalid longer than the timeout.</summary>
        public bool CommunicationLost { get { return _communicationLost; } }

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
            _temperatureLastValid_ms = now_ms;
            _currentLastValid_ms = now_ms;
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
            bool valid = snapshot.CurrentValid;
            int current = snapshot.Current_mA;
            if (valid)
            {
                _currentLastValid_ms = now_ms;
            }
            Evaluate((int)ProtectedQuantity.OverCurrentCharge, current, valid, true, true, -1, now_ms);
            Evaluate((int)ProtectedQuantity.OverCurrentDischarge, -current, valid, true, true, -1, now_ms);
            UpdateShortCircuit(valid, -current, now_ms);
            UpdateCommunication(now_ms);
        }

        /// <summary>
        /// 100 ms step: cell over/under-voltage, imbalance, temperatures (charge limits while charging, discharge
        /// limits otherwise, both when the current direction is unknown), cell and temperature loss timeouts.
        /// </summary>
        public void UpdateCells(MeasurementSnapshot snapshot, long now_ms)
        {
            int maxCell = -1;
            int minCell = -1;
            long sum = 0;
            int validCount = 0;
            // Array fields into locals: each field load is an extra instruction per cell on the interpreter.
            bool[] cellValid = snapshot.CellValid;
            int[] cellVoltage = snapshot.CellVoltage_mV;
            long[] lastValid = _cellLastValid_ms;
            long oldest = now_ms;
            int highest_mV = 0;
            int lowest_mV = 0;
            for (int i = 0; i < _cellCount; i++)
            {
                if (!cellValid[i])
                {
                    if (lastValid[i] < oldest)
                    {
                        oldest = lastValid[i];
                    }
                    continue;
                }
                lastValid[i] = now_ms;
                int v = cellVoltage[i];
                sum += v;
                validCount++;
                if (maxCell < 0 || v > highest_mV)
                {
                    maxCell = i;
                    highest_mV = v;
                }
                if (minCell < 0 || v < lowest_mV)
                {
                    minCell = i;
                    lowest_mV = v;
                }
            }
            _oldestCellValid_ms = oldest;
            bool anyCell = validCount > 0;
            bool allCells = validCount == _cellCount;
            Evaluate((int)ProtectedQuantity.CellOverVoltage, anyCell ? snapshot.CellVoltage_mV[maxCell] : 0, anyCell, allCells, true, maxCell, now_ms);
            Evaluate((int)ProtectedQuantity.CellUnderVoltage, anyCell ? snapshot.CellVoltage_mV[minCell] : 0, anyCell, allCells, true, minCell, now_ms);

            // Imbalance needs two cells; report the cell farthest from the mean (the odd one out).
            bool imbalanceValid = validCount >= 2;
            int spread = 0;
            int outlier = -1;
            if (imbalanceValid)
            {
                int high = snapshot.CellVoltage_mV[maxCell];
                int low = snapshot.CellVoltage_mV[minCell];
                spread = high - low;
                long mean = sum / validCount;
                outlier = high - mean >= mean - low ? maxCell : minCell;
            }
            Evaluate((int)ProtectedQuantity.CellImbalance, spread, imbalanceValid, allCells, true, outlier, now_ms);

            int maxSensor = -1;
            int minSensor = -1;
            bool allTemperatures = true;
            for (int i = 0; i < _temperatureCount; i++)
            {
                if (!snapshot.TemperatureValid[i])
                {
                    allTemperatures = false;
                    continue;
                }
                int t = snapshot.Temperature_dC[i];
                if (maxSensor < 0 || t > snapshot.Temperature_dC[maxSensor])
                {
                    maxSensor = i;
                }
                if (minSensor < 0 || t < snapshot.Temperature_dC[minSensor])
                {
                    minSensor = i;
                }
            }
            bool anyTemperature = maxSensor >= 0;
            if (anyTemperature || _temperatureCount == 0)
            {
                _temperatureLastValid_ms = now_ms;
            }
            bool charging = snapshot.CurrentValid && snapshot.Current_mA > _config.ChargeDetect_mA;
            bool directionKnown = snapshot.CurrentValid;
            bool chargeApplies = charging || !directionKnown;
            bool dischargeApplies = !charging;
            int hottest = anyTemperature ? snapshot.Temperature_dC[maxSensor] : 0;
            int coldest = anyTemperature ? snapshot.Temperature_dC[minSensor] : 0;
            Evaluate((int)ProtectedQuantity.OverTemperatureCharge, hottest, anyTemperature, allTemperatures, chargeApplies, maxSensor, now_ms);
            Evaluate((int)ProtectedQuantity.OverTemperatureDischarge, hottest, anyTemperature, allTemperatures, dischargeApplies, maxSensor, now_ms);
            Evaluate((int)ProtectedQuantity.UnderTemperatureCharge, coldest, anyTemperature, allTemperatures, chargeApplies, minSensor, now_ms);
            Evaluate((int)ProtectedQuantity.UnderTemperatureDischarge, coldest, anyTemperature, allTemperatures, dischargeApplies, minSensor, now_ms);

            UpdateCommunication(now_ms);
        }

        // One quantity, all three levels. Invalid values hold the state: the set timer keeps running (a gap
        // never delays a trip), the clear timer restarts (a gap never hastens a clear). When only some inputs
        // were valid (complete = false) the extreme of the others can only prove "beyond", never "safe": the
        // missing cell may be the one beyond. A quantity that does not apply (charge limits while discharging)
        // counts as back inside its clear threshold.
        private void Evaluate(int q, int value, bool valid, bool complete, bool applies, int cell, long now_ms)
        {
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
        }

        private void UpdateShortCircuit(bool valid, int discharge_mA, long now_ms)
        {
            if (!valid)
            {
                _shortCircuitClearSince_ms = NotPending;
                return;
            }
            if (!_shortCircuitActive)
            {
                if (discharge_mA <= _config.ShortCircuit_mA)
                {
                    _shortCircuitSince_ms = NotPending;
                    return;
                }
                if (_shortCircuitSince_ms == NotPending)
                {
                    _shortCircuitSince_ms = now_ms;
                }
                if (now_ms - _shortCircuitSince_ms >= _config.ShortCircuitDelay_ms)
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
            long timeout = _config.MeasurementTimeout_ms;
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
                _communicationLost = true;
                _communicationCell = staleCell;
                _sink.OnEvent(now_ms, BmsEventCode.AfeCommunication, ProtectionLevel.Fault, staleCell, true);
            }
            else if (!lost && _communicationLost)
            {
                _communicationLost = false;
                _sink.OnEvent(now_ms, BmsEventCode.AfeCommunication, ProtectionLevel.Fault, _communicationCell, false);
            }
        }
    }
}
