namespace Bms.Firmware.Measurement
{
    /// <summary>
    /// The one measurement record of a tick: written by the acquisition step only, read by every other part
    /// (protection, estimation, thermal-runaway guard, balancing). Allocated once at start-up.
    /// A value whose Valid flag is false must not be used as a measurement.
    /// </summary>
    public sealed class MeasurementSnapshot
    {
        /// <summary>Creates the buffers for a pack of the given size.</summary>
        public MeasurementSnapshot(int cellCount, int temperatureCount)
        {
            CellCount = cellCount;
            TemperatureCount = temperatureCount;
            CellVoltage_mV = new int[cellCount];
            CellValid = new bool[cellCount];
            Temperature_dC = new int[temperatureCount];
            TemperatureValid = new bool[temperatureCount];
        }

        /// <summary>Series cells.</summary>
        public readonly int CellCount;
        /// <summary>Temperature channels.</summary>
        public readonly int TemperatureCount;

        /// <summary>Clock time of the cell/temperature scan.</summary>
        public long Time_ms;
        /// <summary>Cell voltages, index 0 = cell 1.</summary>
        public readonly int[] CellVoltage_mV;
        /// <summary>Validity per cell.</summary>
        public readonly bool[] CellValid;
        /// <summary>Temperatures in 0.1 °C.</summary>
        public readonly int[] Temperature_dC;
        /// <summary>Validity per temperature channel.</summary>
        public readonly bool[] TemperatureValid;

        /// <summary>Pack current, positive = charging.</summary>
        public int Current_mA;
        /// <summary>true when the current is a fresh measurement.</summary>
        public bool CurrentValid;
        /// <summary>Clock time of the current sample (the 10 ms task refreshes it).</summary>
        public long CurrentTime_ms;

        /// <summary>Stack voltage (sum of cells or chip measurement).</summary>
        public int StackVoltage_mV;
        /// <summary>true when the stack voltage is valid.</summary>
        public bool StackVoltageValid;
        /// <summary>HV link (load side of the contactors) voltage, for precharge.</summary>
        public int LinkVoltage_mV;
        /// <summary>true when the link voltage is valid.</summary>
        public bool LinkVoltageValid;

        /// <summary>AFE-reported flags (Bms.Drivers.CellMonitoring.CellMonitorFaults).</summary>
        public int AfeFaults;
        /// <summary>true when the last AFE scan completed (all transfers succeeded).</summary>
        public bool AfeScanOk;
    }
}
