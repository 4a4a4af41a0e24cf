using System;
using Bms.Drivers.CellMonitoring;
using Bms.Firmware.Measurement;

namespace Bms.Firmware.Balancing
{
    /// <summary>
    /// Passive balancing decided once a second: a cell bleeds while it stands more than the start delta above the
    /// lowest cell (voltage or SoC) and stops when it comes within the stop delta. Only at rest or while charging,
    /// never with a fault latched, never with a cell invalid, never below the minimum cell voltage, paused while
    /// a temperature is above the balancing limit. The chip's own rules are the driver's: the set sent through
    /// <see cref="ICellMonitor.SetBalancing"/> comes back with the cells the chip accepted (adjacent cells dropped
    /// on a BQ769x0); it is re-sent every decision so an LTC681x discharge timeout never lapses while wanted.
    /// Bleeding time per cell is accumulated. No allocation after construction.
    /// </summary>
    public sealed class PassiveBalancer
    {
        private readonly BalancingConfiguration _config;
        private readonly ICellMonitor _monitor;
        private readonly int _cellCount;
        private readonly bool[] _wanted;
        private readonly bool[] _active;
        private readonly long[] _time_ms;
        private long _lastDecision_ms = long.MinValue;
        private bool _overTemperature;
        private bool _anyActive;
        private bool _driverAccepted = true;

        /// <summary>Creates the balancer for the monitor's cells.</summary>
        public PassiveBalancer(BalancingConfiguration config, ICellMonitor monitor, int cellCount)
        {
            if (config == null) throw new ArgumentNullException("config");
            if (monitor == null) throw new ArgumentNullException("monitor");
            string problem = config.Validate();
            if (problem != null)
            {
                throw new ArgumentException(problem);
            }
            _config = config;
            _monitor = monitor;
            _cellCount = cellCount;
            _wanted = new bool[cellCount];
            _active = new bool[cellCount];
            _time_ms = new long[cellCount];
        }

        /// <summary>Cells bleeding now as accepted by the chip (index 0 = cell 1). Read-only for callers.</summary>
        public bool[] ActiveCells { get { return _active; } }

        /// <summary>true while at least one cell bleeds.</summary>
        public bool AnyActive { get { return _anyActive; } }

        /// <summary>true while balancing is paused by temperature.</summary>
        public bool PausedForTemperature { get { return _overTemperature; } }

        /// <summary>false when the chip refused the last balancing command.</summary>
        public bool DriverAccepted { get { return _driverAccepted; } }

        /// <summary>Accumulated bleeding time of a cell, ms.</summary>
        public long GetBalancingTime_ms(int cell) { return _time_ms[cell]; }

        /// <summary>true when decisions use the cells' state of charge (so the caller need only gather it then).</summary>
        public bool DecidesBySoc { get { return _config.Mode == BalancingMode.StateOfCharge; } }

        /// <summary>
        /// One decision (1 s task). <paramref name="cellSoc_pcm"/> may be null in voltage mode; in SoC mode it holds
        /// each cell's state of charge. <paramref name="allowed"/> is the system's verdict (no fault latched, no alarm).
        /// </summary>
        public void Update(long now_ms, MeasurementSnapshot snapshot, int[] cellSoc_pcm, bool allowed)
        {
            // Account the time since the last decision to the cells that were bleeding during it.
            if (_lastDecision_ms != long.MinValue && _anyActive)
            {
                long elapsed = now_ms - _lastDecision_ms;
                for (int i = 0; i < _cellCount; i++)
                {
                    if (_active[i])
                    {
                        _time_ms[i] += elapsed;
                    }
                }
            }
            _lastDecision_ms = now_ms;

            UpdateTemperaturePause(snapshot);
            bool permitted = allowed && !_overTemperature && _config.Mode != BalancingMode.Off && CurrentAllows(snapshot);
            bool any = false;
            if (permitted)
            {
                any = Decide(snapshot, cellSoc_pcm);
            }
            else
            {
                for (int i = 0; i < _cellCount; i++)
                {
                    _wanted[i] = false;
                }
            }

            if (!any && !_anyActive)
            {
                return;
            }
            // The driver edits the array in place to what the chip accepted.
            _driverAccepted = _monitor.SetBalancing(_wanted);
            _anyActive = false;
            for (int i = 0; i < _cellCount; i++)
            {
                _active[i] = _driverAccepted && _wanted[i];
                if (_active[i])
                {
                    _anyActive = true;
                }
            }
        }

        /// <summary>Switches every balancing resistor off now (fault reaction).</summary>
        public void StopAll()
        {
            for (int i = 0; i < _cellCount; i++)
            {
                _wanted[i] = false;
                _active[i] = false;
            }
            _monitor.SetBalancing(_wanted);
            _anyActive = false;
        }

        private void UpdateTemperaturePause(MeasurementSnapshot snapshot)
        {
            int hottest = int.MinValue;
            for (int i = 0; i < snapshot.TemperatureCount; i++)
            {
                if (snapshot.TemperatureValid[i] && snapshot.Temperature_dC[i] > hottest)
                {
                    hottest = snapshot.Temperature_dC[i];
                }
            }
            if (hottest == int.MinValue)
            {
                // No temperature known: do not add heat we cannot see.
                _overTemperature = snapshot.TemperatureCount > 0;
                return;
            }
            if (hottest >= _config.MaxTemperature_dC)
            {
                _overTemperature = true;
            }
            else if (hottest < _config.ResumeTemperature_dC)
            {
                _overTemperature = false;
            }
        }

        private bool CurrentAllows(MeasurementSnapshot snapshot)
        {
            if (!snapshot.CurrentValid)
            {
                return false;
            }
            int current = snapshot.Current_mA;
            if (current < -_config.RestCurrent_mA)
            {
                return false;
            }
            if (current > _config.RestCurrent_mA)
            {
                return _config.AllowWhileCharging;
            }
            return true;
        }

        private bool Decide(MeasurementSnapshot snapshot, int[] cellSoc_pcm)
        {
            bool bySoc = _config.Mode == BalancingMode.StateOfCharge && cellSoc_pcm != null;
            int lowest = int.MaxValue;
            for (int i = 0; i < _cellCount; i++)
            {
                if (!snapshot.CellValid[i])
                {
                    // One unknown cell could be the lowest: bleeding the others could unbalance the pack.
                    for (int k = 0; k < _cellCount; k++)
                    {
                        _wanted[k] = false;
                    }
                    return false;
                }
                int value = bySoc ? cellSoc_pcm[i] : snapshot.CellVoltage_mV[i];
                if (value < lowest)
                {
                    lowest = value;
                }
            }
            int start = bySoc ? _config.StartDelta_pcm : _config.StartDelta_mV;
            int stop = bySoc ? _config.StopDelta_pcm : _config.StopDelta_mV;
            bool any = false;
            for (int i = 0; i < _cellCount; i++)
            {
                int value = bySoc ? cellSoc_pcm[i] : snapshot.CellVoltage_mV[i];
                int above = value - lowest;
                bool want = _active[i] ? above > stop : above > start;
                if (snapshot.CellVoltage_mV[i] < _config.MinCellVoltage_mV)
                {
                    want = false;
                }
                _wanted[i] = want;
                if (want)
                {
                    any = true;
                }
            }
            return any;
        }
    }
}
