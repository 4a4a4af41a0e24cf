using System;
using Bms.Drivers.CellMonitoring;

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
        /// <summary>
        /// true when this scan did not convert the thermistors and the valid temperatures repeat the last
        /// conversion's (an AFE converting them every few scans): no new sample for rates fitted over time.
        /// </summary>
        public bool TemperaturesHeld;

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

        /// <summary>
        /// true when the cell summary below was written together with the cells (by CopyCells);
        /// false for a snapshot filled by hand, whose readers then work it out themselves.
        /// </summary>
        public bool CellSummaryKnown;
        /// <summary>Valid cells of the scan (summary).</summary>
        public int ValidCellCount;
        /// <summary>Highest valid cell voltage (summary; int.MinValue when no cell is valid).</summary>
        public int HighestCell_mV;
        /// <summary>First cell at <see cref="HighestCell_mV"/> (summary; -1 when none).</summary>
        public int HighestCellIndex;
        /// <summary>Lowest valid cell voltage (summary; int.MaxValue when no cell is valid).</summary>
        public int LowestCell_mV;
        /// <summary>First cell at <see cref="LowestCell_mV"/> (summary; -1 when none).</summary>
        public int LowestCellIndex;
        /// <summary>Sum of the valid cell voltages (summary).</summary>
        public int ValidCellSum_mV;

        /// <summary>
        /// Takes a scan's cells from the driver's readings: as <see cref="CopyCells(int[], bool[], bool[])"/>, but
        /// when the driver wrote the cell summary while decoding (<see cref="CellMonitorReadings.CellSummaryKnown"/>)
        /// and no sense wire is open, the summary is taken over and the cells are block copies (every cell valid)
        /// or a copy of the valid ones, with no per-cell comparisons.
        /// </summary>
        public void CopyCells(CellMonitorReadings readings, bool[] openWires)
        {
            if (openWires != null || !readings.CellSummaryKnown)
            {
                CopyCells(readings.CellVoltage_mV, readings.CellValid, openWires);
                return;
            }
            int cellCount = CellCount;
            int[] voltage_mV = readings.CellVoltage_mV;
            bool[] valid = readings.CellValid;
            Array.Copy(valid, CellValid, cellCount);
            int count = readings.ValidCellCount;
            if (count == cellCount)
            {
                Array.Copy(voltage_mV, CellVoltage_mV, cellCount);
            }
            else
            {
                // An invalid cell keeps its last value.
                int[] cellVoltage = CellVoltage_mV;
                for (int i = 0; i < cellCount; i++)
                {
                    if (valid[i])
                    {
                        cellVoltage[i] = voltage_mV[i];
                    }
                }
            }
            ValidCellCount = count;
            ValidCellSum_mV = readings.ValidCellSum_mV;
            HighestCell_mV = readings.HighestCell_mV;
            HighestCellIndex = readings.HighestCellIndex;
            LowestCell_mV = readings.LowestCell_mV;
            LowestCellIndex = readings.LowestCellIndex;
            CellSummaryKnown = true;
        }

        /// <summary>
        /// Takes a scan's cells: copies each valid voltage (an invalid cell keeps its last value, flagged invalid)
        /// and writes the summary in the same pass, so that protection and limits need no pass of their own.
        /// A cell next to an open sense wire (<paramref name="openWires"/>[i] or [i + 1], when not null) is invalid.
        /// </summary>
        public void CopyCells(int[] voltage_mV, bool[] valid, bool[] openWires)
        {
            if (openWires != null)
            {
                // Rare: only after OpenWire was raised.
                CopyCellsMasked(voltage_mV, valid, openWires);
                return;
            }
            int cellCount = CellCount;
            // The flags as they are, in one block copy; the loop then touches only the valid cells' voltages.
            Array.Copy(valid, CellValid, cellCount);
            int[] cellVoltage = CellVoltage_mV;
            int invalid = 0;
            // int: even 65,535 mV on each of 32,767 cells stays below int.MaxValue.
            int sum = 0;
            int highest = int.MinValue;
            int lowest = int.MaxValue;
            int highestIndex = -1;
            int lowestIndex = -1;
            for (int i = 0; i < cellCount; i++)
            {
                if (!valid[i])
                {
                    invalid++;
                    continue;
                }
                int v = voltage_mV[i];
                cellVoltage[i] = v;
                sum += v;
                if (v > highest)
                {
                    highest = v;
                    highestIndex = i;
                }
                if (v < lowest)
                {
                    lowest = v;
                    lowestIndex = i;
                }
            }
            int count = cellCount - invalid;
            ValidCellCount = count;
            ValidCellSum_mV = sum;
            HighestCell_mV = highest;
            HighestCellIndex = highestIndex;
            LowestCell_mV = lowest;
            LowestCellIndex = lowestIndex;
            CellSummaryKnown = true;
        }

        private void CopyCellsMasked(int[] voltage_mV, bool[] valid, bool[] openWires)
        {
            bool[] cellValid = CellValid;
            int[] cellVoltage = CellVoltage_mV;
            int cellCount = CellCount;
            int count = 0;
            // int: even 65,535 mV on each of 32,767 cells stays below int.MaxValue.
            int sum = 0;
            int highest = int.MinValue;
            int lowest = int.MaxValue;
            int highestIndex = -1;
            int lowestIndex = -1;
            for (int i = 0; i < cellCount; i++)
            {
                if (!valid[i] || openWires[i] || openWires[i + 1])
                {
                    cellValid[i] = false;
                    continue;
                }
                int v = voltage_mV[i];
                cellValid[i] = true;
                cellVoltage[i] = v;
                sum += v;
                count++;
                if (v > highest)
                {
                    highest = v;
                    highestIndex = i;
                }
                if (v < lowest)
                {
                    lowest = v;
                    lowestIndex = i;
                }
            }
            ValidCellCount = count;
            ValidCellSum_mV = sum;
            HighestCell_mV = highest;
            HighestCellIndex = highestIndex;
            LowestCell_mV = lowest;
            LowestCellIndex = lowestIndex;
            CellSummaryKnown = true;
        }
    }
}
