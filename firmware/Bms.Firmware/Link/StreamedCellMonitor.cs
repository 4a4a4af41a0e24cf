using Bms.Drivers.CellMonitoring;

namespace Bms.Firmware.Link
{
    /// <summary>
    /// The cell monitor of a board in simulation mode: instead of an AFE it serves the latest sample received
    /// over the simulation link. Missing fields of the sample are reported invalid exactly as a failed AFE read
    /// would be, so the firmware's plausibility and communication-loss paths run on the board too.
    /// </summary>
    public sealed class StreamedCellMonitor : ICellMonitor
    {
        /// <summary>Marks a missing current in <see cref="SetSample"/>.</summary>
        public const int MissingCurrent = int.MinValue;
        /// <summary>Marks a missing cell voltage or temperature.</summary>
        public const int MissingValue = short.MinValue;

        private readonly int[] _cell_mV;
        private readonly int[] _temperature_dC;
        private readonly CellMonitorStatistics _statistics = new CellMonitorStatistics();
        private int _current_mA = MissingCurrent;
        private bool _hasSample;
        private bool _loadConnected = true;

        /// <summary>A monitor for <paramref name="cellCount"/> cells and <paramref name="temperatureCount"/> sensors.</summary>
        public StreamedCellMonitor(int cellCount, int temperatureCount)
        {
            _cell_mV = new int[cellCount];
            _temperature_dC = new int[temperatureCount];
        }

        /// <inheritdoc />
        public int CellCount { get { return _cell_mV.Length; } }
        /// <inheritdoc />
        public int TemperatureCount { get { return _temperature_dC.Length; } }
        /// <inheritdoc />
        public bool HasCurrentSense { get { return true; } }
        /// <inheritdoc />
        public bool HasFetControl { get { return false; } }
        /// <inheritdoc />
        public CellMonitorStatistics Statistics { get { return _statistics; } }

        /// <summary>Takes the sample decoded from a Sample frame (values as in the frame; missing markers allowed).</summary>
        public void SetSample(int current_mA, int[] cell_mV, int[] temperature_dC)
        {
            _current_mA = current_mA;
            for (int i = 0; i < _cell_mV.Length; i++)
            {
                _cell_mV[i] = cell_mV[i];
            }
            for (int i = 0; i < _temperature_dC.Length; i++)
            {
                _temperature_dC[i] = temperature_dC[i];
            }
            _hasSample = true;
        }

        /// <summary>
        /// false while the main contactors are open: the recorded load is disconnected and the sensor reads 0 mA
        /// (a missing current stays missing).
        /// </summary>
        public void SetLoadConnected(bool connected)
        {
            _loadConnected = connected;
        }

        /// <inheritdoc />
        public bool Initialize()
        {
            return true;
        }

        /// <inheritdoc />
        public bool Measure(CellMonitorReadings readings)
        {
            readings.InvalidateAll();
            readings.Faults = 0;
            if (!_hasSample)
            {
                readings.Faults = CellMonitorFaults.CommunicationError;
                return false;
            }
            bool complete = true;
            int stack = 0;
            bool stackValid = true;
            for (int i = 0; i < _cell_mV.Length; i++)
            {
                bool valid = _cell_mV[i] != MissingValue;
                readings.CellValid[i] = valid;
                if (valid)
                {
                    readings.CellVoltage_mV[i] = _cell_mV[i];
                    stack += _cell_mV[i];
                }
                else
                {
                    complete = false;
                    stackValid = false;
                }
            }
            for (int i = 0; i < _temperature_dC.Length; i++)
            {
                bool valid = _temperature_dC[i] != MissingValue;
                readings.TemperatureValid[i] = valid;
                if (valid)
                {
                    readings.Temperature_dC[i] = _temperature_dC[i];
                }
                else
                {
                    complete = false;
                }
            }
            readings.StackVoltage_mV = stack;
            readings.StackVoltageValid = stackValid;
            complete &= ReadCurrent(readings);
            return complete;
        }

        /// <inheritdoc />
        public bool ReadCurrent(CellMonitorReadings readings)
        {
            readings.CurrentValid = _hasSample && _current_mA != MissingCurrent;
            if (readings.CurrentValid)
            {
                readings.Current_mA = _loadConnected ? _current_mA : 0;
            }
            return readings.CurrentValid;
        }

        /// <inheritdoc />
        public bool SetBalancing(bool[] cellsToDischarge)
        {
            // No resistors to switch: the decision is reported back to the host instead.
            return true;
        }

        /// <inheritdoc />
        public bool SetProtectionFets(bool chargeOn, bool dischargeOn)
        {
            return false;
        }

        /// <inheritdoc />
        public bool CheckOpenWires(bool[] openWire)
        {
            return false;
        }
    }
}
