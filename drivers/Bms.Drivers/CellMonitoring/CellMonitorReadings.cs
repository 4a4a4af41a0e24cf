using System;

namespace Bms.Drivers.CellMonitoring
{
    /// <summary>
    /// One scan's worth of AFE data in integer engineering units. Arrays are allocated once and refilled.
    /// A value whose Valid flag is false is not a measurement (it may hold the last good value, never use it).
    /// </summary>
    public sealed class CellMonitorReadings
    {
        /// <summary>Creates the buffers for a stack of the given size.</summary>
        public CellMonitorReadings(int cellCount, int temperatureCount)
        {
            CellVoltage_mV = new int[cellCount];
            CellValid = new bool[cellCount];
            Temperature_dC = new int[temperatureCount];
            TemperatureValid = new bool[temperatureCount];
        }

        /// <summary>Cell voltages, index 0 = cell 1 (bottom of the stack).</summary>
        public readonly int[] CellVoltage_mV;

        /// <summary>Validity of each cell voltage in this scan.</summary>
        public readonly bool[] CellValid;

        /// <summary>Temperatures in 0.1 °C, in the driver's channel order (thermistors first, die last if reported).</summary>
        public readonly int[] Temperature_dC;

        /// <summary>Validity of each temperature in this scan.</summary>
        public readonly bool[] TemperatureValid;

        /// <summary>Pack current in mA, positive = charging.</summary>
        public int Current_mA;

        /// <summary>true when <see cref="Current_mA"/> was read in this scan.</summary>
        public bool CurrentValid;

        /// <summary>Stack (sum of cells) voltage measured by the chip.</summary>
        public int StackVoltage_mV;

        /// <summary>true when <see cref="StackVoltage_mV"/> was read in this scan.</summary>
        public bool StackVoltageValid;

        /// <summary>
        /// true when this scan did not convert the thermistors and the temperatures flagged valid repeat the last
        /// conversion's (a driver that converts them every few scans; see the driver's configuration). Readers that
        /// fit rates over time take only the scans where this is false as new samples. Cleared by
        /// <see cref="InvalidateAll"/>.
        /// </summary>
        public bool TemperaturesHeld;

        /// <summary>Chip-reported conditions, a combination of <see cref="CellMonitorFaults"/> flags.</summary>
        public int Faults;

        /// <summary>
        /// true when the driver wrote the cell summary below in the scan that filled the cells (a driver that
        /// decodes the cells anyway adds it in the same pass, so the snapshot need not walk them again); cleared by
        /// <see cref="InvalidateAll"/>, so a driver that does not write it leaves it false.
        /// </summary>
        public bool CellSummaryKnown;

        /// <summary>Valid cells of the scan (summary).</summary>
        public int ValidCellCount;

        /// <summary>Sum of the valid cell voltages (summary).</summary>
        public int ValidCellSum_mV;

        /// <summary>Highest valid cell voltage (summary; int.MinValue when no cell is valid).</summary>
        public int HighestCell_mV;

        /// <summary>First cell at <see cref="HighestCell_mV"/> (summary; -1 when none).</summary>
        public int HighestCellIndex;

        /// <summary>Lowest valid cell voltage (summary; int.MaxValue when no cell is valid).</summary>
        public int LowestCell_mV;

        /// <summary>First cell at <see cref="LowestCell_mV"/> (summary; -1 when none).</summary>
        public int LowestCellIndex;

        /// <summary>Marks every value invalid (start of a scan).</summary>
        public void InvalidateAll()
        {
            CellSummaryKnown = false;
            TemperaturesHeld = false;
            // Array.Clear is native in nanoCLR: one call instead of an interpreted loop over every flag.
            Array.Clear(CellValid, 0, CellValid.Length);
            Array.Clear(TemperatureValid, 0, TemperatureValid.Length);
            CurrentValid = false;
            StackVoltageValid = false;
        }
    }
}
